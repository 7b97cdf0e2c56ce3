from django.views.generic import TemplateView

from marketplace.catalogue.selectors import top_level_service_items


class HomeView(TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(service_items=top_level_service_items(), **kwargs)
