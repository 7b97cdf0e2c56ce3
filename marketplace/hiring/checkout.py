"""The direct checkout: a basket of fixed-price listings becomes one order per listing."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from marketplace.core.conflicts import Act, records_conflicts, require_no_conflict
from providers import selectors as provider_selectors
from providers.listings import listing_info

from . import services
from .models import ServiceOrder


@records_conflicts
@transaction.atomic
def direct_orders_place(
    *, basket, user, enterprise, project_name: str, site_location: str = "", notes: str = ""
) -> list[ServiceOrder]:
    """Turn a basket of fixed-price listings into one order per listing, each awaiting payment.

    One order per listing because each has its own provider, deadline and lifecycle. The price is
    the one Oscar's strategy gives now (``marketplace.partner.strategy``), which also refuses
    anything no longer purchasable or quote-only.
    """
    if not enterprise.memberships.filter(user=user).exists():
        raise services.NotPermitted(_("You do not act for this enterprise."), code="not_member")
    project_name = (project_name or "").strip()
    if not project_name:
        raise ValidationError({"project_name": _("Name the project the service is for.")}, code="required")
    # The basket row is the lock: a second "Place order" (a double click, a second tab) waits here and
    # then finds the basket submitted, instead of placing every order again.
    Basket = get_model("basket", "Basket")
    locked = Basket.objects.select_for_update().filter(pk=basket.pk).first() if basket.id else None
    if locked is not None and locked.status != Basket.OPEN:
        raise ValidationError(_("These services were already ordered; see your orders."), code="already_placed")
    lines = list(basket.all_lines())
    if not lines:
        raise ValidationError(_("Your basket is empty."), code="empty_basket")
    products = {
        product.pk: product
        for product in provider_selectors.with_listing_data(
            provider_selectors.all_listings().filter(pk__in=[line.product_id for line in lines])
        )
    }
    placed = []
    for line in lines:
        info = line.purchase_info
        if not info.availability.is_available_to_buy or not info.price.exists:
            raise ValidationError(
                _("“%(title)s” can no longer be hired directly; remove it from your basket."),
                code="unavailable",
                params={"title": line.product.get_title()},
            )
        product = products[line.product_id]
        listing = listing_info(product)
        require_no_conflict(
            user=user, act=Act.ORDER, enterprise=enterprise, provider=listing.provider, subject=product.get_title()
        )
        # One order per line: a service has no quantity (see ``basket``).
        placed.append(
            services.service_order_create(
                enterprise=enterprise,
                provider=listing.provider,
                buyer=user,
                title=product.localized("title") if hasattr(product, "localized") else product.title,
                price=info.price.incl_tax,
                service_days=listing.service_days or 30,
                project_name=project_name,
                site_location=(site_location or "").strip(),
                notes=(notes or "").strip(),
                source=ServiceOrder.Source.DIRECT,
                category=listing.category,
                product=product,
                stockrecord=line.stockrecord,
                basket=basket,
                basket_line=line,
                milestone_plan=listing.milestones,
            )
        )
    basket.submit()
    return placed
