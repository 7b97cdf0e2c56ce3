"""A real localstripe process per test session (per xdist worker), on a free loopback port."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.factories import make_buyer, make_certified_provider, make_service_order, staff_user

LOCALSTRIPE = Path(sys.executable).with_name("localstripe")
PROJECT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1).read(1)  # noqa: S310 - our loopback URL
    except (urllib.error.URLError, OSError):
        return False
    return True


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    if not LOCALSTRIPE.exists():
        pytest.skip(f"localstripe is not installed at {LOCALSTRIPE} (pip install -r requirements.txt)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    log = (workdir / "localstripe.log").open("wb")
    # localstripe's own app, bound to loopback by our launcher (its CLI binds every interface),
    # from an empty store.
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "marketplace.payments.devstripe", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=PROJECT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not _answers(base):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.skip(f"localstripe could not start on port {port}: see {workdir / 'localstripe.log'}")
        time.sleep(0.1)
    yield base
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def stripe_settings(settings, localstripe_url):
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    settings.STRIPE_SECRET_KEY = "sk_test_onewindow_tests"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_onewindow_tests"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_onewindow_tests"
    settings.PLATFORM_FEE_PERCENT = 5
    return settings


@pytest.fixture
def deal(db, catalogue):
    """(order awaiting payment for ¥48,000.00, buyer user, provider owner, staff)."""
    enterprise, buyer = make_buyer()
    category = catalogue.get(code="eia")
    reviewer = staff_user()
    provider = make_certified_provider(categories=[category], reviewer=reviewer, name="Paid Provider")
    order = make_service_order(enterprise=enterprise, buyer=buyer, provider=provider, category=category)
    return order, buyer, provider.memberships.first().user, reviewer
