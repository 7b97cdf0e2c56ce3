"""The public and staff statistics pages, their CSV files, charts and query counts."""

import csv
import io
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from marketplace.core import after_response
from marketplace.transparency import services
from marketplace.transparency.models import StatsSnapshot
from tests.factories import make_buyer, make_provider, staff_user
from tests.factories.accounts import UserFactory
from tests.factories.stats import make_history_order

from .conftest import NOW, at

pytestmark = pytest.mark.django_db

TABLES = (
    "monthly",
    "satisfaction",
    "categories",
    "regions",
    "prices",
    "concentration_categories",
    "concentration_regions",
)


def page_table(html: str, table_id: str) -> list[list[str]]:
    """The cells of one HTML table as the visitor reads them (header row first)."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", match.group(0), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def computed(market):
    services.stats_snapshot_refresh(now=NOW)
    return market


def test_the_page_shows_the_figures_and_when_they_were_computed(client, computed):
    response = client.get(reverse("transparency:stats"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Figures computed at" in html
    concentration = page_table(html, "table-concentration_categories")
    eia = next(row for row in concentration if row[0] == "Environmental impact assessment")
    assert eia[3] == "3800"
    assert eia[4] == "Concentrated"
    assert eia[5].startswith("Alpha EIA Co., Ltd. (50.0%); Beta Consulting Co., Ltd. (30.0%)")
    prices = page_table(html, "table-prices")
    eia_prices = next(row for row in prices if row[0] == "Environmental impact assessment")
    assert eia_prices[1:] == ["4", "17500.00", "25000.00", "32500.00"]
    monthly = page_table(html, "table-monthly")
    assert len(monthly) == 13  # the header and twelve months, empty ones included
    september = next(row for row in monthly if row[0] == "2025-09")
    assert september[1:4] == ["0", "0", "0.00"]
    assert september[4] == "—"


@pytest.mark.parametrize("table", TABLES)
def test_each_csv_equals_the_table_on_the_page(client, computed, table):
    html = client.get(reverse("transparency:stats")).content.decode()
    on_page = page_table(html, f"table-{table}")
    response = client.get(reverse("transparency:stats-csv", kwargs={"table": table}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    in_csv = csv_rows(response)
    # The page prints "—" where the CSV leaves the field empty; every other cell is identical.
    assert [["—" if cell == "" else cell for cell in row] for row in in_csv] == on_page
    assert len(in_csv) > 1


def test_an_unknown_csv_table_is_404(client, computed):
    assert client.get(reverse("transparency:stats-csv", kwargs={"table": "passwords"})).status_code == 404


def test_csv_neutralises_formulas_in_provider_names(client, catalogue):
    eia = catalogue.get(code="eia")
    enterprise, owner = make_buyer()
    for name, price in (('=HYPERLINK("http://x")', 500), ("+Plus Co.", 300), ("@Sum Co.", 200)):
        make_history_order(
            enterprise=enterprise, buyer=owner, provider=make_provider(name=name), category=eia, price=price,
            accepted_at=at(2026, 5, 1),
        )  # fmt: skip
    services.stats_snapshot_refresh(now=NOW)
    rows = csv_rows(client.get(reverse("transparency:stats-csv", kwargs={"table": "concentration_categories"})))
    eia_row = next(row for row in rows if row[0] == "Environmental impact assessment")
    assert eia_row[5].startswith("'=HYPERLINK")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_first_visit_without_a_snapshot_computes_one(client, catalogue):
    assert not StatsSnapshot.objects.exists()
    response = client.get(reverse("transparency:stats"))
    assert response.status_code == 200
    assert StatsSnapshot.objects.count() == 1
    # Nothing happened on this platform yet: every month shows zero and dashes, no error.
    html = response.content.decode()
    monthly = page_table(html, "table-monthly")
    assert all(row[2] == "0" and row[6] == "—" for row in monthly[1:])
    assert "No request was published and no order completed in these 12 months." in html


def test_the_page_reads_the_snapshot_not_the_live_data(client, computed, catalogue):
    client.get(reverse("transparency:stats"))
    enterprise, owner = make_buyer()
    make_history_order(
        enterprise=enterprise, buyer=owner, provider=computed["p1"], category=computed["safety"], price=1,
        accepted_at=at(2026, 6, 2),
    )  # fmt: skip
    html = client.get(reverse("transparency:stats")).content.decode()
    june = next(row for row in page_table(html, "table-monthly") if row[0] == "2026-06")
    assert june[2] == "0"  # until the periodic task recomputes


def test_an_old_snapshot_is_shown_at_once_and_recomputed_after_the_response(client, computed, monkeypatch):
    """No visitor waits for the statistics: a snapshot past MAX_AGE is served as it is, and the new one
    is computed once the response has gone (held here to look in between)."""
    old = StatsSnapshot.objects.get()
    StatsSnapshot.objects.filter(pk=old.pk).update(computed_at=timezone.now() - services.MAX_AGE * 2)
    cache.clear()
    held = []
    monkeypatch.setattr(after_response, "_run", held.append)
    response = client.get(reverse("transparency:stats"))
    assert response.status_code == 200 and StatsSnapshot.objects.count() == 1  # the old figures, at once
    client.get(reverse("transparency:stats"))  # a second visitor meanwhile: no second computation queued
    assert len(held) == 1
    monkeypatch.undo()
    after_response._run(held[0])
    assert StatsSnapshot.objects.count() == 2
    assert StatsSnapshot.objects.order_by("-computed_at").first().computed_at > timezone.now() - services.MAX_AGE


def test_the_periodic_task_refreshes_and_is_scheduled(settings, computed):
    from marketplace.transparency.tasks import refresh_stats

    assert settings.CELERY_BEAT_SCHEDULE["transparency-refresh-stats"]["task"] == "transparency.refresh_stats"
    before = StatsSnapshot.objects.count()
    refresh_stats.delay()
    assert StatsSnapshot.objects.count() == before + 1


def test_charts_are_accessible_svg(client, computed):
    html = client.get(reverse("transparency:stats")).content.decode()
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        opening = svg.split(">", 1)[0]
        assert 'role="img"' in opening
        chart_id = re.search(r'id="([^"]+)"', opening).group(1)
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in opening
        table_id = re.search(r'aria-describedby="([^"]+)"', opening).group(1)
        assert f'id="{table_id}"' in html  # the data table the chart describes is on the page
        assert f'<title id="{chart_id}-title">' in svg and f'<desc id="{chart_id}-desc">' in svg
        assert "<rect" in svg or "<circle" in svg
    # The summary says what the bars show: requests in April (2), May and June; orders in
    # March (1) and May (4).
    assert "4 requests published and 5 orders completed; the most orders were completed in 2026-05 (4)" in html


def test_page_query_count_stays_flat_as_data_grows(client, computed, catalogue, django_assert_max_num_queries):
    """Computing the snapshot and rendering both cost the same number of queries for 8 or 28 orders."""

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def snapshot_and_page():
        response = client.get(reverse("transparency:stats"))
        assert response.status_code == 200

    def forget():
        cache.clear()
        StatsSnapshot.objects.all().delete()

    forget()
    with CaptureQueriesContext(connection) as small:
        snapshot_and_page()
    enterprise, owner = make_buyer(region="440100")
    for n in range(20):
        make_history_order(
            enterprise=enterprise, buyer=owner, provider=computed["p1"] if n % 2 else make_provider(),
            category=computed["safety"] if n % 3 else computed["eia"], price=1000 + n,
            accepted_at=at(2026, 1 + n % 5, 3),
            due_at=at(2026, 1, 1), delivered_at=at(2026, 1, 2),
        )  # fmt: skip
    forget()
    with CaptureQueriesContext(connection) as large:
        snapshot_and_page()
    assert len(large) == len(small)
    forget()
    with django_assert_max_num_queries(15):
        snapshot_and_page()
    # Once computed, a visit reads the cache: no statistics query at all.
    with django_assert_max_num_queries(2):
        assert client.get(reverse("transparency:stats")).status_code == 200


def test_chinese_page_renders(client, computed):
    response = client.get("/zh-hans/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "环境影响评价" in html  # service-item names in Chinese
    assert "中介服务超市统计" in html  # the page's own text
    assert "每月发布的需求与完成的订单" in html  # chart titles too
    assert 'lang="zh-hans"' in html


def test_footer_links_to_the_statistics(client, catalogue):
    html = client.get(reverse("catalogue:index")).content.decode()
    assert f'href="{reverse("transparency:stats")}"' in html


# --- Staff page ------------------------------------------------------------------------------


def test_staff_page_requires_login(client, computed):
    url = reverse("transparency:stats-staff")
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("customer:login") in response["Location"] or "login" in response["Location"]


def test_staff_page_refuses_non_staff(client, computed):
    client.force_login(UserFactory())
    assert client.get(reverse("transparency:stats-staff")).status_code == 403


def test_staff_drilldown_lists_providers_with_links(client, computed):
    client.force_login(staff_user())
    url = reverse("transparency:stats-staff") + f"?category={computed['eia'].pk}"
    html = client.get(url).content.decode()
    rows = page_table(html, f"table-providers-category-{computed['eia'].pk}")
    names = [row[0] for row in rows[1:]]
    assert names == ["Alpha EIA Co., Ltd.", "Beta Consulting Co., Ltd.", "Gamma Survey Co., Ltd."]
    # P1: 2 completed orders worth 50,000 (50.0 %), 3 deliveries of which 2 on time, one 4.5 rating.
    assert rows[1][1:] == ["2", "50000.00", "50.0", "3", "66.7", "1", "100.0"]
    assert f'href="{reverse("providers:profile", kwargs={"pk": computed["p1"].pk})}"' in html
    region = client.get(reverse("transparency:stats-staff") + "?region=310000").content.decode()
    assert page_table(region, "table-providers-region-310000")[1][0] == "Beta Consulting Co., Ltd."


def test_staff_drilldown_of_an_empty_market_says_so(client, computed):
    client.force_login(staff_user())
    html = client.get(reverse("transparency:stats-staff") + "?region=650000").content.decode()
    assert "No provider had an order in that market in this period." in html


def test_staff_drilldown_csv_equals_the_page_and_is_staff_only(client, computed):
    query = f"?category={computed['eia'].pk}"
    csv_url = reverse("transparency:stats-staff-csv") + query
    assert client.get(csv_url).status_code == 302  # anonymous: to the login page
    client.force_login(UserFactory())
    assert client.get(csv_url).status_code == 403
    client.force_login(staff_user())
    html = client.get(reverse("transparency:stats-staff") + query).content.decode()
    on_page = page_table(html, f"table-providers-category-{computed['eia'].pk}")
    assert [["—" if cell == "" else cell for cell in row] for row in csv_rows(client.get(csv_url))] == on_page
    assert client.get(reverse("transparency:stats-staff-csv") + "?region=650000").status_code == 404
