"""The public results list (``/requests/results/``) and its Atom feed: requests in their publicity period,
awarded, failed and cancelled — never open ones or ones still waiting for the buyer's choice — with the
filters a citizen narrows them by, a clear message for a filter that makes no sense, and the same list
in a feed reader. Every request is brought to its status through the real services."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.procurement import selectors, services
from marketplace.procurement.models import RequestForQuotes
from tests.factories import make_addressed_request, make_listing, make_quote, make_request, provider_owner

R = RequestForQuotes.Status
pytestmark = pytest.mark.django_db

RESULTS = reverse("procurement:results")
FEED = reverse("procurement:results-feed")
ATOM = "{http://www.w3.org/2005/Atom}"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def later(hours):
    return timezone.now() + datetime.timedelta(hours=hours)


# --- requests brought to each status through the services ----------------------------------------


def publicity(buyer, category, providers, title="Publicity EIA", **extra):
    """Closed by lowest price: providers[0] selected at ¥52000, providers[1] (¥61000) lost."""
    enterprise, owner = buyer
    rfq = make_request(enterprise=enterprise, user=owner, category=category, title=title, **extra)
    make_quote(rfq, providers[0], price="52000")
    make_quote(rfq, providers[1], price="61000")
    return services.request_close(request=rfq, now=later(49))


def awarded(buyer, category, providers, title="Awarded EIA", at=None, **extra):
    rfq = publicity(buyer, category, providers, title=title, **extra)
    assert services.request_award(request=rfq, now=at or later(49 + 24 * 3 + 1)) is not None
    rfq.refresh_from_db()
    return rfq


def failed(buyer, category, title="Failed EIA", **extra):
    """Nobody quoted, even after the one extension."""
    enterprise, owner = buyer
    rfq = make_request(enterprise=enterprise, user=owner, category=category, title=title, **extra)
    services.request_close(request=rfq, now=later(49))
    rfq = services.request_close(request=rfq, now=later(49 + 24 * 4))
    assert rfq.status == R.FAILED
    return rfq


def cancelled(buyer, category, providers, staff, title="Cancelled EIA"):
    rfq = publicity(buyer, category, providers, title=title)
    objection = services.objection_file(
        request=rfq, user=provider_owner(providers[1]), reason="The scope is wrong.", now=later(50)
    )
    services.objection_decide(
        objection=objection, user=staff, uphold=True, decision="The request was flawed.", outcome="cancel"
    )
    rfq.refresh_from_db()
    assert rfq.status == R.CANCELLED
    return rfq


def still_open(buyer, category, providers, title="Open EIA"):
    enterprise, owner = buyer
    rfq = make_request(enterprise=enterprise, user=owner, category=category, title=title)
    make_quote(rfq, providers[0], price="50000")
    return rfq


def choosing(buyer, category, providers, title="Choosing EIA"):
    """Direct choice, closed, but the buyer has not picked: no result yet."""
    enterprise, owner = buyer
    rfq = make_request(enterprise=enterprise, user=owner, category=category, title=title, method="direct")
    make_quote(rfq, providers[0], price="50000")
    rfq = services.request_close(request=rfq, now=later(49))
    assert rfq.status == R.CHOOSING
    return rfq


def page(client, url=RESULTS, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def listed(client, **params) -> list[str]:
    """The request titles listed on the results page with ``params``, in their order."""
    rows = page(client, **params).split('<tr class="rfq-result-row')[1:]
    return [row.split("</a>")[0].rsplit(">", 1)[1] for row in rows]


def titles(client, **params) -> set[str]:
    return set(listed(client, **params))


def feed(client, url=FEED, **params) -> ET.Element:
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314 - the platform's own feed, in a test


# --- what is listed -------------------------------------------------------------------------------


def test_every_result_status_is_listed_for_an_anonymous_visitor_and_no_open_or_undecided_request(
    client, buyer, category, providers, staff
):
    publicity(buyer, category, providers)
    awarded(buyer, category, providers)
    failed(buyer, category)
    cancelled(buyer, category, providers, staff)
    still_open(buyer, category, providers)
    choosing(buyer, category, providers)

    html = page(client)
    assert titles(client) == {"Publicity EIA", "Awarded EIA", "Failed EIA", "Cancelled EIA"}
    assert "4 results" in html
    for label in ("In the publicity period until", "Awarded", "Failed: too few valid quotes", "Cancelled"):
        assert label in html
    assert "Open EIA" not in html and "Choosing EIA" not in html


def test_a_row_shows_the_winner_and_price_links_to_the_request_and_nothing_private(client, buyer, category, providers):
    enterprise, owner = buyer
    won = awarded(buyer, category, providers)
    selected = publicity(buyer, category, providers, title="Selected EIA")
    html = page(client)
    for rfq in (won, selected):
        assert f'href="{rfq.get_absolute_url()}"' in html
    assert providers[0].name in html and "¥52000.00" in html and enterprise.name in html
    assert "selected, not yet awarded" in html  # the one still in its publicity period
    # The losing quote and its provider, and any person, stay on the request's own page.
    assert providers[1].name not in html and "¥61000" not in html
    assert owner.email not in html and provider_owner(providers[0]).email not in html


def test_a_result_of_a_request_addressed_to_one_provider_is_listed_and_marked(client, buyer, category, providers):
    enterprise, owner = buyer
    listing = make_listing(providers[0], category, price=Decimal("68000"), pricing_mode="from", title="EIA report")
    rfq = make_addressed_request(enterprise, owner, listing)
    quote = make_quote(rfq, providers[0], price="72000")
    services.request_choose(request=rfq, user=owner, quote_id=quote.pk)
    html = page(client)
    assert "Survey" in titles(client) and "Addressed to one provider" in html and "¥72000.00" in html


def test_the_latest_result_comes_first_and_the_list_pages_with_its_filters(client, buyer, category, providers):
    for n in range(21):
        failed(buyer, category, title=f"Failed {n:02d}", method="scored")
    assert listed(client, method="scored") == [f"Failed {n:02d}" for n in range(20, 0, -1)]
    html = page(client, method="scored")
    assert "?method=scored&amp;page=2" in html
    assert titles(client, method="scored", page=2) == {"Failed 00"}


# --- filters --------------------------------------------------------------------------------------


def test_each_filter_narrows_the_list(client, buyer, category, catalogue, providers, staff):
    safety = catalogue.get(code="surveying")
    publicity(buyer, category, providers)  # EIA, Beijing, lowest price
    awarded(buyer, category, providers, method="scored")
    failed(buyer, safety, title="Safety in Suzhou", region="320500")
    failed(buyer, safety, title="Safety in Nanjing", region="320100", method="random_draw")
    cancelled(buyer, category, providers, staff)

    assert titles(client, category=safety.pk) == {"Safety in Suzhou", "Safety in Nanjing"}
    assert titles(client, category=category.pk) == {"Publicity EIA", "Awarded EIA", "Cancelled EIA"}
    # A province holds its cities; a city only itself.
    assert titles(client, region="320000") == {"Safety in Suzhou", "Safety in Nanjing"}
    assert titles(client, region="320500") == {"Safety in Suzhou"}
    assert titles(client, region="110000") == {"Publicity EIA", "Awarded EIA", "Cancelled EIA"}
    assert titles(client, method="scored") == {"Awarded EIA"}
    assert titles(client, method="random_draw") == {"Safety in Nanjing"}
    assert titles(client, status="publicity") == {"Publicity EIA"}
    assert titles(client, status="failed") == {"Safety in Suzhou", "Safety in Nanjing"}
    assert titles(client, status="cancelled") == {"Cancelled EIA"}
    # Filters combine.
    assert titles(client, category=safety.pk, region="320000", method="lowest_price") == {"Safety in Suzhou"}
    html = page(client, category=safety.pk, method="scored")
    assert titles(client, category=safety.pk, method="scored") == set()
    assert "No result matches these filters." in html and "0 results" in html


def test_the_date_filter_bounds_the_result_date_both_ends_included(client, buyer, category, providers):
    """The award is dated by its own clock (ten days ahead); the other results by when they happened."""
    award_at = timezone.localtime() + datetime.timedelta(days=10)
    awarded(buyer, category, providers, at=award_at)
    publicity(buyer, category, providers)
    failed(buyer, category)
    today = timezone.localdate()
    award_day = award_at.date()

    assert titles(client, date_from=award_day.isoformat()) == {"Awarded EIA"}
    assert titles(client, date_from=award_day.isoformat(), date_to=award_day.isoformat()) == {"Awarded EIA"}
    assert titles(client, date_to=today.isoformat()) == {"Publicity EIA", "Failed EIA"}
    assert titles(client, date_from=today.isoformat(), date_to=today.isoformat()) == {"Publicity EIA", "Failed EIA"}
    next_day = (award_day + datetime.timedelta(days=1)).isoformat()
    assert titles(client, date_from=next_day) == set()
    rows = selectors.published_results(date_from=award_day)
    assert [row.title for row in rows] == ["Awarded EIA"] and timezone.localtime(rows[0].result_at).date() == award_day


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-02-30"}, "“2026-02-30” is not a date: enter it as YYYY-MM-DD"),
        ({"date_to": "yesterday"}, "“yesterday” is not a date: enter it as YYYY-MM-DD"),
        ({"date_from": "2026-05-01", "date_to": "2026-01-01"}, "The “to” date is before the “from” date"),
        ({"method": "lottery"}, "“lottery” is not a selection method; choose one from the list."),
        ({"status": "open"}, "“open” is not an outcome; choose one from the list."),
        ({"region": "999999"}, "“999999” is not a region on this platform"),
        ({"category": "abc"}, "There is no such service item; choose one from the list."),
        ({"category": "999999"}, "There is no such service item; choose one from the list."),
        ({"date_from": "0001-01-01"}, "Enter a date between 1900-01-01 and 2999-12-31."),
        ({"date_to": "9999-12-31"}, "Enter a date between 1900-01-01 and 2999-12-31."),
    ],
)
def test_a_filter_that_makes_no_sense_is_named_and_left_out_not_an_error_page(
    client, buyer, category, providers, params, message
):
    publicity(buyer, category, providers)
    html = page(client, **params)
    assert message in html
    assert "Some filters could not be applied, so the list below leaves them out:" in html
    assert titles(client, **params) == {"Publicity EIA"}  # the rest of the list is still there
    # The feed refuses the same filters, with the same message, rather than widening quietly.
    response = client.get(FEED, params)
    assert response.status_code == 400 and message in response.content.decode()


def test_a_bad_filter_beside_a_good_one_leaves_the_good_one_applied(client, buyer, category, providers):
    publicity(buyer, category, providers)
    failed(buyer, category, method="scored")
    assert titles(client, method="scored", date_to="31/12/2026") == {"Failed EIA"}


def test_an_out_of_range_page_number_shows_the_last_page(client, buyer, category, providers):
    publicity(buyer, category, providers)
    assert titles(client, page="99") == {"Publicity EIA"} and titles(client, page="x") == {"Publicity EIA"}


def test_with_no_results_yet_the_page_says_so(client, buyer, category, providers):
    still_open(buyer, category, providers)
    assert "No results have been published yet." in page(client)


# --- Chinese, navigation --------------------------------------------------------------------------


def test_the_chinese_page_renders_in_chinese_and_links_to_chinese_request_pages(client, buyer, category, providers):
    rfq = publicity(buyer, category, providers)
    html = page(client, "/zh-hans" + RESULTS)
    assert '<html lang="zh-hans"' in html
    assert "北京市" in html and category.name_zh in html and providers[0].name_zh in html
    assert f'href="/zh-hans/requests/{rfq.pk}/"' in html
    assert 'href="/zh-hans/requests/results/feed/"' in html
    root = feed(client, "/zh-hans" + FEED)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-hans"
    link = root.find(f"{ATOM}entry/{ATOM}link").get("href")
    assert link == f"{settings.PUBLIC_BASE_URL}/zh-hans/requests/{rfq.pk}/"


def test_the_open_list_and_the_site_navigation_link_to_the_results(client):
    for path in (reverse("procurement:list"), reverse("home")):
        assert f'href="{RESULTS}"' in page(client, path)


# --- the Atom feed --------------------------------------------------------------------------------


def test_the_page_announces_its_feed_with_the_same_filters(client, buyer, category, providers):
    publicity(buyer, category, providers)
    html = page(client, method="lowest_price", status="publicity", date_to="bad")
    # Only the filters applied: the bad date is left out of the feed link as it is of the list.
    expected = f"{FEED}?method=lowest_price&amp;status=publicity"
    title = "Results of requests for quotes (Atom feed)"
    assert f'<link rel="alternate" type="application/atom+xml" title="{title}" href="{expected}">' in html


def test_the_feed_is_atom_with_one_entry_per_result_and_absolute_links(client, buyer, category, providers, staff):
    selected = publicity(buyer, category, providers)
    won = awarded(buyer, category, providers)
    gone = failed(buyer, category)
    called_off = cancelled(buyer, category, providers, staff)
    still_open(buyer, category, providers)
    choosing(buyer, category, providers)

    root = feed(client)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "Results of requests for quotes — OneWindow"
    assert root.find(f"{ATOM}id").text == settings.PUBLIC_BASE_URL + RESULTS
    assert root.find(f"{ATOM}author/{ATOM}name").text == "OneWindow"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": settings.PUBLIC_BASE_URL + RESULTS, "self": settings.PUBLIC_BASE_URL + FEED}
    entries = {entry.find(f"{ATOM}link").get("href"): entry for entry in root.findall(f"{ATOM}entry")}
    expected = {settings.PUBLIC_BASE_URL + rfq.get_absolute_url(): rfq for rfq in (selected, won, gone, called_off)}
    assert set(entries) == set(expected)
    for href, entry in entries.items():
        rfq = expected[href]
        assert entry.find(f"{ATOM}id").text == f"{href}#result-{rfq.status}"
        assert entry.find(f"{ATOM}title").text.endswith(f": {rfq.title}")
        assert entry.find(f"{ATOM}updated").text and entry.find(f"{ATOM}published").text
        assert entry.find(f"{ATOM}category").get("term") == category.name
        assert entry.find(f"{ATOM}summary").get("type") == "html"
    won_entry = entries[settings.PUBLIC_BASE_URL + won.get_absolute_url()]
    assert won_entry.find(f"{ATOM}title").text == "Awarded: Awarded EIA"
    summary = won_entry.find(f"{ATOM}summary").text
    assert f"Awarded to: {providers[0].name}" in summary and "¥52000.00" in summary
    assert providers[1].name not in summary
    # The latest result first: the award is dated at its own (later) clock.
    assert root.findall(f"{ATOM}entry")[0] is won_entry
    assert root.find(f"{ATOM}updated").text == won_entry.find(f"{ATOM}updated").text


def test_the_feed_honours_the_filters_and_says_so_in_its_links(client, buyer, category, catalogue, providers):
    safety = catalogue.get(code="surveying")
    publicity(buyer, category, providers)
    gone = failed(buyer, safety, title="Safety in Suzhou", region="320500")
    root = feed(client, category=safety.pk, region="320000")
    hrefs = [entry.find(f"{ATOM}link").get("href") for entry in root.findall(f"{ATOM}entry")]
    assert hrefs == [settings.PUBLIC_BASE_URL + gone.get_absolute_url()]
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"] == f"{settings.PUBLIC_BASE_URL}{FEED}?category={safety.pk}&region=320000"
    assert links["alternate"] == f"{settings.PUBLIC_BASE_URL}{RESULTS}?category={safety.pk}&region=320000"
    assert feed(client, status="cancelled").findall(f"{ATOM}entry") == []


# --- query count ----------------------------------------------------------------------------------


def statements(client, url) -> int:
    """SQL statements of a second visit (the first may fill caches), transaction control left out."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return sum(1 for query in captured if not query["sql"].upper().startswith(TRANSACTION_CONTROL))


@pytest.mark.parametrize(
    "url", [RESULTS, RESULTS + "?status=awarded&date_from=2000-01-01", FEED], ids=["page", "filtered", "feed"]
)
def test_the_page_and_the_feed_cost_the_same_statements_for_one_result_or_many(
    client, buyer, category, providers, staff, url
):
    """The rows and their current selections with winners (one prefetch); on the page also the count and
    the filter's list of service items (a category filter reads its category once more)."""
    awarded(buyer, category, providers)
    one = statements(client, url)
    assert one <= 4
    for n in range(3):
        awarded(buyer, category, providers, title=f"Awarded {n}")
        publicity(buyer, category, providers, title=f"Selected {n}")
        failed(buyer, category, title=f"Failed {n}")
    cancelled(buyer, category, providers, staff)
    assert statements(client, url) == one
