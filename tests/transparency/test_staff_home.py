"""The staff home gathers OneWindow's desks with their queue counts; Oscar's dashboard index sends staff
there, and Oscar's own screens load their JavaScript (jQuery before Bootstrap)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.approvals import services as approvals
from marketplace.approvals.models import ApprovalMatter, CaseSubmission
from marketplace.hiring import services as hiring
from marketplace.payments.models import PaymentDifference
from tests.factories import UserFactory, make_buyer, make_certified_provider, make_provider, staff_user
from tests.factories.oversight import days_ago, move, paid_order
from tests.factories.signing import IssuingAuthorityFactory

pytestmark = pytest.mark.django_db


def desk_count(body: str, url: str, title: str) -> int:
    """The count shown on the desk that links to ``url`` with ``title``."""
    match = re.search(
        rf'<a href="{re.escape(url)}"><strong class="oversight-count">(\d+)</strong> {re.escape(title)}</a>', body
    )
    assert match, f"no desk {title!r} linking to {url}"
    return int(match.group(1))


def test_only_staff_open_it(client):
    assert reverse("customer:login") in client.get(reverse("transparency:staff-home"))["Location"]
    client.force_login(UserFactory())
    assert client.get(reverse("transparency:staff-home")).status_code == 403


def test_each_desk_counts_its_queue_and_links_where_staff_act(client, category):
    client.force_login(staff_user())
    body = client.get(reverse("transparency:staff-home")).content.decode()
    assert desk_count(body, reverse("providers:review"), "Provider applications") == 0
    assert desk_count(body, reverse("hiring:disputes"), "Open disputes") == 0
    assert "0 items wait for staff" in body

    pending = make_provider()
    pending.status = pending.Status.PENDING_REVIEW
    pending.save(update_fields=["status"])
    enterprise, owner = make_buyer()
    provider = make_certified_provider(categories=[category])
    hiring.dispute_open(service_order=paid_order((enterprise, owner), provider), user=owner, reason="No site visit.")
    PaymentDifference.objects.create(kind=PaymentDifference.Kind.MISMATCH, key="charge:x", detail="Totals differ")

    body = client.get(reverse("transparency:staff-home")).content.decode()
    assert desk_count(body, reverse("providers:review"), "Provider applications") == 1
    assert desk_count(body, reverse("hiring:disputes"), "Open disputes") == 1
    assert desk_count(body, reverse("payments:differences"), "Payment differences") == 1
    assert "3 items wait for staff" in body
    # Oscar's catalogue screens need model permissions: offered only to staff who hold them.
    assert reverse("dashboard:catalogue-product-list") not in body
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    body = client.get(reverse("transparency:staff-home")).content.decode()
    assert reverse("dashboard:catalogue-product-list") in body


def test_the_header_menu_and_oscars_dashboard_lead_staff_there(client):
    client.force_login(staff_user())
    assert reverse("transparency:staff-home") in client.get(reverse("home")).content.decode()
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302 and response["Location"] == reverse("transparency:staff-home")


def test_oscars_screens_load_jquery_before_bootstrap_and_offer_no_shop_leftovers(client, catalogue):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("dashboard:catalogue-product-list"))
    assert response.status_code == 200
    body = response.content.decode()
    jquery, bootstrap = body.find("jquery/jquery.min.js"), body.find("bootstrap.bundle.min.js")
    assert 0 < jquery < bootstrap
    for leftover in ("Low stock alerts", "Vouchers", "Stock alert requests", "Offers"):
        assert leftover not in body
    assert "OneWindow desks" in body


def test_it_reads_in_chinese(client):
    client.force_login(staff_user())
    with translation.override("zh-hans"):
        body = client.get(reverse("transparency:staff-home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "工作台" in body or "待办" in body


def fill_queues(category, matter, n):
    """``n`` more rows in several queues: applications, disputes, overdue orders, payment differences
    and cases over the authority's time limit."""
    for _ in range(n):
        pending = make_provider()
        pending.status = pending.Status.PENDING_REVIEW
        pending.save(update_fields=["status"])
        buyer = make_buyer()
        provider = make_certified_provider(categories=[category])
        hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="No site visit.")
        move(paid_order(buyer, provider), due_at=days_ago(3))
        PaymentDifference.objects.create(kind=PaymentDifference.Kind.MISMATCH, key=f"charge:{pending.pk}")
        case = approvals.case_open(
            enterprise=buyer[0], user=buyer[1], matter=matter, project_name="P", site="S", region=""
        )
        CaseSubmission.objects.create(case=case, submitted_at=timezone.now() - datetime.timedelta(weeks=8))


def test_the_desks_cost_the_same_few_queries_however_full_the_queues(client, category, django_assert_max_num_queries):
    """User, savepoint pair, every queue counted in one statement, the cases over a time limit (the
    live cases, their submissions, their matters' service items, their orders), the header's cart
    count and roles, and the permission checks for Oscar's screens."""
    matter = ApprovalMatter.objects.create(
        code="quick", name="Quick approval", authority=IssuingAuthorityFactory(), time_limit_days=1
    )
    matter.service_items.set([category])
    fill_queues(category, matter, 1)
    client.force_login(staff_user())
    url = reverse("transparency:staff-home")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert "5 items wait for staff" in client.get(url).content.decode()
    assert len(one) <= 12
    fill_queues(category, matter, 3)
    with django_assert_max_num_queries(len(one)):
        body = client.get(url).content.decode()
    assert desk_count(body, reverse("approvals:overdue"), "Cases over a time limit") == 4
    assert desk_count(body, reverse("transparency:oversight-overdue"), "Overdue orders") == 4
    assert "20 items wait for staff" in body
