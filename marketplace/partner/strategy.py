"""OneWindow's pricing and availability: who may buy which listing, at what price, in CNY.

A listing is available to buy only while ``providers.selectors`` counts it as purchasable (its
provider certified, holding an approved unexpired qualification for the listing's category, and
the listing published) and its pricing mode is "fixed": "quote only" and "from ¥…" listings are hired
through a request for quotes addressed to their provider. Prices carry no separate tax line:
intermediary fees are quoted tax-inclusive.
"""

from django.utils.translation import gettext_lazy as _
from oscar.apps.partner import availability
from oscar.apps.partner.strategy import NoTax, Structured, UseFirstStockRecord
from oscar.apps.partner.strategy import Selector as CoreSelector  # noqa: F401 - documents what we replace

# Oscar loads the strategy from the partner app (get_class("partner.strategy", "Selector")), but
# the rule it applies is the providers': a layers-contract exception the framework forces.
from providers import selectors
from providers.listings import listing_info


class NotOnSale(availability.Unavailable):
    code = "not_on_sale"
    message = _("Not on sale")


class QuoteOnly(availability.Unavailable):
    code = "quote_only"
    message = _("Quote only: request a quote")


class FromPrice(availability.Unavailable):
    """A "from ¥…" price is where the provider's quotes start, not what a project costs."""

    code = "from_price"
    message = _("Priced from an amount: request a quote for your project")


class ListingAvailability:
    def availability_policy(self, product, stockrecord):
        if not stockrecord:
            return NotOnSale()
        # Pages that already filtered on the purchasable rule annotate it, saving a query per product.
        purchasable = getattr(product, "is_purchasable", None)
        if purchasable is None:
            purchasable = selectors.listing_is_purchasable(product=product)
        if not purchasable:
            return NotOnSale()
        info = listing_info(product)
        if info.is_quote_only:
            return QuoteOnly()
        if info.pricing_mode == "from":
            return FromPrice()
        return availability.Available()

    def parent_availability_policy(self, product, children_stock):
        return NotOnSale()


class OneWindow(UseFirstStockRecord, ListingAvailability, NoTax, Structured):
    """The one strategy every request uses."""


class Selector:
    def strategy(self, request=None, user=None, **kwargs):
        return OneWindow(request)
