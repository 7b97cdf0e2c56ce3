"""Payments' tunables (see ``core.conf``); the gateway and its keys stay in ``settings.py``."""

from decimal import Decimal

import environ

from marketplace.core.conf import Tunables

_env = environ.Env()

DEFAULTS = {
    # The platform's share of a completed order, in percent, kept before the transfer to the provider.
    "PLATFORM_FEE_PERCENT": Decimal(_env.str("PLATFORM_FEE_PERCENT", default="5")),
    # Days a provider has to answer an invoice request before it shows as overdue (console, oversight).
    "INVOICE_DUE_DAYS": _env.int("INVOICE_DUE_DAYS", default=7),
}

get = Tunables(DEFAULTS).get
