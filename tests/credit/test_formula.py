"""The published credit formula against hand-computed figures (pure arithmetic, no database)."""

from decimal import Decimal

import pytest

from marketplace.credit import formula
from marketplace.credit.formula import Contribution

D = Decimal


def config(**overrides):
    values = {
        "party_weights": {"buyer": D(5), "authority": D(3), "platform": D(2)},
        "component_weights": {"evaluation": D(70), "on_time": D(30)},
        "penalties": {"objection_upheld": D(10), "dispute_refund": D(10), "dispute_split": D(5)},
        "grade_thresholds": {5: D(90), 4: D(75), 3: D(60), 2: D(40)},
        "suspend_threshold": D(40),
        "window_days": 730,
    }
    return formula.Config(**{**values, **overrides})


def buyer(stars):
    return Contribution(party="buyer", points=formula.stars_to_points(stars))


def authority(stars):
    return Contribution(party="authority", points=formula.stars_to_points(stars))


def platform(stars):
    return Contribution(party="platform", points=formula.stars_to_points(stars))


def delivery(on_time):
    return Contribution(timed=True, on_time=on_time)


def deduction(points):
    return Contribution(deduction=D(points))


FULL = [buyer(5), buyer(4), authority(3), platform(2)] + [delivery(True)] * 3 + [delivery(False)]


def test_all_three_parties_on_time_and_deductions():
    # buyer (100+75)/2 = 87.5, authority 50, platform 25 → E = (5×87.5 + 3×50 + 2×25)/10 = 63.75
    # T = 3/4 = 75 → base = (70×63.75 + 30×75)/100 = 67.125; − (objection 10 + split 5) = 52.125
    result = formula.compute(formula.totals_of([*FULL, deduction(10), deduction(5)]), config())
    assert result.party_scores == {"buyer": D("87.50"), "authority": D("50.00"), "platform": D("25.00")}
    assert (result.evaluation, result.on_time, result.base) == (D("63.75"), D("75.00"), D("67.13"))
    assert result.score == D("52.13") and result.grade == 2


def test_a_party_without_evaluations_drops_out_and_the_weights_renormalise():
    # E = (5×87.5 + 2×25)/7 = 69.6428…; base = 0.7×E + 0.3×75 = 48.75 + 22.5 = 71.25
    contributions = [c for c in FULL if c.party != "authority"]
    result = formula.compute(formula.totals_of(contributions), config())
    assert result.party_scores["authority"] is None
    assert result.evaluation == D("69.64") and result.score == D("71.25") and result.grade == 3


def test_only_buyer_ratings_and_no_timed_delivery_is_the_buyer_mean():
    result = formula.compute(formula.totals_of([buyer(5), buyer(4)]), config())
    assert (result.on_time, result.score, result.grade) == (None, D("87.50"), 4)


def test_weights_come_from_the_setting(settings):
    settings.CREDIT_EVALUATION_WEIGHTS = {"buyer": 1, "authority": 1, "platform": 0}
    # platform weight 0: E = (100 + 0)/2 = 50 whatever the platform said
    result = formula.compute(formula.totals_of([buyer(5), authority(1), platform(5)]), formula.Config.from_settings())
    assert result.score == D("50.00")


def test_no_evaluation_and_no_delivery_means_no_score_yet():
    result = formula.compute(formula.totals_of([deduction(10)]), config())
    assert (result.score, result.grade) == (None, None)


def test_deductions_never_take_the_score_below_zero():
    result = formula.compute(formula.totals_of([buyer(1.4), deduction(10), deduction(10)]), config())
    assert result.score == D("0.00") and result.grade == 1


@pytest.mark.parametrize(
    ("score", "grade"),
    [("100", 5), ("90", 5), ("89.99", 4), ("75", 4), ("74.99", 3), ("60", 3), ("40", 2), ("39.99", 1), ("0", 1)],
)
def test_grade_bands(score, grade):
    assert formula.grade_for(D(score), config()) == grade


def test_effect_is_the_score_with_the_entry_minus_without_it():
    totals = formula.totals_of([buyer(5), buyer(4)])
    assert formula.effect_of(buyer(5), totals, config()) == D("12.50")  # 87.5 − 75
    assert formula.effect_of(buyer(4), totals, config()) == D("-12.50")  # 87.5 − 100
    with_penalty = formula.totals_of([buyer(5), deduction(10)])
    assert formula.effect_of(deduction(10), with_penalty, config()) == D("-10.00")
