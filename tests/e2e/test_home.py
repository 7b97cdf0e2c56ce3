"""A first-time visitor: home page, language switch, the way to verification."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_switches_to_chinese_and_finds_permit_verification(page, live_server, catalogue):
    page.goto(live_server.url + "/")
    assert page.locator("h1").first.inner_text().startswith("Hire a certified intermediary")
    assert page.get_by_role("link", name="Environmental impact assessment").is_visible()

    page.get_by_role("button", name="简体中文").click()
    page.wait_for_url(f"{live_server.url}/zh-hans/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.get_by_role("link", name="环境影响评价").is_visible()

    page.locator(".site-nav").get_by_role("link", name="证照核验").click()
    page.wait_for_url(f"{live_server.url}/zh-hans/verify/")
    assert page.locator("h1").inner_text() == "证照核验"

    # Back to English stays on the same page.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/verify/")
    assert page.locator("h1").inner_text() == "Verify a permit"
