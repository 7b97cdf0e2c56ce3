"""Whole pages (marketplace/core/page_cache.py): a public page for every visitor who is not signed in,
a signed-in person's own page for their session alone; served from the cache until a committed write
to a table the page was made from retires it.

The tests commit for real (``transactional_db``): a page is retired when a write commits, which a
test wrapped in one transaction never does.
"""

import re
import threading

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from marketplace.catalogue.models import Product
from marketplace.core import table_versions
from marketplace.core.models import Notification
from marketplace.core.notify import notify, unread_cache_key
from marketplace.core.page_cache import CACHE_HEADER, PageCacheMiddleware
from tests.factories.accounts import UserFactory
from tests.factories.hiring import make_buyer, make_service_order
from tests.factories.listings import make_search_listing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("page_cache_on")]


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


def test_a_token_evicted_from_the_cache_never_revives_an_old_page(client, listing):
    """The cache may evict a table's token at any time; a page kept under any earlier token must stay
    retired, however many changes come after."""
    client.get(listing.get_absolute_url())
    listing.title = "Second edition"
    listing.save()
    cache.delete(table_versions.key(Product._meta.db_table))  # evicted
    listing.title = "Third edition"
    listing.save()
    page = client.get(listing.get_absolute_url())
    assert page[CACHE_HEADER] == "miss" and "Third edition" in page.content.decode()
    cache.delete_many([table_versions.key(t) for t in table_versions.known_tables()])  # all of them
    page = client.get(listing.get_absolute_url())
    assert CACHE_HEADER not in page or page[CACHE_HEADER] == "miss"
    assert client.get(listing.get_absolute_url())[CACHE_HEADER] == "hit"


def test_writes_that_bypass_model_signals_retire_the_page_at_once(client, listing):
    """QuerySet.update, raw SQL and bulk_create send no model signal; the statements are seen."""
    url = listing.get_absolute_url()
    client.get(url)
    Product.objects.filter(pk=listing.pk).update(title="Updated in bulk")
    page = client.get(url)
    assert page[CACHE_HEADER] == "miss" and "Updated in bulk" in page.content.decode()
    with connection.cursor() as cursor:
        table = Product._meta.db_table
        cursor.execute(f"UPDATE {table} SET title = %s WHERE id = %s", ["Raw SQL title", listing.pk])  # noqa: S608
    page = client.get(url)
    assert page[CACHE_HEADER] == "miss" and "Raw SQL title" in page.content.decode()


def test_a_write_that_commits_while_the_page_is_made_retires_it(rf, listing):
    """The tokens are read before the page is made: a change committed by someone else between the
    page's read and its storing must not leave the old page served as current."""

    def view(request):
        title = Product.objects.get(pk=listing.pk).title  # read the old title
        writer = threading.Thread(target=_rename, args=(listing.pk, "Renamed meanwhile"))
        writer.start()
        writer.join()  # committed (and retired) before this page is stored
        return HttpResponse(f"<p>{title}</p>", content_type="text/html")

    middleware = PageCacheMiddleware(view)
    first = middleware(rf.get("/racing/"))
    assert b"Groundwater" in first.content
    second = middleware(rf.get("/racing/"))
    assert second.get(CACHE_HEADER) != "hit"
    assert b"Renamed meanwhile" in second.content


def _rename(pk, title):
    try:
        Product.objects.filter(pk=pk).update(title=title)
    finally:
        connection.close()


def test_a_change_that_never_commits_retires_nothing(client, listing):
    client.get(listing.get_absolute_url())
    with pytest.raises(RuntimeError), transaction.atomic():
        listing.title = "Never published"
        listing.save()
        raise RuntimeError("rolled back")
    page = client.get(listing.get_absolute_url())
    assert page[CACHE_HEADER] == "hit" and "Never published" not in page.content.decode()


def test_writes_to_tables_the_page_was_not_made_from_keep_it(client, listing):
    from django.contrib.sessions.backends.db import SessionStore

    url = listing.get_absolute_url()
    client.get(url)
    session = SessionStore()
    session["anything"] = 1
    session.save()
    owner = UserFactory()  # an account and a notification the listing page does not show
    Notification.objects.create(
        user=owner, kind=Notification.Kind.ORDERS, subject={"en": "Hello"}, body={"en": ""}, channel="platform"
    )
    assert client.get(url)[CACHE_HEADER] == "hit"
    listing.stockrecords.update(price="12345.00")  # the price it does show
    page = client.get(url)
    assert page[CACHE_HEADER] == "miss" and "12,345" in page.content.decode()


def test_a_page_whose_making_writes_is_not_kept(rf, listing):
    """A GET that records something (a read mark, say) must do so every time: it is never served
    from the cache."""

    def view(request):
        Product.objects.filter(pk=listing.pk).update(title="Seen")
        return HttpResponse("<p>page</p>", content_type="text/html")

    middleware = PageCacheMiddleware(view)
    middleware(rf.get("/writes/"))
    assert CACHE_HEADER not in middleware(rf.get("/writes/"))


def test_a_page_that_counts_against_a_rate_limit_is_not_kept(rf):
    from signing import ratelimit

    def view(request):
        ratelimit.hit(request, scope="test", limit=100)
        return HttpResponse("<p>page</p>", content_type="text/html")

    middleware = PageCacheMiddleware(view)
    middleware(rf.get("/limited/"))
    assert CACHE_HEADER not in middleware(rf.get("/limited/"))


# --- A signed-in person's own pages --------------------------------------------------------------


@pytest.fixture
def ordering(buyer, providers):
    enterprise, owner = buyer
    order = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    return owner, order


def _kept_orders_page(owner) -> Client:
    """A client signed in as ``owner`` whose orders page has been made once (and so is kept)."""
    client = Client()
    client.force_login(owner)
    client.get("/orders/")
    return client


def test_a_signed_in_persons_page_is_kept_for_their_session_alone(ordering, buyer):
    owner, order = ordering
    mine = Client()
    mine.force_login(owner)
    assert mine.get("/orders/")[CACHE_HEADER] == "miss"
    again = mine.get("/orders/")
    assert again[CACHE_HEADER] == "hit" and order.order.number in again.content.decode()
    _other_enterprise, stranger = make_buyer()
    theirs = Client()
    theirs.force_login(stranger)
    page = theirs.get("/orders/")
    assert page[CACHE_HEADER] == "miss" and order.order.number not in page.content.decode()
    other_session = Client()
    other_session.force_login(owner)
    assert other_session.get("/orders/")[CACHE_HEADER] == "miss"  # the same person, another session
    anonymous = Client().get("/orders/")
    assert anonymous.status_code == 302 and CACHE_HEADER not in anonymous


def test_a_signed_in_page_never_reaches_a_visitor_and_back(client, listing, buyer):
    _enterprise, owner = buyer
    client.force_login(owner)
    client.get(listing.get_absolute_url())
    mine = client.get(listing.get_absolute_url())
    assert mine[CACHE_HEADER] == "hit" and "Log out" in mine.content.decode()
    client.logout()
    client.cookies.clear()
    anonymous = client.get(listing.get_absolute_url())
    assert anonymous[CACHE_HEADER] == "miss"
    assert "Log out" not in anonymous.content.decode()


def test_a_change_to_the_persons_own_data_retires_their_page(ordering):
    owner, order = ordering
    client = _kept_orders_page(owner)
    order.title = "Safety assessment, revised"
    order.save()
    page = client.get("/orders/")
    assert page[CACHE_HEADER] == "miss" and "revised" in page.content.decode()


def test_a_new_notification_shows_in_the_header_of_a_kept_page(ordering):
    """The unread badge is read from the cache, not the database: the page still depends on it."""
    owner, _order = ordering
    client = _kept_orders_page(owner)
    assert client.get("/orders/")[CACHE_HEADER] == "hit"
    before = _unread_badge(client.get("/orders/"))
    with transaction.atomic():
        notify(recipients=[owner.email], subject="Order news", body="Something happened.")
    page = client.get("/orders/")
    assert page[CACHE_HEADER] == "miss" and _unread_badge(page) == before + 1


def test_the_badge_follows_its_count_when_the_count_was_evicted_and_when_it_is_read(ordering):
    owner, _order = ordering
    client = _kept_orders_page(owner)
    cache.delete(unread_cache_key(owner))  # evicted: the next notification cannot add one to it
    with transaction.atomic():
        notify(recipients=[owner.email], subject="Order news", body="Something happened.")
    page = client.get("/orders/")
    assert page[CACHE_HEADER] == "miss" and _unread_badge(page) == 1
    assert client.post(reverse("notifications:read-all")).status_code == 302
    page = client.get("/orders/")
    assert CACHE_HEADER not in page or page[CACHE_HEADER] != "hit"
    assert _unread_badge(page) == 0


def test_someone_elses_notification_or_login_keeps_a_persons_page(ordering):
    """Notifications and logins are the platform's most frequent writes: a page holds one person's
    unread count and account, not the whole tables."""
    owner, _order = ordering
    client = _kept_orders_page(owner)
    someone = UserFactory()
    with transaction.atomic():
        notify(recipients=[someone.email], subject="Their news", body="Not yours.")
    Client().force_login(someone)  # writes their last_login
    assert client.get("/orders/")[CACHE_HEADER] == "hit"


def _unread_badge(response) -> int:
    found = re.search(r'data-unread="(\d+)"', response.content.decode())
    return int(found.group(1)) if found else 0


def test_a_deactivated_account_is_not_served_its_kept_page(ordering):
    owner, _order = ordering
    client = _kept_orders_page(owner)
    owner.is_active = False
    owner.save()
    page = client.get("/orders/")
    assert page.status_code == 302 and CACHE_HEADER not in page


def test_a_message_waiting_for_a_signed_in_person_is_shown_not_skipped(ordering):
    owner, _order = ordering
    client = _kept_orders_page(owner)
    assert client.get("/orders/")[CACHE_HEADER] == "hit"
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(message_levels.SUCCESS, "Your quote was sent.")
    flashed = HttpResponse()
    storage.update(flashed)
    client.cookies["messages"] = flashed.cookies["messages"].value
    page = client.get("/orders/")
    assert CACHE_HEADER not in page
    assert "Your quote was sent." in page.content.decode()


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
    from django.middleware.csrf import get_token

    def view(request):
        return HttpResponse(f"<script>const token = '{get_token(request)}';</script>", content_type="text/html")

    middleware = PageCacheMiddleware(view)
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


def test_an_unreachable_cache_makes_the_page_as_if_there_were_none(client, listing, monkeypatch, caplog):
    """The cache failing is simulated (Redis cannot be stopped on cue here): the page cache only saves
    work, so a visitor gets the page, never an error."""
    from marketplace.core import page_cache

    def fail(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(page_cache.cache, "get", fail)
    page = client.get(listing.get_absolute_url())
    assert page.status_code == 200 and CACHE_HEADER not in page
    assert "Groundwater EIA report" in page.content.decode()
    assert "Page cache unreachable" in caplog.text
    monkeypatch.undo()
    monkeypatch.setattr(page_cache.cache, "set", fail)  # read works, keeping fails
    page = client.get(listing.get_absolute_url())
    assert page.status_code == 200 and CACHE_HEADER not in page
