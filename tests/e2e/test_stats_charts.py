"""The public statistics page in a real browser: the SVG charts render and carry their text alternatives."""

import pytest
from django.core.cache import cache

from marketplace.transparency import services
from tests.transparency.conftest import NOW, market  # noqa: F401 - the hand-computed market fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_stats_charts_render_with_text_alternatives(page, live_server, market, tmp_path):  # noqa: F811
    services.stats_snapshot_refresh(now=NOW)
    cache.clear()
    page.goto(live_server.url + "/")
    page.locator(".site-footer").get_by_role("link", name="Statistics").click()
    page.wait_for_url(f"{live_server.url}/stats/")
    assert page.locator("h1").inner_text() == "Marketplace statistics"

    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box["width"] > 100 and box["height"] > 100
        assert chart.get_attribute("role") == "img"
        chart_id = chart.get_attribute("id")
        assert chart.locator(f"title#{chart_id}-title").text_content().strip()
        assert chart.locator(f"desc#{chart_id}-desc").text_content().strip()
        # The data table the chart points at is on the page and visible beside it.
        table = page.locator("#" + chart.get_attribute("aria-describedby"))
        assert table.is_visible()
        # Something is drawn: bars or points with a size.
        mark = chart.locator("rect, circle").first
        assert mark.bounding_box()["width"] > 0

    # The accessible name the browser computes for the HHI chart is its title.
    concentration = page.get_by_role("img", name="Market concentration (HHI) by service item")
    assert concentration.is_visible()
    page.screenshot(path=str(tmp_path / "stats.png"), full_page=True)
