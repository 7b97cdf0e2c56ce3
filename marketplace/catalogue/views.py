"""The public service-item catalogue: the index and one page per service item.

These replace Oscar's Haystack-driven catalogue views (same class names, so Oscar's URL
configuration picks them up through ``get_class``).
"""

from django.http import Http404, HttpResponsePermanentRedirect
from django.views.generic import TemplateView

from marketplace.ratings import selectors as rating_selectors
from marketplace.transparency import selectors as stats_selectors
from providers import selectors as provider_selectors
from providers.listings import listing_info, listing_infos

from . import selectors
from .models import Category, Product


class HomeView(TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(service_items=selectors.top_level_service_items(), **kwargs)


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
        products = list(provider_selectors.category_listings(category=self.category))
        rating_selectors.attach_product_ratings(products)
        sort = "rating" if self.request.GET.get("sort") == "rating" else "price"
        if sort == "rating":
            # Bayesian average, so three perfect ratings do not outrank three hundred good ones.
            rating_selectors.sort_by_rating(products)
        listings = listing_infos(products)
        return super().get_context_data(
            sort=sort,
            category=self.category,
            subcategories=list(selectors.service_item_children(category=self.category)),
            listings=listings,
            # Computed from real completed orders, never typed in (transparency statistics).
            typical=stats_selectors.service_item_typical(category=self.category),
            offering_providers=stats_selectors.providers_offering(listings),
            **kwargs,
        )


class ProductDetailView(TemplateView):
    """A listing: price, promised days, regions, deliverables and its provider.

    The public sees only purchasable listings (404 otherwise); the provider's own team and staff
    may preview a listing that is unpublished or off sale, with a notice saying so.
    """

    template_name = "catalogue/detail.html"

    def get(self, request, *args, **kwargs):
        try:
            self.product = provider_selectors.public_listing(pk=kwargs["pk"], user=request.user)
        except Product.DoesNotExist:
            raise Http404("No such listing") from None
        if kwargs.get("product_slug") != self.product.slug:
            return HttpResponsePermanentRedirect(self.product.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        info = listing_info(self.product)
        return super().get_context_data(
            product=self.product,
            listing=info,
            is_on_sale=provider_selectors.listing_is_purchasable(product=self.product),
            rating_summary=rating_selectors.listing_summary(product=self.product),
            reviews=rating_selectors.recent_ratings(product=self.product),
            **kwargs,
        )
