"""The staff watch-list pages: who may open them, what they show, Chinese, and flat query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.hiring import services as hiring
from marketplace.procurement import services as procurement
from tests.factories import (
    UserFactory,
    make_buyer,
    make_certified_provider,
    make_listing,
    make_quote,
    make_request,
    provider_owner,
    staff_user,
)
from tests.factories.oversight import (
    approved_qualification,
    days_ago,
    move,
    overdue_invoice_request,
    paid_order,
    rated_order,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "transparency:oversight",
    "transparency:oversight-overdue",
    "transparency:oversight-providers",
    "transparency:oversight-expiring",
    "transparency:oversight-expired",
    "transparency:oversight-objections",
    "transparency:oversight-disputes",
    "transparency:oversight-invoices",
]


@pytest.fixture
def buyer(db):
    return make_buyer(name="Acme Steel", name_zh="顶峰钢铁")


@pytest.fixture
def provider(category):
    return make_certified_provider(categories=[category], name="Prompt Surveys")


@pytest.fixture
def staff_client(client):
    client.force_login(staff_user())
    return client


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("customer:login") in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_signed_in_non_staff_are_refused(client, name):
    client.force_login(UserFactory())
    assert client.get(reverse(name)).status_code == 403


def test_staff_menu_links_to_the_overview(staff_client, client):
    assert reverse("transparency:oversight") in staff_client.get(reverse("home")).content.decode()


def test_non_staff_menu_has_no_oversight_link(client):
    client.force_login(UserFactory())
    assert reverse("transparency:oversight") not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_empty_lists_say_so(staff_client, catalogue, name):
    response = staff_client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    if name == "transparency:oversight":
        assert body.count('class="oversight-count">0<') == 7
    else:
        assert any(
            phrase in body
            for phrase in (
                "No order is overdue.",
                "No provider is below a threshold.",
                "No qualification expires soon.",
                "No expired qualification is behind a published listing.",
                "No objection is open.",
                "No dispute is open.",
                "No invoice request is overdue.",
            )
        )


def test_overdue_page_shows_days_parties_and_links_to_the_order(staff_client, buyer, provider, category):
    late = move(paid_order(buyer, provider, category=category), due_at=timezone.now() - datetime.timedelta(days=12))
    response = staff_client.get(reverse("transparency:oversight-overdue"))
    body = response.content.decode()
    assert [row.pk for row in response.context["rows"]] == [late.pk]
    assert response.context["rows"][0].days_overdue == 12
    assert reverse("hiring:detail", kwargs={"pk": late.pk}) in body
    assert "Acme Steel" in body and "Prompt Surveys" in body and "In service" in body
    # The link leads to a page staff can open.
    assert staff_client.get(reverse("hiring:detail", kwargs={"pk": late.pk})).status_code == 200


def test_providers_page_flags_the_breached_threshold_and_links_to_review(
    settings, staff_client, buyer, provider, category
):
    settings.OVERSIGHT_MIN_SAMPLE = 3
    for stars in (2, 3, 3):
        rated_order(buyer, provider, stars=stars, at=days_ago(3))
    response = staff_client.get(reverse("transparency:oversight-providers"))
    body = response.content.decode()
    assert reverse("providers:review-provider", kwargs={"pk": provider.pk}) in body
    assert body.count("Below threshold") == 1
    assert "2.67" in body and "100%" in body


def test_qualification_pages_show_days_left_and_days_lapsed(staff_client, provider, catalogue):
    surveying = catalogue.get(code="surveying")
    approved_qualification(provider, surveying, days=10)
    body = staff_client.get(reverse("transparency:oversight-expiring")).content.decode()
    assert '<td class="oversight-days">10</td>' in body
    lapsed = approved_qualification(provider, catalogue.get(code="legal"), days=100)
    make_listing(provider, catalogue.get(code="legal"))
    today = timezone.localdate()
    move(lapsed, valid_from=today - datetime.timedelta(days=300), valid_until=today - datetime.timedelta(days=7))
    body = staff_client.get(reverse("transparency:oversight-expired")).content.decode()
    assert '<td class="oversight-days">7</td>' in body and lapsed.certificate_number in body


def test_disputes_page_shows_age_and_links_to_the_order(staff_client, buyer, provider):
    service_order = paid_order(buyer, provider)
    dispute = hiring.dispute_open(service_order=service_order, user=buyer[1], reason="No site visit.")
    move(dispute, created_at=timezone.now() - datetime.timedelta(days=4, hours=2))
    body = staff_client.get(reverse("transparency:oversight-disputes")).content.decode()
    assert '<td class="oversight-days">4</td>' in body
    assert reverse("hiring:detail", kwargs={"pk": service_order.pk}) in body


def test_a_page_number_out_of_range_shows_the_last_page(staff_client, buyer, provider):
    move(paid_order(buyer, provider), due_at=days_ago(2))
    response = staff_client.get(reverse("transparency:oversight-overdue") + "?page=99")
    assert response.status_code == 200 and len(response.context["rows"]) == 1
    assert staff_client.get(reverse("transparency:oversight-overdue") + "?page=x").status_code == 200


def test_the_chinese_overview_and_lists_render_in_chinese(staff_client, buyer, provider):
    move(paid_order(buyer, provider), due_at=days_ago(2))
    with translation.override("zh-hans"):
        overview = staff_client.get(reverse("transparency:oversight"))
        overdue = staff_client.get(reverse("transparency:oversight-overdue"))
    assert overview.status_code == 200 and overview["Content-Language"] == "zh-hans"
    assert "逾期订单" in overview.content.decode()
    assert "顶峰钢铁" in overdue.content.decode()


# --- query counts stay flat as rows grow ---------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(kind, buyer, provider, catalogue, n):
    """Add ``n`` rows to the list ``kind``."""
    for _ in range(n):
        if kind == "overdue":
            move(paid_order(buyer, provider), due_at=days_ago(3))
        elif kind == "disputes":
            hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="Stalled.")
        elif kind == "expiring":
            approved_qualification(provider, catalogue.get(code="surveying"), days=5)
        elif kind == "expired":
            legal = catalogue.get(code="legal")
            holder = make_certified_provider(categories=[catalogue.get(code="eia")])
            lapsed = approved_qualification(holder, legal, days=100)
            make_listing(holder, legal)
            today = timezone.localdate()
            move(
                lapsed, valid_from=today - datetime.timedelta(days=300), valid_until=today - datetime.timedelta(days=2)
            )
        elif kind == "objections":
            eia = catalogue.get(code="eia")
            winner, loser = (make_certified_provider(categories=[eia]) for _ in range(2))
            request = make_request(enterprise=buyer[0], user=buyer[1], category=eia)
            make_quote(request, winner, price="100")
            make_quote(request, loser, price="200")
            later = timezone.now() + datetime.timedelta(hours=50)
            procurement.request_close(request=request, now=later)
            procurement.objection_file(request=request, user=provider_owner(loser), reason="Unfair.", now=later)
        elif kind == "providers":
            poor = make_certified_provider(categories=[catalogue.get(code="eia")])
            for stars in (1, 2, 2):
                rated_order(buyer, poor, stars=stars, at=days_ago(2))
        elif kind == "invoices":
            overdue_invoice_request(buyer, provider)


KINDS = ("overdue", "disputes", "expiring", "providers", "expired", "objections", "invoices")


@pytest.mark.parametrize(
    ("kind", "name", "queries"),
    [
        ("overdue", "transparency:oversight-overdue", 7),
        ("disputes", "transparency:oversight-disputes", 7),
        ("expiring", "transparency:oversight-expiring", 7),
        ("providers", "transparency:oversight-providers", 7),
        ("expired", "transparency:oversight-expired", 7),
        ("objections", "transparency:oversight-objections", 7),
        ("invoices", "transparency:oversight-invoices", 7),
        ("overdue", "transparency:oversight", 6),
    ],
)
def test_query_count_is_flat_as_rows_grow(
    staff_client, buyer, provider, catalogue, kind, name, queries, django_assert_max_num_queries
):
    """User, savepoint pair, the header's cart count and roles, then the list's COUNT and its page
    (the overview: every list counted in one statement): the same for 1 row as for 4."""
    url = reverse(name)
    _grow(kind, buyer, provider, catalogue, 1)
    staff_client.get(url)  # warm per-process caches (site, translations)
    one = _count_queries(staff_client, url)
    _grow(kind, buyer, provider, catalogue, 3)
    with django_assert_max_num_queries(queries):
        assert staff_client.get(url).status_code == 200
    assert _count_queries(staff_client, url) == one


def test_the_overview_counts_every_list_in_one_query_whatever_they_hold(
    staff_client, buyer, provider, catalogue, django_assert_max_num_queries
):
    url = reverse("transparency:oversight")
    staff_client.get(url)
    with CaptureQueriesContext(connection) as empty:
        assert staff_client.get(url).context["counts"] == dict.fromkeys(KINDS, 0)
    for kind in KINDS:
        _grow(kind, buyer, provider, catalogue, 2)
    with django_assert_max_num_queries(len(empty)):
        counts = staff_client.get(url).context["counts"]
    assert counts == dict.fromkeys(KINDS, 2)


# --- CSV -----------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    import csv
    import io

    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_overdue_csv_holds_every_row_with_the_page_figures(staff_client, buyer, provider, category):
    for days in (3, 12):
        move(paid_order(buyer, provider, category=category), due_at=timezone.now() - datetime.timedelta(days=days))
    page = staff_client.get(reverse("transparency:oversight-overdue"))
    response = staff_client.get(reverse("transparency:oversight-overdue") + "?format=csv")
    rows = _csv(response)
    assert "attachment" in response["Content-Disposition"]
    assert rows[0][:3] == ["Order", "Service", "Days overdue"]
    assert [row[0] for row in rows[1:]] == [so.order.number for so in page.context["rows"]]
    assert [row[2] for row in rows[1:]] == ["12", "3"]
    assert rows[1][4:7] == ["Acme Steel", "Prompt Surveys", category.name]


def test_csv_is_not_paginated(staff_client, buyer, provider, monkeypatch):
    from marketplace.transparency.oversight_views import OpenDisputesView

    monkeypatch.setattr(OpenDisputesView, "per_page", 2)
    for _ in range(3):
        hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="Stalled.")
    assert len(staff_client.get(reverse("transparency:oversight-disputes")).context["rows"]) == 2
    assert len(_csv(staff_client.get(reverse("transparency:oversight-disputes") + "?format=csv"))) == 1 + 3


def test_csv_quotes_text_a_spreadsheet_would_run_as_a_formula(staff_client, buyer, provider):
    hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="=HYPERLINK(evil)")
    rows = _csv(staff_client.get(reverse("transparency:oversight-disputes") + "?format=csv"))
    assert rows[1][-1] == "'=HYPERLINK(evil)"


def test_csv_headings_and_names_follow_the_language(staff_client, buyer, provider):
    move(paid_order(buyer, provider), due_at=days_ago(2))
    with translation.override("zh-hans"):
        rows = _csv(staff_client.get(reverse("transparency:oversight-overdue") + "?format=csv"))
    assert rows[0][2] == "逾期天数" and rows[1][4] == "顶峰钢铁"


@pytest.mark.parametrize("name", PAGES[1:])
def test_csv_is_staff_only(client, name):
    client.force_login(UserFactory())
    assert client.get(reverse(name) + "?format=csv").status_code == 403


def test_csv_query_count_is_flat(staff_client, buyer, provider, catalogue, django_assert_num_queries):
    url = reverse("transparency:oversight-overdue") + "?format=csv"
    _grow("overdue", buyer, provider, catalogue, 1)
    staff_client.get(url)
    one = _count_queries(staff_client, url)
    _grow("overdue", buyer, provider, catalogue, 5)
    with django_assert_num_queries(one):
        assert len(_csv(staff_client.get(url))) == 1 + 6
