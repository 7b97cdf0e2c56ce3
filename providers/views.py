from django.views.generic import TemplateView


class BecomeProviderView(TemplateView):
    """What a provider needs to join; registration itself arrives with the providers issue."""

    template_name = "providers/become.html"
