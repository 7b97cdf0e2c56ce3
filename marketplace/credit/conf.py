"""Credit's tunables (published at /providers/credit/formula/): the domain's defaults live here,
not in ``settings.py``, which keeps infrastructure.

Each value is, in order: a Django setting of the same name (so a deployment's settings module or a
test's ``settings`` / ``override_settings`` changes it), else the environment variable of that name
(as README documents), else the default below.
"""

import re

import environ
from django.core.exceptions import ImproperlyConfigured

from marketplace.core.conf import Tunables

_env = environ.Env()


def _points(name: str, default: dict) -> dict:
    """A ``key=int`` list from the environment, as README writes it (``buyer=5,authority=3``);
    ``;`` separates too (what django-environ's typed dicts expect)."""
    raw = _env.str(name, default="")
    if not raw.strip():
        return default
    try:
        return {
            key.strip(): int(value) for key, value in (pair.split("=", 1) for pair in re.split("[,;]", raw) if pair)
        }
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like key=integer,key=integer; got {raw!r}.") from None


DEFAULTS = {
    # Relative weights of the three parties' evaluations (renormalised over those that evaluated).
    "CREDIT_EVALUATION_WEIGHTS": _points("CREDIT_EVALUATION_WEIGHTS", {"buyer": 5, "authority": 3, "platform": 2}),
    # Relative weights of the two components: the combined evaluation and on-time delivery.
    "CREDIT_COMPONENT_WEIGHTS": _points("CREDIT_COMPONENT_WEIGHTS", {"evaluation": 70, "on_time": 30}),
    # Points deducted per adverse outcome.
    "CREDIT_PENALTIES": _points(
        "CREDIT_PENALTIES",
        {
            "objection_upheld": 10,
            "dispute_refund": 10,
            "dispute_split": 5,
            "delivery_overdue": 5,
            "award_declined": 10,
            "contract_unsigned": 10,
            "qualification_false": 20,
        },
    ),
    # An order not delivered more than this many days after its promised deadline is a negative event.
    "CREDIT_OVERDUE_DAYS": _env.int("CREDIT_OVERDUE_DAYS", default=30),
    # The provider must seal the contract within this many days of the buyer's seal, else a negative event.
    "CREDIT_CONTRACT_SEAL_DAYS": _env.int("CREDIT_CONTRACT_SEAL_DAYS", default=7),
    # How far back the public negative-behaviour list (/providers/penalties/) reaches.
    "CREDIT_NEGATIVE_LIST_DAYS": _env.int("CREDIT_NEGATIVE_LIST_DAYS", default=365),
    # The lowest score of each grade (stars); below the lowest listed, one star.
    "CREDIT_GRADE_THRESHOLDS": {5: 90, 4: 75, 3: 60, 2: 40},
    # Staff may suspend a provider scoring below this.
    "CREDIT_SUSPEND_THRESHOLD": _env.int("CREDIT_SUSPEND_THRESHOLD", default=40),
    # How far back inputs count.
    "CREDIT_WINDOW_DAYS": _env.int("CREDIT_WINDOW_DAYS", default=730),
}


get = Tunables(DEFAULTS).get
