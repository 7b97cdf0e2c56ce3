"""Ratings' tunables: the Bayesian prior every average is pulled towards (see ``core.conf``)."""

import environ

from marketplace.core.conf import Tunables

_env = environ.Env()

DEFAULTS = {
    # Bayesian average of ratings: (prior_mean * prior_weight + sum) / (prior_weight + count).
    "RATING_PRIOR_MEAN": _env.float("RATING_PRIOR_MEAN", default=4.0),
    "RATING_PRIOR_WEIGHT": _env.int("RATING_PRIOR_WEIGHT", default=10),
}

get = Tunables(DEFAULTS).get
