"""Small things a newcomer trips over: the favicon, links that follow `make demo PORT=…`, and the
usual grades and price units in Chinese."""

import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import make_listing

ROOT = Path(__file__).parents[2]


@pytest.mark.django_db
def test_the_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url == settings.STATIC_URL + "img/favicon.svg"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, ["PORT=8123"], "PUBLIC_BASE_URL=http://127.0.0.1:8123"),
        ({}, ["HOST=0.0.0.0", "PORT=9000"], "PUBLIC_BASE_URL=http://0.0.0.0:9000"),
        ({"PUBLIC_BASE_URL": "https://onewindow.example"}, ["PORT=8123"], "PUBLIC_BASE_URL=https://onewindow.example"),
    ],
)
def test_make_demo_links_to_where_it_serves_unless_told(env, args, expected):
    """What `make demo` would run (make -n): the seeding and the server both get the address."""
    environment = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"} | env
    plan = subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("make"), "-n", "demo", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    seeding = next(line for line in plan.splitlines() if "load_demo" in line)
    assert expected in seeding and plan.count(expected) == 2


@pytest.mark.django_db
def test_usual_grades_and_units_read_in_chinese(client, category, providers):
    listing = make_listing(providers[0], category, price=Decimal("35000"))
    listing_url, profile_url = listing.get_absolute_url(), providers[0].get_absolute_url()
    page = client.get("/zh-hans" + listing_url).content.decode()
    assert "每项目" in page and "per project" not in page
    profile = client.get("/zh-hans" + profile_url).content.decode()
    assert "甲级" in profile and "Grade A" not in profile


@pytest.mark.django_db
def test_an_order_reads_its_service_in_the_readers_language(client, category, providers):
    """The order keeps both titles of the listing it was placed from; a later rename changes neither."""
    from marketplace.hiring.models import ServiceOrder
    from tests.factories.ratings import rate_listing

    listing = make_listing(providers[0], category, price=Decimal("35000"))
    rate_listing(listing, 5)  # a buyer orders the listing (and rates it)
    so = ServiceOrder.objects.get(product=listing)
    assert (so.title, so.title_zh) == ("Environmental impact report", "环境影响报告书编制")
    listing.title_zh = "改名后的服务"
    listing.save()
    client.force_login(so.buyer)
    chinese = client.get("/zh-hans" + so.get_absolute_url()).content.decode()
    assert "环境影响报告书编制" in chinese and "Environmental impact report" not in chinese
    assert "环境影响报告书编制" in client.get("/zh-hans/orders/").content.decode()
    with translation.override("en"):
        assert "Environmental impact report" in client.get(so.get_absolute_url()).content.decode()
