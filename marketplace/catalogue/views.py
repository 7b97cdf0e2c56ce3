"""The public service-item catalogue: the index and one page per service item.

These replace Oscar's Haystack-driven catalogue views (same class names, so Oscar's URL
configuration picks them up through ``get_class``).
"""

from django.http import Http404, HttpResponsePermanentRedirect
from django.views.generic import TemplateView

from . import selectors
from .models import Category


class CatalogueView(TemplateView):
    template_name = "catalogue/index.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(service_items=selectors.top_level_service_items(), **kwargs)


class ProductCategoryView(TemplateView):
    """A service item's public guide: scope, procedure, time limit, eligibility, qualification."""

    template_name = "catalogue/category.html"

    def get(self, request, *args, **kwargs):
        try:
            self.category = selectors.service_item(pk=kwargs["pk"])
        except Category.DoesNotExist:
            raise Http404("No such service item") from None
        # A renamed category keeps working links: redirect old slugs to the current one.
        if kwargs["category_slug"] != self.category.full_slug:
            return HttpResponsePermanentRedirect(self.category.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            category=self.category,
            subcategories=list(selectors.service_item_children(category=self.category)),
            **kwargs,
        )
