"""Every statistic against figures worked out by hand from the ``market`` fixture (conftest)."""

from decimal import Decimal

import pytest

from marketplace.transparency import selectors

from .conftest import NOW

pytestmark = pytest.mark.django_db


def by(rows, key, value):
    return next(row for row in rows if row[key] == value)


@pytest.fixture
def stats(market):
    return selectors.compute(now=NOW)


def test_window_is_the_current_month_and_the_eleven_before():
    win = selectors.window(now=NOW)
    assert win.months[0] == "2025-07"
    assert win.months[-1] == "2026-06"
    assert len(win.months) == 12
    assert win.start.isoformat() == "2025-07-01T00:00:00+08:00"


def test_every_month_is_present_and_empty_ones_show_zero_or_nothing(stats):
    assert [row["month"] for row in stats["monthly"]] == list(selectors.window(now=NOW).months)
    empty = by(stats["monthly"], "month", "2025-09")
    assert (empty["requests"], empty["orders"], empty["value"]) == (0, 0, "0.00")
    assert empty["median_award_days"] is None
    assert empty["on_time_rate"] is None
    assert empty["satisfaction_rate"] is None
    assert empty["mean_quality"] is None


def test_monthly_counts_values_and_award_times(stats):
    may = by(stats["monthly"], "month", "2026-05")
    # o1 40,000 + o3 30,000 + o4 20,000 + safety 60,000; the June-2025 order is outside the window.
    assert (may["orders"], may["value"]) == (4, "150000.00")
    march = by(stats["monthly"], "month", "2026-03")
    assert (march["orders"], march["value"]) == (1, "10000.00")
    april = by(stats["monthly"], "month", "2026-04")
    # Two requests published in April, awarded after 10 and 4 days: median 7.
    assert (april["requests"], april["median_award_days"]) == (2, "7.0")
    # Published 1 May 12:00, awarded 2 May 00:00: half a day.
    assert by(stats["monthly"], "month", "2026-05")["median_award_days"] == "0.5"
    june = by(stats["monthly"], "month", "2026-06")
    assert (june["requests"], june["median_award_days"]) == (1, None)


def test_on_time_rate_counts_deliveries_by_their_month(stats):
    rates = {row["month"]: row["on_time_rate"] for row in stats["monthly"]}
    # April: o1 (a day early) and the safety order (on the deadline itself) -> 2 of 2.
    assert rates["2026-04"] == "100.0"
    assert rates["2026-03"] == "0.0"  # o2, a day late
    assert rates["2026-05"] == "50.0"  # o3 on the day, o4 five days late
    assert rates["2026-06"] == "100.0"  # delivered, not yet accepted: still a delivery


def test_satisfaction_share_and_dimension_means(stats):
    may = by(stats["monthly"], "month", "2026-05")
    # Ratings 4.5 and 3.5: one of two is 4 or more.
    assert (may["ratings"], may["satisfaction_rate"]) == (2, "50.0")
    assert (may["mean_quality"], may["mean_timeliness"]) == ("4.00", "4.50")
    assert (may["mean_communication"], may["mean_price_fairness"]) == ("3.50", "4.00")
    june = by(stats["monthly"], "month", "2026-06")
    assert (june["ratings"], june["satisfaction_rate"]) == (1, "100.0")  # exactly 4.0 counts
    eia = by(stats["by_category"], "category", stats["categories"][0]["id"])
    assert (eia["ratings"], eia["satisfaction_rate"]) == (3, "66.7")
    # quality (5+3+4)/3, timeliness (5+4+4)/3, communication (4+3+4)/3, price fairness 12/3.
    assert (eia["mean_quality"], eia["mean_timeliness"]) == ("4.00", "4.33")
    assert (eia["mean_communication"], eia["mean_price_fairness"]) == ("3.67", "4.00")


def test_per_service_item_activity(stats, market):
    eia = by(stats["by_category"], "category", market["eia"].pk)
    assert (eia["requests"], eia["orders"], eia["value"]) == (4, 4, "100000.00")
    assert eia["median_award_days"] == "4.0"  # of 10, 4 and 0.5 days
    assert (eia["delivered"], eia["on_time_rate"]) == (5, "60.0")  # o1, o3, the June one of five
    untouched = by(stats["by_category"], "category", stats["categories"][-1]["id"])
    assert (untouched["orders"], untouched["on_time_rate"]) == (0, None)


def test_price_quartiles_use_the_inclusive_method(stats, market):
    eia = by(stats["prices"], "category", market["eia"].pk)
    # Sorted 10,000 20,000 30,000 40,000; inclusive: position (n-1)·p = 0.75, 1.5, 2.25.
    # Q1 = 10,000 + 0.75 × 10,000; median = (20,000 + 30,000) / 2; Q3 = 30,000 + 0.25 × 10,000.
    assert (eia["orders"], eia["q1"], eia["median"], eia["q3"]) == (4, "17500.00", "25000.00", "32500.00")
    safety = by(stats["prices"], "category", market["safety"].pk)
    assert (safety["q1"], safety["median"], safety["q3"]) == ("60000.00", "60000.00", "60000.00")
    empty = by(stats["prices"], "category", stats["categories"][-1]["id"])
    assert (empty["orders"], empty["median"]) == (0, None)


def test_hhi_per_service_item_on_a_known_market(stats, market):
    eia = by(stats["concentration_category"], "category", market["eia"].pk)
    # P1 50,000, P2 30,000, P3 20,000 of 100,000: 50² + 30² + 20² = 2,500 + 900 + 400 = 3,800.
    assert eia["hhi"] == "3800"
    assert eia["concentrated"] is True
    assert eia["providers"] == 3
    shares = [tuple(share) for share in eia["shares"]]
    assert shares == [(market["p1"].pk, "50.0"), (market["p2"].pk, "30.0"), (market["p3"].pk, "20.0")]
    safety = by(stats["concentration_category"], "category", market["safety"].pk)
    assert (safety["hhi"], safety["concentrated"]) == ("10000", True)  # a monopoly
    empty = by(stats["concentration_category"], "category", stats["categories"][-1]["id"])
    assert (empty["hhi"], empty["concentrated"], empty["providers"]) == (None, False, 0)


def test_hhi_per_region_uses_the_project_province(stats):
    assert stats["regions"] == ["110000", "310000"]
    beijing = by(stats["concentration_region"], "region", "110000")
    # Beijing: P1 50,000, P2 60,000 (safety), P3 20,000 of 130,000:
    # (50² + 60² + 20²) / 130² × 10,000 = 6,500 / 16,900 × 10,000 = 3,846.15...
    assert beijing["hhi"] == "3846"
    assert beijing["total"] == "130000.00"
    shanghai = by(stats["concentration_region"], "region", "310000")
    assert (shanghai["hhi"], shanghai["providers"]) == ("10000", 1)


@pytest.mark.parametrize(
    ("values", "hhi", "concentrated"),
    [
        ({1: 25, 2: 25, 3: 25, 4: 25}, "2500", False),  # exactly the threshold is not above it
        ({1: 60, 2: 40}, "5200", True),
        ({n: 10 for n in range(10)}, "1000", False),
    ],
)
def test_hhi_threshold(values, hhi, concentrated):
    result = selectors.concentration({pid: Decimal(value) for pid, value in values.items()})
    assert (result["hhi"], result["concentrated"]) == (hhi, concentrated)


def test_quartiles_of_one_value_and_of_none():
    assert selectors.quartiles([Decimal("5")]) == (Decimal("5"), Decimal("5"), Decimal("5"))
    assert selectors.quartiles([]) is None


def test_drilldown_per_provider(stats, market):
    rows = stats["drilldown"]["category"][str(market["eia"].pk)]
    assert [row["provider"] for row in rows] == [market["p1"].pk, market["p2"].pk, market["p3"].pk]
    p1 = rows[0]
    # P1: o1 on time and o2 late (completed), plus the June delivery on time -> 2 of 3.
    assert (p1["orders"], p1["value"], p1["share"], p1["delivered"], p1["on_time_rate"]) == (
        2,
        "50000.00",
        "50.0",
        3,
        "66.7",
    )
    assert (p1["ratings"], p1["satisfaction_rate"]) == (1, "100.0")


def test_empty_platform_gives_twelve_empty_months(catalogue):
    stats = selectors.compute(now=NOW)
    assert len(stats["monthly"]) == 12
    assert all(row["orders"] == 0 and row["on_time_rate"] is None for row in stats["monthly"])
    assert stats["regions"] == []
    assert all(row["hhi"] is None for row in stats["concentration_category"])
