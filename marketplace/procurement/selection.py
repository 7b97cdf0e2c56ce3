"""The six ways a request for quotes picks its winner, as pure functions anyone can rerun.

Nothing here touches the database: each function takes the eligible quotes as plain
``Candidate`` values and returns an ``Outcome`` whose ``table`` is published on the result page.

**Identifiers.** Wherever a rule below says "id", it means the candidate's *identifier*: its
``key`` — the provider's unified social credit code, a value the platform does not assign — or, for
candidates published without a key (requests closed before keys were introduced), the quote id.
Identifiers sort as strings when keyed, as integers otherwise.

**Seed.** "seed" is the request's committed seed; when a randomness beacon is configured the seed
used is ``drand.mixed_seed(seed, beacon randomness)`` (see ``drand``), published as ``draw_seed``.

Random draw (verifiable)::

    commitment = sha256(seed).hexdigest()               # published when the request opens
    ids        = sorted(eligible quote ids)             # integers, ascending
    message    = ",".join(str(i) for i in ids)          # ASCII, e.g. "12,15,31"
    digest     = HMAC-SHA256(key=seed, msg=message)     # seed: the 32 raw bytes (published as hex)
    winner     = ids[int.from_bytes(digest, "big") % len(ids)]

Ties (lowest price: equal prices; scored: equal rounded scores) are broken by the same published seed,
not by who submitted first::

    tie_break(quote id) = HMAC-SHA256(key=seed, msg="tie:" + str(quote id)).hexdigest()
    among tied quotes the lowest tie_break ranks first

(A request published before every method had a seed breaks ties by submission time, as it then said.)

Credit-ranked shortlist (the buyer then chooses among the shortlist)::

    ranked    = eligible quotes by credit grade (stars, high first), then credit score (high first; none
                ranks last), then tie_break
    pool      = the first M of ranked                       # M = PROCUREMENT_SHORTLIST_POOL
    remaining = sorted(pool ids); for i in 0 .. K-1:        # K = PROCUREMENT_SHORTLIST_SIZE
        digest = HMAC-SHA256(key=seed, msg="shortlist:" + str(i) + ":" + ",".join(remaining))
        take remaining[int.from_bytes(digest, "big") % len(remaining)] out of remaining into the shortlist
    (a pool of K or fewer is shortlisted whole, without a draw)

Reasonable price::

    prices    = the valid quotes' prices; with at least TRIM_FROM (5) of them the highest and the lowest
                one are left out of the mean
    mean      = arithmetic mean, rounded half-up to 0.01
    factor    = low + (int.from_bytes(HMAC-SHA256(key=seed, msg="factor"), "big") % (steps + 1)) * 0.0001,
                steps = (high − low) / 0.0001           # low–high published, e.g. 0.9500–0.9800
    benchmark = mean × factor, rounded half-up to 0.01
    winner    = the highest price at or below the benchmark (ties: tie_break); if every quote is above it,
                the lowest price (the closest above)

When the selected provider walks away, a ranking method (lowest price, scored, reasonable price) passes
the award down the same table: the winner of the new round is the first row whose quote is not in the
round's published ``set_aside`` (declined, or no longer eligible). The draws (random draw, credit
shortlist) are drawn again among the rest with the same seed.

Money is ``Decimal`` CNY (yuan, two decimal places) throughout the hiring code.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

LOWEST_PRICE = "lowest_price"
SCORED = "scored"
RANDOM_DRAW = "random_draw"
DIRECT = "direct"
CREDIT_SHORTLIST = "credit_shortlist"
REASONABLE_PRICE = "reasonable_price"

RANDOM_DRAW_ALGORITHM = (
    'winner = ids[int.from_bytes(HMAC-SHA256(key=seed bytes, msg=",".join(sorted ids)), "big") % len(ids)]'
)
SCORE_PLACES = Decimal("0.01")
FACTOR_STEP = Decimal("0.0001")
TRIM_FROM = 5
SHORTLIST_ALGORITHM = (
    "rank by credit grade, credit score, tie_break; pool = first M; for i < K: take "
    'remaining[HMAC-SHA256(key=seed, msg="shortlist:"+i+":"+",".join(remaining)) % len(remaining)]'
)
REASONABLE_PRICE_ALGORITHM = (
    "mean of prices (highest and lowest left out from 5 quotes); "
    'factor = low + HMAC-SHA256(key=seed, msg="factor") % (steps+1) * 0.0001; benchmark = mean * factor; '
    "winner = highest price <= benchmark (else the lowest); ties: tie_break"
)


@dataclass(frozen=True)
class Candidate:
    quote_id: int
    price: Decimal
    service_days: int
    submitted_at: datetime
    rating: Decimal = Decimal("0")
    # The provider's credit snapshot when the request closed (``None``: no score yet).
    credit_grade: int | None = None
    credit_score: Decimal | None = None
    # The identifier draws and tie-breaks use: the provider's credit code ("" for old candidates).
    key: str = ""

    @property
    def ident(self):
        return self.key or self.quote_id


def candidate_to_json(candidate: Candidate) -> dict:
    """A candidate as the result's JSON publishes it (amounts and scores as decimal strings)."""
    return {
        "quote_id": candidate.quote_id,
        "price": str(candidate.price),
        "service_days": candidate.service_days,
        "submitted_at": candidate.submitted_at.isoformat(),
        "rating": str(candidate.rating),
        "credit_grade": candidate.credit_grade,
        "credit_score": None if candidate.credit_score is None else str(candidate.credit_score),
        "key": candidate.key,
    }


def candidate_from_json(data: dict) -> Candidate:
    """The inverse of ``candidate_to_json``: what anyone rerunning a published selection starts from."""
    return Candidate(
        quote_id=int(data["quote_id"]),
        price=Decimal(data["price"]),
        service_days=int(data["service_days"]),
        submitted_at=datetime.fromisoformat(data["submitted_at"]),
        rating=Decimal(data.get("rating") or "0"),
        credit_grade=data.get("credit_grade"),
        credit_score=None if data.get("credit_score") is None else Decimal(data["credit_score"]),
        key=data.get("key") or "",
    )


@dataclass(frozen=True)
class Weights:
    price: int = 60
    rating: int = 25
    service_days: int = 15

    def as_dict(self) -> dict:
        return {"price": self.price, "rating": self.rating, "service_days": self.service_days}


@dataclass(frozen=True)
class Outcome:
    winner_id: int | None
    table: list[dict] = field(default_factory=list)
    # What the method derived from its inputs and published with the table (benchmark, shortlist …).
    parameters: dict = field(default_factory=dict)


def _order_key(candidate: Candidate):
    return (candidate.submitted_at, candidate.quote_id)


def tie_break(seed_hex: str, ident) -> str:
    """The published, recomputable order among tied quotes (lowest first); see the module docstring."""
    return hmac.new(bytes.fromhex(seed_hex), f"tie:{ident}".encode("ascii"), hashlib.sha256).hexdigest()


def _tie_key(seed_hex: str, candidate: Candidate):
    return (tie_break(seed_hex, candidate.ident),) if seed_hex else _order_key(candidate)


def _mark_ties(table: list[dict], value: str, seed_hex: str) -> None:
    """Show the tie-break value on each row that shares its ``value`` with another row."""
    _mark_ties_by(table, (value,), seed_hex)


def _mark_ties_by(table: list[dict], values: tuple[str, ...], seed_hex: str) -> None:
    counts: dict = {}
    for row in table:
        key = tuple(row[v] for v in values)
        counts[key] = counts.get(key, 0) + 1
    for row in table:
        if counts[tuple(row[v] for v in values)] > 1 and seed_hex:
            row["tie_break"] = tie_break(seed_hex, row.get("key") or row["quote_id"])


def select_lowest_price(candidates: list[Candidate], seed_hex: str = "") -> Outcome:
    """Lowest price wins; equal prices are ordered by the seed's tie-break (without a seed: earlier submission)."""
    ranked = sorted(candidates, key=lambda c: (c.price, *_tie_key(seed_hex, c)))
    table = [
        {
            "rank": n,
            "quote_id": c.quote_id,
            **_keyed(c),
            "price": str(c.price),
            "submitted_at": c.submitted_at.isoformat(),
        }
        for n, c in enumerate(ranked, start=1)
    ]
    _mark_ties(table, "price", seed_hex)
    return Outcome(winner_id=ranked[0].quote_id if ranked else None, table=table)


def _ratio(best, value) -> Decimal:
    value, best = Decimal(value), Decimal(best)
    if value <= 0:
        return Decimal("1")
    return best / value


def score_candidates(candidates: list[Candidate], weights: Weights) -> list[dict]:
    """Each part scores 0–100 and is multiplied by its weight / total weight.

    price: 100 × lowest price / price; service days: 100 × fewest days / days;
    rating: 100 × rating / 5 (the provider's Bayesian average, see ``marketplace.ratings``).
    """
    if not candidates:
        return []
    total = Decimal(weights.price + weights.rating + weights.service_days) or Decimal("1")
    best_price = min(c.price for c in candidates)
    best_days = min(c.service_days for c in candidates)
    rows = []
    for c in candidates:
        price_score = Decimal(100) * _ratio(best_price, c.price)
        days_score = Decimal(100) * _ratio(best_days, c.service_days)
        rating_score = Decimal(100) * Decimal(c.rating) / Decimal(5)
        score = (
            price_score * weights.price + rating_score * weights.rating + days_score * weights.service_days
        ) / total
        rows.append(
            {
                "quote_id": c.quote_id,
                **_keyed(c),
                "price": str(c.price),
                "service_days": c.service_days,
                "rating": str(Decimal(c.rating).quantize(SCORE_PLACES, ROUND_HALF_UP)),
                "price_score": str(price_score.quantize(SCORE_PLACES, ROUND_HALF_UP)),
                "rating_score": str(rating_score.quantize(SCORE_PLACES, ROUND_HALF_UP)),
                "days_score": str(days_score.quantize(SCORE_PLACES, ROUND_HALF_UP)),
                "score": str(score.quantize(SCORE_PLACES, ROUND_HALF_UP)),
                "_score": score,
                "_key": _order_key(c),
                "_candidate": c,
            }
        )
    return rows


def select_scored(candidates: list[Candidate], weights: Weights, seed_hex: str = "") -> Outcome:
    """Highest weighted score wins; equal (rounded) scores are ordered by the seed's tie-break (without a
    seed: earlier submission)."""
    rows = score_candidates(candidates, weights)
    rows.sort(key=lambda row: (-Decimal(row["score"]), *_tie_key(seed_hex, row["_candidate"])))
    table = []
    for n, row in enumerate(rows, start=1):
        clean = {k: v for k, v in row.items() if not k.startswith("_")}
        clean["rank"] = n
        table.append(clean)
    _mark_ties(table, "score", seed_hex)
    return Outcome(winner_id=table[0]["quote_id"] if table else None, table=table)


def new_seed() -> str:
    """A fresh secret seed, hex-encoded (32 random bytes)."""
    return secrets.token_hex(32)


def commitment_for(seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def draw_index(seed_hex: str, ids: list) -> int:
    ordered = sorted(ids)
    message = ",".join(str(i) for i in ordered).encode("ascii")
    digest = hmac.new(bytes.fromhex(seed_hex), message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % len(ordered)


def _keyed(candidate: Candidate) -> dict:
    return {"key": candidate.key} if candidate.key else {}


def _by_ident(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates in identifier order (credit codes as strings; old quote ids as integers)."""
    if any(not c.key for c in candidates):
        return sorted(candidates, key=lambda c: c.quote_id)
    return sorted(candidates, key=lambda c: c.key)


def select_random_draw(seed_hex: str, candidates: list[Candidate]) -> Outcome:
    ordered = _by_ident(candidates)
    if not ordered:
        return Outcome(winner_id=None, table=[])
    index = draw_index(seed_hex, [c.ident for c in ordered])
    table = [{"position": n, "quote_id": c.quote_id, **_keyed(c), "drawn": n == index} for n, c in enumerate(ordered)]
    return Outcome(winner_id=ordered[index].quote_id, table=table)


def _hmac_int(seed_hex: str, message: str) -> int:
    digest = hmac.new(bytes.fromhex(seed_hex), message.encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(digest, "big")


def _credit_key(seed_hex: str, candidate: Candidate):
    score = candidate.credit_score if candidate.credit_score is not None else Decimal("-1")
    return (-(candidate.credit_grade or 0), -Decimal(score), *_tie_key(seed_hex, candidate))


def select_credit_shortlist(seed_hex: str, candidates: list[Candidate], *, pool: int, size: int) -> Outcome:
    """Rank by credit, draw ``size`` of the best ``pool`` with the seed; the buyer then picks among them
    (``winner_id`` stays None). ``parameters["shortlist"]`` lists the drawn quote ids in draw order."""
    if pool < 1 or size < 1:
        raise ValueError("the pool and the shortlist need at least one place each")
    ranked = sorted(candidates, key=lambda c: _credit_key(seed_hex, c))
    in_pool = ranked[:pool]
    remaining = _by_ident(in_pool)
    shortlist: list[int] = []
    if len(remaining) <= size:
        shortlist = [c.quote_id for c in remaining]
    else:
        for i in range(size):
            message = f"shortlist:{i}:" + ",".join(str(c.ident) for c in remaining)
            shortlist.append(remaining.pop(_hmac_int(seed_hex, message) % len(remaining)).quote_id)
    drawn = {quote_id: n for n, quote_id in enumerate(shortlist, start=1)}
    table = [
        {
            "rank": n,
            "quote_id": c.quote_id,
            **_keyed(c),
            "price": str(c.price),
            "credit_grade": c.credit_grade,
            "credit_score": None if c.credit_score is None else str(c.credit_score),
            "in_pool": n <= pool,
            "shortlisted": c.quote_id in drawn,
            "draw_order": drawn.get(c.quote_id),
        }
        for n, c in enumerate(ranked, start=1)
    ]
    _mark_ties_by(table, ("credit_grade", "credit_score"), seed_hex)
    return Outcome(winner_id=None, table=table, parameters={"pool": pool, "size": size, "shortlist": shortlist})


def factor_for(seed_hex: str, low: Decimal, high: Decimal) -> Decimal:
    """The factor drawn from the published range [low, high] in steps of 0.0001 (module docstring)."""
    low, high = Decimal(low), Decimal(high)
    if not (Decimal(0) < low <= high):
        raise ValueError("the factor range must be positive and low <= high")
    steps = int((high - low) / FACTOR_STEP)
    return low + (_hmac_int(seed_hex, "factor") % (steps + 1)) * FACTOR_STEP


def trimmed_mean(prices: list[Decimal]) -> tuple[Decimal, list[int]]:
    """The mean of ``prices`` (highest and lowest left out from ``TRIM_FROM`` prices on) and the
    positions (in ``prices``) that counted."""
    order = sorted(range(len(prices)), key=lambda i: (prices[i], i))
    counted = order[1:-1] if len(prices) >= TRIM_FROM else order
    total = sum((Decimal(prices[i]) for i in counted), Decimal(0))
    return (total / len(counted)).quantize(SCORE_PLACES, ROUND_HALF_UP), sorted(counted)


def select_reasonable_price(seed_hex: str, candidates: list[Candidate], *, low: Decimal, high: Decimal) -> Outcome:
    """The quote closest below the benchmark (trimmed mean × a factor drawn from [low, high]) wins."""
    if not candidates:
        return Outcome(winner_id=None, table=[])
    ordered = sorted(candidates, key=lambda c: c.quote_id)
    mean, counted = trimmed_mean([c.price for c in ordered])
    counted_ids = {ordered[i].quote_id for i in counted}
    factor = factor_for(seed_hex, low, high)
    benchmark = (mean * factor).quantize(SCORE_PLACES, ROUND_HALF_UP)

    def key(c: Candidate):
        below = c.price <= benchmark
        return (0 if below else 1, benchmark - c.price if below else c.price - benchmark, *_tie_key(seed_hex, c))

    ranked = sorted(ordered, key=key)
    table = [
        {
            "rank": n,
            "quote_id": c.quote_id,
            **_keyed(c),
            "price": str(c.price),
            "in_mean": c.quote_id in counted_ids,
            "at_or_below": c.price <= benchmark,
            "difference": str(c.price - benchmark),
        }
        for n, c in enumerate(ranked, start=1)
    ]
    _mark_ties(table, "price", seed_hex)
    parameters = {
        "mean": str(mean),
        "factor": str(factor),
        "factor_range": [str(Decimal(low)), str(Decimal(high))],
        "benchmark": str(benchmark),
        "trim_from": TRIM_FROM,
    }
    return Outcome(winner_id=ranked[0].quote_id, table=table, parameters=parameters)


def select_direct(candidates: list[Candidate], chosen_id: int | None) -> Outcome:
    """The buyer's own pick among the eligible quotes (``None`` until chosen)."""
    ids = {c.quote_id for c in candidates}
    table = [{"quote_id": c.quote_id, "price": str(c.price)} for c in sorted(candidates, key=_order_key)]
    if chosen_id is not None and chosen_id not in ids:
        raise ValueError("chosen quote is not among the eligible quotes")
    return Outcome(winner_id=chosen_id, table=table)
