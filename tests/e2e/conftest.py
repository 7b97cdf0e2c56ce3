"""Browser journeys: Debian's chromium driven by playwright against pytest-django's live server."""

import contextlib
import os
import shutil
import threading

import pytest

# The e-seal fixtures (a seal with a granted officer, a holder enterprise) for browser journeys.
from tests.signing.conftest import authority, granted_officer, holder, issued_permit, officer, seal, seal_material  # noqa: F401, E501

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _one_request_at_a_time(app):
    """The WSGI app behind a lock: each request is answered, body and all, before the next starts."""
    lock = threading.Lock()

    def serial(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # request_finished, as the server would send it, still inside the lock

    return serial


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, answering one request at a time.

    With the in-memory SQLite test database every server thread shares the test's one connection, so
    two requests at once (a page and its service worker, a page's polling while another browser
    acts) interleave their transactions' savepoints on it and fail ("cannot release savepoint"),
    which a real deployment, with a connection per thread, never does. Browsers wait their turn
    instead.
    """
    server = live_server.thread.httpd
    server.set_app(_one_request_at_a_time(server.get_app()))
    return live_server


@contextlib.contextmanager
def chromium():
    """Debian's chromium under playwright, for as long as the block runs.

    Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls
    from that thread unless told the loop serves no async code (it does not: the live server
    answers requests on its own threads). The permission is set only while the browser lives,
    so no other test (or subprocess) inherits it. Code that runs its own event loop (sealing with
    pyHanko) must therefore run before the browser starts.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium package to run browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    """One chromium per test module."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
