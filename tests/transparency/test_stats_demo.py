"""`load_demo` gives the statistics page a year of history to show, not one busy week."""

import pytest
from django.core.management import call_command

from marketplace.transparency import selectors

pytestmark = pytest.mark.django_db


def test_demo_fills_the_statistics_across_months_items_and_regions(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", quiet_logins=True)
    stats = selectors.compute()
    months = stats["monthly"]
    assert sum(1 for row in months if row["orders"]) >= 10
    assert sum(1 for row in months if row["requests"]) >= 6
    assert sum(1 for row in months if row["median_award_days"] is not None) >= 6
    assert sum(1 for row in months if row["ratings"]) >= 10
    assert sum(1 for row in stats["prices"] if row["orders"] >= 3) >= 8
    assert sum(1 for row in stats["concentration_category"] if row["hhi"] is not None) >= 8
    assert len(stats["regions"]) >= 4
