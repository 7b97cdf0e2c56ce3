"""Compare up to four listings side by side (``/compare/?listing=1&listing=2``).

Here because a column joins what several layers below know: the listing and its provider's
certification (providers), ratings by dimension (ratings), the credit grade and the on-time rate
(credit, from completed orders). Every figure comes from records, in a constant number of queries
however many listings are compared.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from marketplace.ratings import selectors as rating_selectors
from marketplace.ratings.models import DIMENSIONS
from providers import selectors as provider_selectors
from providers.listings import ListingInfo, listing_infos
from providers.models import Qualification

from .selectors import on_time_rates

MAX_LISTINGS = 4


@dataclass(frozen=True)
class Column:
    info: ListingInfo
    dimensions: dict  # {dimension: average} or {} without ratings
    on_time_rate: int | None  # percent of the provider's completed orders delivered by the deadline
    qualification: Qualification | None  # the provider's qualification for the listing's service item
    remove_query: str  # the comparison without this listing


def requested_ids(values: list[str]) -> tuple[list[int], bool]:
    """The distinct listing ids asked for, in order, at most four; and whether more were asked for."""
    ids = []
    for value in values:
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    return ids[:MAX_LISTINGS], len(ids) > MAX_LISTINGS


def columns(ids: list[int]) -> list[Column]:
    """A column per purchasable listing among ``ids``, in the order asked; others are left out."""
    offered = provider_selectors.purchasable_listings().filter(pk__in=ids)
    products = {product.pk: product for product in provider_selectors.with_listing_data(offered)}
    ordered = [products[pk] for pk in ids if pk in products]
    rating_selectors.attach_product_ratings(ordered)
    infos = listing_infos(ordered)
    dimensions = rating_selectors.dimensions_by_product(product_ids=[product.pk for product in ordered])
    provider_ids = {info.provider.pk for info in infos if info.provider}
    rates = on_time_rates(provider_ids=provider_ids)
    qualifications = {
        (q.provider_id, q.category_id): q
        for q in Qualification.objects.in_force().filter(provider_id__in=provider_ids).order_by("valid_from")
    }
    shown = [info.product.pk for info in infos]
    result = []
    for info in infos:
        provider_id = info.provider.pk if info.provider else None
        rest = "&".join(f"listing={pk}" for pk in shown if pk != info.product.pk)
        result.append(
            Column(
                info=info,
                dimensions=dimensions.get(info.product.pk, {}),
                on_time_rate=rates.get(provider_id),
                qualification=qualifications.get((provider_id, info.category.pk if info.category else None)),
                remove_query=rest,
            )
        )
    return result


class CompareView(TemplateView):
    template_name = "credit/compare.html"

    def get_context_data(self, **kwargs):
        ids, too_many = requested_ids(self.request.GET.getlist("listing"))
        if too_many:
            messages.warning(
                self.request,
                _("Up to %(n)d listings can be compared at once; the first %(n)d are shown.") % {"n": MAX_LISTINGS},
            )
        compared = columns(ids)
        if len(compared) < len(ids):
            messages.info(self.request, _("A listing that is no longer on offer was left out."))
        return super().get_context_data(columns=compared, dimensions=DIMENSIONS, max_listings=MAX_LISTINGS, **kwargs)
