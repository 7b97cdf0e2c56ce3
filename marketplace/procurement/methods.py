"""Which pure function of ``selection`` a request's method runs, with the tunables it publishes.

``services`` closes requests and records what this returns; keeping the dispatch here keeps the
tunables of each method (weights, shortlist sizes, the factor range) beside the method.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from . import conf, drand, selection
from .models import Method, RequestForQuotes, Selection

# Methods where the selection publishes candidates and the buyer then picks the winner.
BUYER_CHOOSES = (Method.DIRECT, Method.CREDIT_SHORTLIST)
# Methods that rank every quote: a walk-away passes the award down the same published table.
RANKED = (Method.LOWEST_PRICE, Method.SCORED, Method.REASONABLE_PRICE)


@dataclass(frozen=True)
class Run:
    outcome: selection.Outcome
    algorithm: str
    weights: dict


log = logging.getLogger(__name__)


def beacon_chain() -> drand.Chain | None:
    """The configured drand chain (``PROCUREMENT_DRAND``), or None: commit-reveal only."""
    value = conf.get("PROCUREMENT_DRAND")
    if not value:
        return None
    if value == "quicknet":
        return drand.QUICKNET
    return drand.Chain(**value)


def beacon_fix(request: RequestForQuotes) -> None:
    """Fix (or, after an extension, move) the beacon round to the first round at or after the deadline.

    The buyer's own choice (``direct``, an addressed request included) draws nothing, so it waits for no
    round: its close, and an addressed request's early close, happen at once."""
    if request.method == Method.DIRECT:
        request.beacon = {}
        return
    chain = beacon_chain() if not request.beacon else drand.Chain(**request.beacon["chain"])
    if chain is not None:
        request.beacon = {"chain": chain.as_json(), "round": drand.round_at(chain, request.deadline.timestamp())}


def beacon_settle(request: RequestForQuotes) -> bool:
    """True when the draw may run: no beacon, or its round fetched and verified now (saved on the
    request). False while the round is not available — the close waits and the periodic closer retries;
    a round that does not verify is never replaced by anything else."""
    info = request.beacon
    if not info or info.get("randomness"):
        return True
    chain = drand.Chain(**info["chain"])
    try:
        signature = drand.fetch_round(chain, info["round"])
        randomness = drand.verify_round(chain, info["round"], signature)
    except drand.BeaconPending as error:
        log.info("request %s waits for its beacon round: %s", request.pk, error)
        return False
    except drand.BeaconError as error:
        log.error("request %s: the beacon's answer does not verify: %s", request.pk, error)
        return False
    request.beacon = {**info, "signature": signature, "randomness": randomness}
    request.save(update_fields=["beacon"])
    return True


def draw_seed(request: RequestForQuotes) -> str:
    """The seed every draw and tie-break of ``request`` uses: the committed seed, mixed with the beacon
    round's randomness when there is one."""
    randomness = (request.beacon or {}).get("randomness")
    return drand.mixed_seed(request.seed, randomness) if randomness and request.seed else request.seed


def weights() -> selection.Weights:
    return selection.Weights(**conf.get("PROCUREMENT_SCORE_WEIGHTS"))


def min_valid_quotes(request: RequestForQuotes) -> int:
    """The number of valid quotes ``request`` needs at its deadline (state-funded requests need more; a
    request addressed to one provider needs that one)."""
    if request.is_addressed:
        return 1
    if request.state_funded:
        return max(conf.get("PROCUREMENT_MIN_VALID_QUOTES"), conf.get("PROCUREMENT_MIN_VALID_QUOTES_STATE_FUNDED"))
    return conf.get("PROCUREMENT_MIN_VALID_QUOTES")


def _tie_rule(request: RequestForQuotes, rule: str) -> str:
    if request.seed:
        return f'{rule}; ties: lowest HMAC-SHA256(key=seed bytes, msg="tie:" + quote id) first'
    return f"{rule}; ties: earlier submission, then lower quote id"


def published_algorithm(request: RequestForQuotes) -> str:
    """The rule shown from publication on, before any selection has run."""
    return {
        Method.LOWEST_PRICE: _tie_rule(request, "lowest price"),
        Method.SCORED: _tie_rule(request, "highest weighted score"),
        Method.RANDOM_DRAW: selection.RANDOM_DRAW_ALGORITHM,
        Method.CREDIT_SHORTLIST: selection.SHORTLIST_ALGORITHM,
        Method.REASONABLE_PRICE: selection.REASONABLE_PRICE_ALGORITHM,
    }.get(request.method, "the buyer's choice")


def run(request: RequestForQuotes, candidates: list[selection.Candidate]) -> Run:
    """Apply ``request``'s method to ``candidates`` (not empty)."""
    seed = draw_seed(request)
    if request.method == Method.LOWEST_PRICE:
        return Run(selection.select_lowest_price(candidates, seed), _tie_rule(request, "lowest price"), {})
    if request.method == Method.SCORED:
        rule = "score = (price_score*w_price + rating_score*w_rating + days_score*w_days) / sum(w)"
        return Run(selection.select_scored(candidates, weights(), seed), _tie_rule(request, rule), weights().as_dict())
    if request.method == Method.RANDOM_DRAW:
        return Run(selection.select_random_draw(seed, candidates), selection.RANDOM_DRAW_ALGORITHM, {})
    if request.method == Method.CREDIT_SHORTLIST:
        outcome = selection.select_credit_shortlist(
            seed,
            candidates,
            pool=conf.get("PROCUREMENT_SHORTLIST_POOL"),
            size=conf.get("PROCUREMENT_SHORTLIST_SIZE"),
        )
        return Run(outcome, selection.SHORTLIST_ALGORITHM, {})
    if request.method == Method.REASONABLE_PRICE:
        low, high = (Decimal(str(value)) for value in conf.get("PROCUREMENT_REASONABLE_FACTOR_RANGE"))
        outcome = selection.select_reasonable_price(seed, candidates, low=low, high=high)
        return Run(outcome, selection.REASONABLE_PRICE_ALGORITHM, {})
    return Run(selection.select_direct(candidates, None), "the buyer's choice", {})


def choosable(current: Selection, candidates: list[selection.Candidate]) -> list[selection.Candidate]:
    """The candidates the buyer may pick from: all of them (direct), or the drawn shortlist."""
    if current.method == Method.CREDIT_SHORTLIST:
        shortlist = set(current.parameters.get("shortlist", []))
        return [c for c in candidates if c.quote_id in shortlist]
    return candidates
