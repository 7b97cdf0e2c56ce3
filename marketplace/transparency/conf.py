"""Oversight's tunables (staff watch lists at /oversight/): the domain's defaults live here, not in
``settings.py``.

Each value is, in order: a Django setting of the same name (a deployment's settings module, a
test's ``settings`` / ``override_settings``), else the environment variable of that name (as
README documents), else the default below.
"""

import environ

from marketplace.core.conf import Tunables

_env = environ.Env()

DEFAULTS = {
    # Providers are judged over the last N days and compared with the N days before.
    "OVERSIGHT_WINDOW_DAYS": _env.int("OVERSIGHT_WINDOW_DAYS", default=90),
    # A window's mean rating under this, or on-time share under this, puts the provider on the list...
    "OVERSIGHT_MIN_RATING": _env.float("OVERSIGHT_MIN_RATING", default=3.5),
    "OVERSIGHT_MIN_ON_TIME_RATE": _env.float("OVERSIGHT_MIN_ON_TIME_RATE", default=0.8),
    # ...but only when the figure rests on at least this many ratings (or completed orders).
    "OVERSIGHT_MIN_SAMPLE": _env.int("OVERSIGHT_MIN_SAMPLE", default=3),
    # Approved qualifications ending within this many days are listed as expiring.
    "OVERSIGHT_EXPIRY_DAYS": _env.int("OVERSIGHT_EXPIRY_DAYS", default=30),
}


get = Tunables(DEFAULTS).get
