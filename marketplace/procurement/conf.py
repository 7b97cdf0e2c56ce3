"""Procurement's tunables: the domain's defaults live here, not in ``settings.py``.

Each value is, in order: a Django setting of the same name (a deployment's settings module, a
test's ``settings`` / ``override_settings``), else the environment variables README documents,
else the default below.
"""

import environ

from marketplace.core.conf import Tunables

_env = environ.Env()

DEFAULTS = {
    # Days a selection result stays public for objections before it becomes an order.
    "PROCUREMENT_PUBLICITY_DAYS": _env.int("PROCUREMENT_PUBLICITY_DAYS", default=3),
    # Valid quotes a request needs at its deadline; with fewer it is extended once, then fails.
    "PROCUREMENT_MIN_VALID_QUOTES": _env.int("PROCUREMENT_MIN_VALID_QUOTES", default=1),
    # The same minimum for a state-funded request (paid from public funds), as provinces require.
    "PROCUREMENT_MIN_VALID_QUOTES_STATE_FUNDED": _env.int("PROCUREMENT_MIN_VALID_QUOTES_STATE_FUNDED", default=3),
    # Credit-ranked shortlist: a draw picks SIZE quotes among the POOL best by credit; the buyer chooses.
    "PROCUREMENT_SHORTLIST_POOL": _env.int("PROCUREMENT_SHORTLIST_POOL", default=5),
    "PROCUREMENT_SHORTLIST_SIZE": _env.int("PROCUREMENT_SHORTLIST_SIZE", default=3),
    # Reasonable price: the published range the benchmark factor is drawn from (e.g. 95 %–98 %).
    "PROCUREMENT_REASONABLE_FACTOR_RANGE": (
        _env.str("PROCUREMENT_REASONABLE_FACTOR_LOW", default="0.95"),
        _env.str("PROCUREMENT_REASONABLE_FACTOR_HIGH", default="0.98"),
    ),
    # A public randomness beacon mixed into every draw: "" (off: commit-reveal only), "quicknet" (the
    # League of Entropy's drand chain), or a dict like drand.Chain's fields for another drand chain.
    "PROCUREMENT_DRAND": _env.str("PROCUREMENT_DRAND", default=""),
    # How many days that one extension adds to the deadline.
    "PROCUREMENT_EXTENSION_DAYS": _env.int("PROCUREMENT_EXTENSION_DAYS", default=3),
    # A clarification answered this many hours or fewer before the deadline moves the deadline …
    "PROCUREMENT_CLARIFICATION_LATE_HOURS": _env.int("PROCUREMENT_CLARIFICATION_LATE_HOURS", default=24),
    # … to this many hours after the answer, so every provider has time to react.
    "PROCUREMENT_CLARIFICATION_EXTENSION_HOURS": _env.int("PROCUREMENT_CLARIFICATION_EXTENSION_HOURS", default=24),
    # Published weighting of the scored evaluation (relative weights of price, rating, service days).
    "PROCUREMENT_SCORE_WEIGHTS": {
        "price": _env.int("PROCUREMENT_WEIGHT_PRICE", default=60),
        "rating": _env.int("PROCUREMENT_WEIGHT_RATING", default=25),
        "service_days": _env.int("PROCUREMENT_WEIGHT_SERVICE_DAYS", default=15),
    },
}


get = Tunables(DEFAULTS).get
