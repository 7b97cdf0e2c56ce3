"""The cart: listings to hire directly, each at most once.

A service is hired, not stocked: there is no quantity. Adding a listing that is already in the cart
leaves the cart as it is (a second click on "Hire directly" hires nothing twice), and checkout places
one order per line whatever quantity Oscar's basket merge may have written.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def basket_add(*, basket, product) -> bool:
    """Put ``product`` in ``basket`` once; False if it was already there. Refuses what cannot be hired
    directly now (unpublished, provider not certified, quote-only or "from" priced) with the reason."""
    info = basket.strategy.fetch_for_product(product)
    if not info.availability.is_available_to_buy or not info.price.exists:
        raise ValidationError(
            _("“%(title)s” cannot be hired directly: %(reason)s"),
            code="unavailable",
            params={"title": product.get_title(), "reason": info.availability.message},
        )
    if basket.id and basket.lines.filter(product=product).exists():
        return False
    basket.add_product(product, 1)
    return True


def basket_remove(*, basket, line_id) -> bool:
    """Remove one line of ``basket`` (another basket's line is not found)."""
    if not basket.id:
        return False
    deleted, _rows = basket.lines.filter(pk=line_id).delete()
    basket.reset_offer_applications()
    return bool(deleted)
