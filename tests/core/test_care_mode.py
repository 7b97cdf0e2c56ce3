"""The elder-friendly display switch: a cookie, a page that says it is on, no open redirect."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_switch_sets_and_clears_the_cookie_and_returns_to_the_page(client, catalogue):
    response = client.post(reverse("care-mode"), {"care": "on", "next": "/catalogue/"})
    assert response.status_code == 302 and response["Location"] == "/catalogue/"
    assert client.cookies["ow_care"].value == "on"
    page = client.get("/catalogue/").content.decode()
    assert 'care-mode"' in page.split("<head>")[0] and 'aria-pressed="true"' in page
    client.post(reverse("care-mode"), {"care": "off", "next": "/"})
    assert not client.cookies["ow_care"].value
    assert 'aria-pressed="false"' in client.get("/").content.decode()


def test_it_never_sends_the_visitor_to_another_site(client):
    response = client.post(reverse("care-mode"), {"care": "on", "next": "https://evil.example/"})
    assert response["Location"] == "/"
