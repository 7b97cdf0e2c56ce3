"""Whole public pages for visitors who are not signed in (marketplace/core/page_cache.py): served from
the cache until a committed write retires them, and never a page that holds one visitor's state.

The tests commit for real (``transactional_db``): a page is retired when a write commits, which a
test wrapped in one transaction never does.
"""

import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from marketplace.core.page_cache import CACHE_HEADER
from tests.factories.hiring import make_buyer
from tests.factories.listings import make_search_listing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def listing(catalogue):
    return make_search_listing(title="Groundwater EIA report")


def test_a_public_page_is_rendered_once_then_served_from_the_cache(client, listing):
    first = client.get(listing.get_absolute_url())
    second = client.get(listing.get_absolute_url())
    assert first.status_code == second.status_code == 200
    assert first[CACHE_HEADER] == "miss" and second[CACHE_HEADER] == "hit"
    assert _token(second) != _token(first)
    assert second.content.replace(_token(second).encode(), b"") == first.content.replace(_token(first).encode(), b"")
    assert second["Content-Type"] == first["Content-Type"]
    assert second["X-Frame-Options"] == "DENY"  # headers set inside the cache travel with the page


def test_a_committed_change_retires_the_page_at_once(client, listing):
    client.get(listing.get_absolute_url())
    with transaction.atomic():  # one retirement for the whole transaction
        listing.title = "Groundwater EIA report, second edition"
        listing.save()
        listing.save()
    page = client.get(listing.get_absolute_url())
    assert page[CACHE_HEADER] == "miss"
    assert "second edition" in page.content.decode()


def test_a_generation_evicted_from_the_cache_never_revives_an_old_page(client, listing):
    """The cache may evict the generation at any time; what is cached under any earlier generation
    must stay retired, however many changes come after."""
    from marketplace.core.page_cache import GENERATION_KEY

    client.get(listing.get_absolute_url())
    listing.title = "Second edition"
    listing.save()
    cache.delete(GENERATION_KEY)  # evicted
    listing.title = "Third edition"
    listing.save()
    page = client.get(listing.get_absolute_url())
    assert page[CACHE_HEADER] == "miss" and "Third edition" in page.content.decode()


def test_a_change_that_never_commits_retires_nothing(client, listing):
    client.get(listing.get_absolute_url())
    with pytest.raises(RuntimeError), transaction.atomic():
        listing.title = "Never published"
        listing.save()
        raise RuntimeError("rolled back")
    page = client.get(listing.get_absolute_url())
    assert page[CACHE_HEADER] == "hit" and "Never published" not in page.content.decode()


def test_writes_no_public_page_shows_keep_the_cache(client, listing):
    from django.contrib.sessions.backends.db import SessionStore

    client.get("/")
    session = SessionStore()
    session["anything"] = 1
    session.save()
    assert client.get("/")[CACHE_HEADER] == "hit"
    _enterprise, owner = make_buyer()  # an enterprise is public
    assert client.get("/")[CACHE_HEADER] == "miss"
    client.force_login(owner)  # writes only the login's time (and a session)
    client.logout()
    client.cookies.clear()
    assert client.get("/")[CACHE_HEADER] == "hit"
    owner.first_name = "Renamed"
    owner.save()
    assert client.get("/")[CACHE_HEADER] == "miss"


def test_a_signed_in_person_never_gets_or_leaves_a_cached_page(client, listing, buyer):
    _enterprise, owner = buyer
    client.force_login(owner)
    client.get(listing.get_absolute_url())
    mine = client.get(listing.get_absolute_url())
    assert CACHE_HEADER not in mine
    assert "Log out" in mine.content.decode()
    client.logout()
    client.cookies.clear()
    anonymous = client.get(listing.get_absolute_url())
    assert anonymous[CACHE_HEADER] == "miss"
    assert "Log out" not in anonymous.content.decode()


def _token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def test_a_page_with_a_form_gives_each_visitor_their_own_working_token(listing):
    """The listing's hire form posts: one visitor's token must never reach another, and the token a
    visitor is served from the cache must pass the CSRF check with the cookie that comes with it."""
    first_visitor, second_visitor = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first = first_visitor.get(listing.get_absolute_url())
    second = second_visitor.get(listing.get_absolute_url())
    assert first[CACHE_HEADER] == "miss" and second[CACHE_HEADER] == "hit"
    assert _token(first) != _token(second)
    secret = first_visitor.cookies["csrftoken"].value
    assert secret not in second.content.decode()
    assert second_visitor.cookies["csrftoken"].value != secret
    add = reverse("cart-add", kwargs={"pk": listing.pk})
    added = second_visitor.post(add, {"csrfmiddlewaretoken": _token(second)})
    assert added.status_code == 302  # into the cart, not a 403
    refused = second_visitor.post(add, {"csrfmiddlewaretoken": _token(first)})
    assert refused.status_code == 403


def test_a_token_written_anywhere_but_a_form_field_is_never_cached(client, rf, settings):
    """Fail closed: a page that shows its token some other way (say, in a script) is not shared."""
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from marketplace.core.page_cache import AnonymousPageCacheMiddleware

    def view(request):
        return HttpResponse(f"<script>const token = '{get_token(request)}';</script>", content_type="text/html")

    middleware = AnonymousPageCacheMiddleware(view)
    request = rf.get("/somewhere/")
    request.META["CSRF_COOKIE"] = "s" * 32
    assert CACHE_HEADER not in middleware(request)
    assert CACHE_HEADER not in middleware(rf.get("/somewhere/"))


def test_each_language_and_display_mode_has_its_own_page(client, listing):
    english = listing.get_absolute_url()
    assert client.get(english)[CACHE_HEADER] == "miss"
    chinese = client.get("/zh-hans" + english)
    assert chinese[CACHE_HEADER] == "miss" and 'lang="zh-hans"' in chinese.content.decode()
    client.cookies["ow_care"] = "on"
    care = client.get(english)
    assert care[CACHE_HEADER] == "miss" and 'aria-pressed="true"' in care.content.decode()
    assert client.get(english)[CACHE_HEADER] == "hit"
    del client.cookies["ow_care"]
    plain = client.get(english)
    assert plain[CACHE_HEADER] == "hit" and 'aria-pressed="false"' in plain.content.decode()


def test_a_visitor_with_a_cookie_it_does_not_know_is_not_served_from_the_cache(client, listing):
    """A flash message waits in the ``messages`` cookie; the cached page would lose it."""
    client.get("/")
    client.cookies["messages"] = "anything"
    assert CACHE_HEADER not in client.get("/")


def test_query_strings_are_part_of_the_address(client, catalogue):
    make_search_listing(title="Soil survey", category="surveying")
    make_search_listing(title="Groundwater EIA report")
    soil = client.get("/search/?q=soil")
    water = client.get("/search/?q=groundwater")
    assert soil[CACHE_HEADER] == water[CACHE_HEADER] == "miss"
    soil, water = client.get("/search/?q=soil"), client.get("/search/?q=groundwater")
    assert soil[CACHE_HEADER] == water[CACHE_HEADER] == "hit"
    assert "/catalogue/soil-survey_" in soil.content.decode()
    assert "/catalogue/soil-survey_" not in water.content.decode()


def test_errors_and_redirects_are_not_cached(client):
    assert CACHE_HEADER not in client.get("/no-such-page/")
    assert CACHE_HEADER not in client.get("/favicon.ico")


def test_off_when_the_setting_is_zero(client, listing, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    assert CACHE_HEADER not in client.get("/")


def test_the_header_switches_carry_no_token_and_keep_the_page(client, listing):
    page = client.get(listing.get_absolute_url()).content.decode()
    switches = page.split('class="language-switcher"')[1].split("</form>")[0]
    assert "csrfmiddlewaretoken" not in switches
    response = client.get(reverse("language-switch"), {"language": "zh-hans", "next": listing.get_absolute_url()})
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans" + listing.get_absolute_url()
    assert client.cookies["django_language"].value == "zh-hans"
    response = client.get(reverse("care-mode"), {"care": "on", "next": listing.get_absolute_url()})
    assert response["Location"] == listing.get_absolute_url() and client.cookies["ow_care"].value == "on"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_the_switches_never_send_a_visitor_to_another_site(client, target):
    assert client.get(reverse("language-switch"), {"language": "en", "next": target})["Location"] == "/"
    assert client.get(reverse("care-mode"), {"care": "on", "next": target})["Location"] == "/"


def test_an_unknown_language_changes_nothing(client):
    response = client.get(reverse("language-switch"), {"language": "xx", "next": "/verify/"})
    assert response["Location"] == "/verify/" and "django_language" not in response.cookies
