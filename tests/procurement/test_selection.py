"""The selection methods as pure functions: ranking, ties, empty input, and the public draw."""

import datetime
import hashlib
import hmac
from decimal import Decimal

import pytest

from marketplace.procurement import selection
from marketplace.procurement.selection import Candidate, Weights

T0 = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)


def cand(quote_id, price, days=30, minutes=0, rating="4.00"):
    return Candidate(
        quote_id=quote_id,
        price=Decimal(price),
        service_days=days,
        submitted_at=T0 + datetime.timedelta(minutes=minutes),
        rating=Decimal(rating),
    )


def test_lowest_price_wins():
    outcome = selection.select_lowest_price([cand(1, "500"), cand(2, "300"), cand(3, "400")])
    assert outcome.winner_id == 2
    assert [row["quote_id"] for row in outcome.table] == [2, 3, 1]


def _tie_break(seed: str, quote_id: int) -> str:
    """The published rule, written out again here (not imported), as anyone rechecking would."""
    return hmac.new(bytes.fromhex(seed), f"tie:{quote_id}".encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("seed", ["00" * 32, "ab" * 32, "5e" * 32, "c3" * 32])
def test_with_a_seed_equal_prices_are_ordered_by_the_published_tie_break_not_by_time(seed):
    tied = [cand(1, "300", minutes=1), cand(2, "300", minutes=50), cand(3, "300", minutes=99)]
    expected = min((1, 2, 3), key=lambda quote_id: _tie_break(seed, quote_id))
    outcome = selection.select_lowest_price([*tied, cand(4, "900")], seed)
    assert outcome.winner_id == expected
    # Recomputable from the table alone: the tied rows carry their tie-break, the untied one none.
    rows = {row["quote_id"]: row for row in outcome.table}
    assert rows[expected]["tie_break"] == _tie_break(seed, expected) and "tie_break" not in rows[4]
    # Submitting earlier buys nothing: the same quotes submitted in another order rank the same.
    later = [cand(1, "300", minutes=99), cand(2, "300", minutes=1), cand(3, "300", minutes=50)]
    assert selection.select_lowest_price(later, seed).winner_id == expected


def test_with_a_seed_equal_scores_are_ordered_by_the_tie_break():
    seed = "7f" * 32
    outcome = selection.select_scored([cand(1, "100", minutes=9), cand(2, "100", minutes=1)], Weights(), seed)
    assert outcome.winner_id == min((1, 2), key=lambda quote_id: _tie_break(seed, quote_id))
    assert all("tie_break" in row for row in outcome.table)


def test_lowest_price_tie_goes_to_earlier_submission_not_lower_id():
    outcome = selection.select_lowest_price([cand(1, "300", minutes=10), cand(9, "300", minutes=5)])
    assert outcome.winner_id == 9


def test_lowest_price_exact_tie_in_time_falls_back_to_quote_id():
    outcome = selection.select_lowest_price([cand(7, "300"), cand(4, "300")])
    assert outcome.winner_id == 4


@pytest.mark.parametrize(
    "function",
    [
        selection.select_lowest_price,
        lambda c: selection.select_scored(c, Weights()),
        lambda c: selection.select_random_draw("00" * 32, c),
    ],
)
def test_every_method_returns_no_winner_for_no_candidates(function):
    assert function([]).winner_id is None


def test_scored_weighs_price_rating_and_days():
    # Cheaper but slow and poorly rated loses to a slightly dearer, fast, well rated quote.
    cheap = cand(1, "90000", days=90, rating="2.00")
    good = cand(2, "100000", days=30, rating="5.00")
    outcome = selection.select_scored([cheap, good], Weights(price=60, rating=25, service_days=15))
    assert outcome.winner_id == 2
    row = {r["quote_id"]: r for r in outcome.table}
    assert row[1]["price_score"] == "100.00"
    assert row[2]["price_score"] == "90.00"
    assert row[2]["days_score"] == "100.00"
    assert row[1]["days_score"] == "33.33"
    # 60×90 + 25×100 + 15×100 = 9400 / 100
    assert row[2]["score"] == "94.00"


def test_scored_price_only_weighting_equals_lowest_price():
    candidates = [cand(1, "500"), cand(2, "300", days=300, rating="1"), cand(3, "400")]
    assert selection.select_scored(candidates, Weights(price=1, rating=0, service_days=0)).winner_id == 2


def test_scored_tie_goes_to_earlier_submission():
    outcome = selection.select_scored([cand(1, "100", minutes=9), cand(2, "100", minutes=1)], Weights())
    assert outcome.winner_id == 2
    assert [row["rank"] for row in outcome.table] == [1, 2]


def test_commitment_is_sha256_of_the_seed_bytes():
    seed = selection.new_seed()
    assert len(seed) == 64
    assert selection.commitment_for(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def test_random_draw_matches_an_independent_recomputation():
    """Recompute the documented formula by hand, without the module's helpers."""
    seed = "5f" * 32
    candidates = [cand(31, "1"), cand(12, "1"), cand(15, "1"), cand(40, "1")]
    outcome = selection.select_random_draw(seed, candidates)
    ids = [12, 15, 31, 40]
    digest = hmac.new(bytes.fromhex(seed), b"12,15,31,40", hashlib.sha256).digest()
    assert outcome.winner_id == ids[int.from_bytes(digest, "big") % 4]
    assert [row["quote_id"] for row in outcome.table] == ids
    assert sum(row["drawn"] for row in outcome.table) == 1


def test_random_draw_ignores_input_order_and_depends_on_seed():
    candidates = [cand(i, "1") for i in range(1, 30)]
    a = selection.select_random_draw("01" * 32, candidates).winner_id
    assert selection.select_random_draw("01" * 32, list(reversed(candidates))).winner_id == a
    winners = {selection.select_random_draw(f"{n:02x}" * 32, candidates).winner_id for n in range(40)}
    assert len(winners) > 5


def test_direct_accepts_only_an_eligible_quote():
    candidates = [cand(1, "1"), cand(2, "1")]
    assert selection.select_direct(candidates, 2).winner_id == 2
    assert selection.select_direct(candidates, None).winner_id is None
    with pytest.raises(ValueError):
        selection.select_direct(candidates, 3)
