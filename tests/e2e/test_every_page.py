"""Every key page, in both languages, as a newcomer meets it in Chromium with the demo data:

- at 390 px (a phone) nothing is wider than the screen: the header folds into a menu, tables scroll
  inside their own box;
- axe-core (vendored from npm in tests/e2e/vendor/axe-core) finds no critical or serious WCAG 2.1 AA
  violation;
(the phone menu, the elder-friendly display and Oscar's dashboard: test_page_frame.py).
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.e2e.conftest import chromium
from tests.e2e.key_pages import LOGINS, key_pages

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = ("", "/zh-hans")


@pytest.fixture
def browser(live_server, settings):
    """The demo data (loaded before the browser starts: sealing runs its own event loop), then chromium."""
    settings.PUBLIC_BASE_URL = live_server.url
    call_command("load_demo", quiet_logins=True)
    with chromium() as browser:
        yield browser


def signed_in(browser, live_server, role, viewport, user=None):
    """A browser context signed in as ``user`` or the demo user of ``role`` (neither: a visitor),
    through a real session."""
    # No service workers: the offline verifier's would keep fetching in the background while the next
    # page loads, and the live server answers every thread over one SQLite connection (its own test,
    # test_offline_verifier.py, waits for the worker).
    context = browser.new_context(viewport=viewport, locale="en-US", service_workers="block")
    if role:
        user = get_user_model().objects.get(email=LOGINS[role])
    if user:
        client = Client()
        client.force_login(user)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def axe_violations(page) -> list[str]:
    page.add_script_tag(content=AXE)
    found = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
            .filter(v => v.impact === 'critical' || v.impact === 'serious')
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))""",
        AXE_TAGS,
    )
    return found


def test_every_key_page_fits_a_phone_and_passes_axe_in_both_languages(browser, live_server):
    pages = key_pages()
    assert len(pages) >= 25
    problems = []
    views = {}
    for lang in LANGUAGES:
        for role, path in pages:
            url = live_server.url + lang + path
            for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                key = (role, name)
                if key not in views:
                    views[key] = signed_in(browser, live_server, role, viewport)
                page = views[key]
                response = page.goto(url)
                # Let what the page's scripts fetch finish before the next page: the live server
                # answers every thread over one SQLite connection (the offline verifier fetches its list).
                page.wait_for_load_state("networkidle")
                if response.status != 200:
                    problems.append(f"{lang}{path} as {role}: HTTP {response.status}")
                    break
                if name == "phone":
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > PHONE["width"]:
                        problems.append(f"{lang}{path} as {role}: {width} px wide on a 390 px phone")
                else:
                    problems += [f"{lang}{path} as {role}: {v}" for v in axe_violations(page)]
    for page in views.values():
        page.context.close()
    assert not problems, "\n".join(problems)
