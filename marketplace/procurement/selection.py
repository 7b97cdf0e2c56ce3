"""The four ways a request for quotes picks its winner, as pure functions anyone can rerun.

Nothing here touches the database: each function takes the eligible quotes as plain
``Candidate`` values and returns an ``Outcome`` whose ``table`` is published on the result page.

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

RANDOM_DRAW_ALGORITHM = (
    'winner = ids[int.from_bytes(HMAC-SHA256(key=seed bytes, msg=",".join(sorted ids)), "big") % len(ids)]'
)
SCORE_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Candidate:
    quote_id: int
    price: Decimal
    service_days: int
    submitted_at: datetime
    rating: Decimal = Decimal("0")


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


def _order_key(candidate: Candidate):
    return (candidate.submitted_at, candidate.quote_id)


def tie_break(seed_hex: str, quote_id: int) -> str:
    """The published, recomputable order among tied quotes (lowest first); see the module docstring."""
    return hmac.new(bytes.fromhex(seed_hex), f"tie:{quote_id}".encode("ascii"), hashlib.sha256).hexdigest()


def _tie_key(seed_hex: str, candidate: Candidate):
    return (tie_break(seed_hex, candidate.quote_id),) if seed_hex else _order_key(candidate)


def _mark_ties(table: list[dict], value: str, seed_hex: str) -> None:
    """Show the tie-break value on each row that shares its ``value`` with another row."""
    counts: dict = {}
    for row in table:
        counts[row[value]] = counts.get(row[value], 0) + 1
    for row in table:
        if counts[row[value]] > 1 and seed_hex:
            row["tie_break"] = tie_break(seed_hex, row["quote_id"])


def select_lowest_price(candidates: list[Candidate], seed_hex: str = "") -> Outcome:
    """Lowest price wins; equal prices are ordered by the seed's tie-break (without a seed: earlier submission)."""
    ranked = sorted(candidates, key=lambda c: (c.price, *_tie_key(seed_hex, c)))
    table = [
        {"rank": n, "quote_id": c.quote_id, "price": str(c.price), "submitted_at": c.submitted_at.isoformat()}
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


def draw_index(seed_hex: str, ids: list[int]) -> int:
    ordered = sorted(ids)
    message = ",".join(str(i) for i in ordered).encode("ascii")
    digest = hmac.new(bytes.fromhex(seed_hex), message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % len(ordered)


def select_random_draw(seed_hex: str, candidates: list[Candidate]) -> Outcome:
    ids = sorted(c.quote_id for c in candidates)
    if not ids:
        return Outcome(winner_id=None, table=[])
    index = draw_index(seed_hex, ids)
    table = [{"position": n, "quote_id": quote_id, "drawn": n == index} for n, quote_id in enumerate(ids)]
    return Outcome(winner_id=ids[index], table=table)


def select_direct(candidates: list[Candidate], chosen_id: int | None) -> Outcome:
    """The buyer's own pick among the eligible quotes (``None`` until chosen)."""
    ids = {c.quote_id for c in candidates}
    table = [{"quote_id": c.quote_id, "price": str(c.price)} for c in sorted(candidates, key=_order_key)]
    if chosen_id is not None and chosen_id not in ids:
        raise ValueError("chosen quote is not among the eligible quotes")
    return Outcome(winner_id=chosen_id, table=table)
