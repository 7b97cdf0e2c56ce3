import datetime
import zoneinfo

import pytest

from tests.factories import make_buyer, make_provider
from tests.factories.stats import make_history_order, make_history_request, rate

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# The statistics are computed "as of" this moment: the window is 2025-07 .. 2026-06.
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=SHANGHAI)


def at(year, month, day, hour=12):
    return datetime.datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _statistics_uncached(empty_cache):
    """The statistics are cached; each test starts from an empty cache (and leaves one)."""


@pytest.fixture
def market(catalogue):
    """A small market whose every statistic is worked out by hand in the tests.

    EIA (service item A), accepted orders:  P1 40,000 (May) + 10,000 (March), P2 30,000 (May,
    a Shanghai buyer), P3 20,000 (May); out of the window P3 99,999 (June 2025); a cancelled P2
    order. Safety assessment (B): P2 60,000 (May). An EIA order delivered in June, not yet
    accepted. Three ratings; four EIA requests, three awarded after 10, 4 and 0.5 days.
    """
    eia = catalogue.get(code="eia")
    safety = catalogue.get(code="safety-assessment")
    beijing, beijing_owner = make_buyer(region="110000")
    shanghai, shanghai_owner = make_buyer(region="310000")
    p1 = make_provider(name="Alpha EIA Co., Ltd.")
    p2 = make_provider(name="Beta Consulting Co., Ltd.")
    p3 = make_provider(name="Gamma Survey Co., Ltd.")

    def order(provider, enterprise, owner, category, price, **dates):
        return make_history_order(
            enterprise=enterprise, buyer=owner, provider=provider, category=category, price=price, **dates
        )

    o1 = order(p1, beijing, beijing_owner, eia, 40000, accepted_at=at(2026, 5, 10),
               due_at=at(2026, 5, 1), delivered_at=at(2026, 4, 30))  # fmt: skip
    order(p1, beijing, beijing_owner, eia, 10000, accepted_at=at(2026, 3, 5),
               due_at=at(2026, 3, 1), delivered_at=at(2026, 3, 2))  # fmt: skip
    o3 = order(p2, shanghai, shanghai_owner, eia, 30000, accepted_at=at(2026, 5, 20),
               due_at=at(2026, 5, 10), delivered_at=at(2026, 5, 10))  # fmt: skip
    o4 = order(p3, beijing, beijing_owner, eia, 20000, accepted_at=at(2026, 5, 25),
               due_at=at(2026, 5, 15), delivered_at=at(2026, 5, 20))  # fmt: skip
    order(p3, beijing, beijing_owner, eia, 99999, accepted_at=at(2025, 6, 30))
    order(p2, beijing, beijing_owner, eia, 70000, status="cancelled")
    order(p2, beijing, beijing_owner, safety, 60000, accepted_at=at(2026, 5, 1),
          due_at=at(2026, 4, 28), delivered_at=at(2026, 4, 28))  # fmt: skip
    order(p1, beijing, beijing_owner, eia, 45000, status="delivered",
          due_at=at(2026, 6, 10), delivered_at=at(2026, 6, 1))  # fmt: skip
    rate(o1, stars=(5, 5, 4, 4), created_at=at(2026, 5, 11))
    rate(o3, stars=(3, 4, 3, 4), created_at=at(2026, 5, 21))
    rate(o4, stars=(4, 4, 4, 4), created_at=at(2026, 6, 1))
    for published, awarded in (
        (at(2026, 4, 1, 0), at(2026, 4, 11, 0)),
        (at(2026, 4, 5, 0), at(2026, 4, 9, 0)),
        (at(2026, 5, 1, 12), at(2026, 5, 2, 0)),
        (at(2026, 6, 1), None),
    ):
        make_history_request(
            enterprise=beijing, user=beijing_owner, category=eia, published_at=published, awarded_at=awarded
        )
    return {"eia": eia, "safety": safety, "p1": p1, "p2": p2, "p3": p3}
