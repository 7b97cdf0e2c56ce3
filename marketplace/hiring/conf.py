"""Hiring's tunables (see ``core.conf``); settings.py keeps infrastructure only."""

import environ

from marketplace.core.conf import Tunables

_env = environ.Env()

DEFAULTS = {
    # A delivery the buyer leaves unanswered this many days is accepted (and the provider paid).
    "ORDER_AUTO_ACCEPT_DAYS": _env.int("ORDER_AUTO_ACCEPT_DAYS", default=7),
}

get = Tunables(DEFAULTS).get
