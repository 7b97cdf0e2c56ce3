"""The credit-ranked shortlist and the reasonable price as pure functions. Each published rule is
written out again here, independently of ``selection``, as anyone rechecking a result would."""

import datetime
import hashlib
import hmac
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.procurement import selection
from marketplace.procurement.selection import Candidate

T0 = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)
SEED = "3c" * 32
D = Decimal


def cand(quote_id, price="100", grade=None, score=None, minutes=0):
    return Candidate(
        quote_id=quote_id,
        price=D(price),
        service_days=30,
        submitted_at=T0 + datetime.timedelta(minutes=minutes),
        credit_grade=grade,
        credit_score=None if score is None else D(score),
    )


def _hmac_int(seed: str, message: str) -> int:
    return int.from_bytes(hmac.new(bytes.fromhex(seed), message.encode(), hashlib.sha256).digest(), "big")


def _tie(seed: str, quote_id: int) -> str:
    return hmac.new(bytes.fromhex(seed), f"tie:{quote_id}".encode(), hashlib.sha256).hexdigest()


def _shortlist_by_hand(seed, pool_ids, size):
    remaining, picked = sorted(pool_ids), []
    if len(remaining) <= size:
        return remaining
    for i in range(size):
        message = f"shortlist:{i}:" + ",".join(map(str, remaining))
        picked.append(remaining.pop(_hmac_int(seed, message) % len(remaining)))
    return picked


# --- credit-ranked shortlist -----------------------------------------------------------------------


def test_the_shortlist_ranks_by_grade_then_score_and_draws_from_the_pool_only():
    candidates = [
        cand(1, grade=5, score="95.00"),
        cand(2, grade=3, score="70.00"),
        cand(3, grade=5, score="91.00"),
        cand(4, grade=4, score="80.00"),
        cand(5),  # no credit record yet: ranks last
        cand(6, grade=4, score="88.00"),
    ]
    outcome = selection.select_credit_shortlist(SEED, candidates, pool=4, size=2)
    assert [row["quote_id"] for row in outcome.table] == [1, 3, 6, 4, 2, 5]
    assert outcome.winner_id is None  # the buyer chooses
    expected = _shortlist_by_hand(SEED, [1, 3, 6, 4], 2)
    assert outcome.parameters == {"pool": 4, "size": 2, "shortlist": expected}
    rows = {row["quote_id"]: row for row in outcome.table}
    assert {q for q, row in rows.items() if row["shortlisted"]} == set(expected)
    assert [rows[q]["draw_order"] for q in expected] == [1, 2]
    assert not rows[2]["in_pool"] and not rows[5]["shortlisted"]


@pytest.mark.parametrize("seed", ["00" * 32, "a1" * 32, "ff" * 32, "5d" * 32])
def test_a_different_seed_may_draw_a_different_shortlist_each_recomputable(seed):
    candidates = [cand(n, grade=4, score=str(80 + n)) for n in range(1, 8)]
    outcome = selection.select_credit_shortlist(seed, candidates, pool=5, size=3)
    pool = [row["quote_id"] for row in outcome.table if row["in_pool"]]
    assert pool == [7, 6, 5, 4, 3]
    assert outcome.parameters["shortlist"] == _shortlist_by_hand(seed, pool, 3)


def test_a_pool_no_larger_than_the_shortlist_is_shortlisted_whole():
    outcome = selection.select_credit_shortlist(SEED, [cand(9, grade=2), cand(4, grade=5)], pool=5, size=3)
    assert outcome.parameters["shortlist"] == [4, 9]


def test_equal_credit_is_ordered_by_the_tie_break_not_by_who_quoted_first():
    tied = [cand(n, grade=4, score="80.00", minutes=10 - n) for n in (1, 2, 3)]
    outcome = selection.select_credit_shortlist(SEED, tied, pool=2, size=2)
    order = sorted((1, 2, 3), key=lambda q: _tie(SEED, q))
    assert [row["quote_id"] for row in outcome.table] == order
    assert all(row["tie_break"] == _tie(SEED, row["quote_id"]) for row in outcome.table)


def test_a_shortlist_needs_a_place():
    with pytest.raises(ValueError):
        selection.select_credit_shortlist(SEED, [cand(1)], pool=0, size=1)


# --- reasonable price ------------------------------------------------------------------------------


def _factor_by_hand(seed, low="0.95", high="0.98"):
    steps = int((D(high) - D(low)) / D("0.0001"))
    return D(low) + (_hmac_int(seed, "factor") % (steps + 1)) * D("0.0001")


def test_the_factor_is_drawn_from_the_published_range_in_steps_of_a_hundredth_percent():
    factors = {selection.factor_for(seed, D("0.95"), D("0.98")) for seed in (f"{n:02x}" * 32 for n in range(40))}
    assert all(D("0.95") <= f <= D("0.98") and f == f.quantize(D("0.0001")) for f in factors)
    assert len(factors) > 10  # drawn, not fixed
    assert selection.factor_for(SEED, D("0.95"), D("0.98")) == _factor_by_hand(SEED)
    assert selection.factor_for(SEED, D("0.97"), D("0.97")) == D("0.97")
    with pytest.raises(ValueError):
        selection.factor_for(SEED, D("0.98"), D("0.95"))


def test_from_five_quotes_the_highest_and_lowest_are_left_out_of_the_mean():
    assert selection.trimmed_mean([D(100), D(200), D(300), D(400), D(10000)])[0] == D("300.00")
    assert selection.trimmed_mean([D(100), D(200), D(300), D(1000)])[0] == D("400.00")  # four: all count
    mean, counted = selection.trimmed_mean([D(5), D(5), D(5), D(5), D(5)])
    assert mean == D("5.00") and len(counted) == 3


def test_the_highest_quote_at_or_below_the_benchmark_wins():
    candidates = [cand(1, "90000"), cand(2, "94000"), cand(3, "100000"), cand(4, "104000"), cand(5, "130000")]
    outcome = selection.select_reasonable_price(SEED, candidates, low=D("0.95"), high=D("0.98"))
    mean = D("99333.33")  # 94000, 100000, 104000: the lowest and highest left out; benchmark ≥ 94366.66
    benchmark = (mean * _factor_by_hand(SEED)).quantize(D("0.01"), ROUND_HALF_UP)
    assert outcome.parameters["mean"] == str(mean) and outcome.parameters["benchmark"] == str(benchmark)
    below = [c for c in candidates if c.price <= benchmark]
    assert outcome.winner_id == max(below, key=lambda c: c.price).quote_id == 2
    rows = {row["quote_id"]: row for row in outcome.table}
    assert not rows[1]["in_mean"] and not rows[5]["in_mean"] and rows[3]["in_mean"]
    assert rows[2]["difference"] == str(D("94000") - benchmark)


def test_when_every_quote_is_above_the_benchmark_the_lowest_wins():
    candidates = [cand(1, "100"), cand(2, "100"), cand(3, "101")]
    outcome = selection.select_reasonable_price(SEED, candidates, low=D("0.95"), high=D("0.98"))
    assert D(outcome.parameters["benchmark"]) < D("100")
    assert outcome.winner_id == min((1, 2), key=lambda q: _tie(SEED, q))  # equal: the tie-break


@settings(max_examples=200, deadline=None)
@given(
    prices=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=12),
    seed=st.binary(min_size=32, max_size=32),
)
def test_the_reasonable_price_winner_is_closest_below_the_benchmark(prices, seed):
    """For any quotes: no quote lies strictly between the winner and the benchmark on the winning side,
    and only when every quote is above it does a quote above it win (the lowest)."""
    seed_hex = seed.hex()
    candidates = [cand(n, str(D(p) / 100)) for n, p in enumerate(prices, start=1)]
    outcome = selection.select_reasonable_price(seed_hex, candidates, low=D("0.95"), high=D("0.98"))
    benchmark = D(outcome.parameters["benchmark"])
    winner = next(c for c in candidates if c.quote_id == outcome.winner_id)
    below = [c.price for c in candidates if c.price <= benchmark]
    if below:
        assert winner.price == max(below)
    else:
        assert winner.price == min(c.price for c in candidates)
    assert [row["rank"] for row in outcome.table] == list(range(1, len(candidates) + 1))


def test_candidates_survive_their_published_json():
    original = cand(7, "123.45", grade=4, score="81.50")
    assert selection.candidate_from_json(selection.candidate_to_json(original)) == original
    assert selection.candidate_from_json(selection.candidate_to_json(cand(8))) == cand(8)
