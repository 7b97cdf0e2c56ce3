"""Orders are placed through Oscar's ``OrderCreator``, one service per order.

Both hiring paths end here: the direct checkout (a basket line of a fixed-price listing) and the
award of a request for quotes (no basket: the price is the winning quote's). Oscar writes the
order row, its line and its price records, and sends ``order_placed`` for a listing bought;
OneWindow adds only what differs: one unit per order, no shipping, the price given here.
"""

from decimal import Decimal

from django.conf import settings
from oscar.apps.order.models import Line, Order
from oscar.apps.shipping.methods import NoShippingRequired
from oscar.core import prices
from oscar.core.loading import get_class

OrderCreator = get_class("order.utils", "OrderCreator")
order_placed = get_class("order.signals", "order_placed")

CURRENCY = "CNY"
_NO_CHARGE = prices.Price(currency=CURRENCY, excl_tax=Decimal("0.00"), incl_tax=Decimal("0.00"))


class ServiceOrderCreator(OrderCreator):
    """Oscar's order creator for one service at one price (a service is not shipped or stocked)."""

    def place_service_order(
        self,
        *,
        number: str,
        buyer,
        price: Decimal,
        title: str,
        partner,
        partner_name: str,
        partner_sku: str,
        product=None,
        stockrecord=None,
        basket=None,
        basket_line=None,
    ) -> Order:
        """Write the order and its one line; the caller's transaction holds it."""
        total = prices.Price(currency=CURRENCY, excl_tax=price, incl_tax=price)
        order = self.create_order_model(
            buyer,
            basket,
            None,
            NoShippingRequired(),
            _NO_CHARGE,
            None,
            total,
            number,
            settings.OSCAR_INITIAL_ORDER_STATUS,
        )
        line_fields = {
            # One unit per order: each service has its own provider, deadline and lifecycle.
            "quantity": 1,
            "num_allocated": 0,
            "title": title[:255],
            "partner_name": partner_name[:128],
            "line_price_incl_tax": price,
            "line_price_excl_tax": price,
            "line_price_before_discounts_incl_tax": price,
            "line_price_before_discounts_excl_tax": price,
            "unit_price_incl_tax": price,
            "unit_price_excl_tax": price,
        }
        if basket_line is not None:
            # Oscar copies the listing, its stock record and price records from the basket line.
            self.create_line_models(order, basket_line, extra_line_fields=line_fields)
        else:
            Line._default_manager.create(
                order=order,
                partner=partner,
                partner_sku=partner_sku,
                stockrecord=stockrecord,
                product=product,
                status=settings.OSCAR_INITIAL_LINE_STATUS,
                **line_fields,
            )
        if product is not None:
            # Oscar's receivers (analytics) count the listing bought; an award of a request for
            # quotes buys no listing, and those receivers cannot take a line without a product.
            order_placed.send(sender=self, order=order, user=buyer)
        return order
