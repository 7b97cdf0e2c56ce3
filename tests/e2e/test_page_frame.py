"""The page frame in Chromium: the phone menu, the elder-friendly display, Oscar's dashboard screens."""

import pytest

from tests.e2e.test_every_page import DESKTOP, PHONE, axe_violations, signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_phone_menu_folds_and_opens(browser, live_server, catalogue):
    page = signed_in(browser, live_server, None, PHONE)
    page.goto(live_server.url + "/")
    toggle = page.get_by_role("button", name="Menu")
    nav_link = page.locator(".site-nav").get_by_role("link", name="Requests for quotes")
    assert toggle.is_visible() and not nav_link.is_visible()
    toggle.click()
    assert nav_link.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert not nav_link.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    # Wide screens show the navigation and no menu button.
    page.set_viewport_size(DESKTOP)
    assert nav_link.is_visible() and not toggle.is_visible()
    page.context.close()


def test_the_elder_friendly_display_is_larger_and_still_accessible(browser, live_server, catalogue):
    page = signed_in(browser, live_server, None, DESKTOP)
    page.goto(live_server.url + "/zh-hans/")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"
    page.get_by_role("button", name="长者模式").click()
    page.wait_for_url(live_server.url + "/zh-hans/")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
    assert page.get_by_role("button", name="标准显示").get_attribute("aria-pressed") == "true"
    assert axe_violations(page) == []
    page.goto(live_server.url + "/catalogue/")  # remembered across pages
    assert "care-mode" in page.get_attribute("html", "class")
    page.get_by_role("button", name="Standard display").click()
    page.wait_for_url(live_server.url + "/catalogue/")
    assert "care-mode" not in page.get_attribute("html", "class")
    page.context.close()


def test_oscars_dashboard_screens_run_their_javascript(browser, live_server, catalogue):
    page = signed_in(browser, live_server, None, DESKTOP, user=UserFactory(is_staff=True, is_superuser=True))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(live_server.url + "/dashboard/")
    assert page.url == live_server.url + "/staff/"  # the index is the staff home
    page.goto(live_server.url + "/dashboard/catalogue/")
    menu = page.locator(".dropdown-toggle").first
    menu.click()
    assert page.locator(".dropdown-menu.show").count() == 1  # Bootstrap's dropdown ran, so jQuery was there
    assert errors == []
    page.context.close()
