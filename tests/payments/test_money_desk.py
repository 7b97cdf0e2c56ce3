"""The staff money desk: payment differences (list, resolve, CSV), chargebacks on the dispute desk, held
payouts on the provider's earnings page, and the outbox on the staff ledger.

Orders are placed and paid (by bank transfer) through the real services. What only Stripe or
reconciliation against Stripe would create — payment differences, chargebacks, outbox operations and
entries found by reconciliation — is created with the models directly; no gateway is called.
"""

import csv
import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from marketplace.hiring import services as hiring
from marketplace.payments.models import Chargeback, PaymentDifference, PaymentRecord, Payout, StripeOperation
from tests.factories import UserFactory, make_buyer, make_certified_provider, provider_owner
from tests.factories.oversight import delivered_order, paid_order

pytestmark = pytest.mark.django_db

DIFFERENCES = reverse("payments:differences")


@pytest.fixture
def buyer(db):
    return make_buyer(name="Acme Steel", name_zh="顶峰钢铁")


@pytest.fixture
def provider(category):
    return make_certified_provider(categories=[category], name="Prompt Surveys")


@pytest.fixture
def order(buyer, provider):
    return paid_order(buyer, provider)


@pytest.fixture
def desk(staff):
    """A client signed in as platform staff (apart from the ``client`` fixture, for a second person)."""
    client = Client()
    client.force_login(staff)
    return client


def difference(service_order, *, kind=PaymentDifference.Kind.MISMATCH, key=None, **fields):
    """An open difference as reconciliation would store it (reconciliation needs Stripe)."""
    values = {
        "service_order": service_order,
        "kind": kind,
        "key": key or f"totals:{service_order.pk if service_order else 'none'}:{PaymentDifference.objects.count()}",
        "detail": "Stripe {'charged': 4800000} ≠ ledger {'charged': 0}",
        "amount_fen": 4_800_000,
        **fields,
    }
    return PaymentDifference.objects.create(**values)


def resolve(client, pk, note):
    return client.post(reverse("payments:difference-resolve", args=[pk]), {"resolution": note})


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- the differences page --------------------------------------------------------------------------


def test_staff_see_open_differences_newest_first_linking_to_the_ledger(desk, order, buyer, provider):
    older = difference(order, found_at=timezone.now() - datetime.timedelta(days=2), detail="older one")
    newer = difference(paid_order(buyer, provider), kind=PaymentDifference.Kind.SHORTFALL, detail="newer one")
    closed = difference(order, detail="closed long ago", resolved_at=timezone.now() - datetime.timedelta(days=40))
    response = desk.get(DIFFERENCES)
    assert response.status_code == 200
    assert [d.pk for d, _form in response.context["rows"]] == [newer.pk, older.pk]
    page = response.content.decode()
    assert page.index("newer one") < page.index("older one")
    assert reverse("payments:ledger", args=[order.pk]) in page and order.order.number in page
    assert "¥48000.00" in page and "Money taken back after the payout" in page
    assert closed.detail not in page  # resolved 40 days ago: neither open nor recent


def test_a_difference_without_an_order_is_listed(desk):
    difference(None, kind=PaymentDifference.Kind.UNKNOWN_OBJECT, key="evt_123", detail="event about pi_unknown")
    page = desk.get(DIFFERENCES).content.decode()
    assert "event about pi_unknown" in page and "evt_123" in page


def test_differences_csv_holds_every_open_difference(desk, order, monkeypatch):
    from marketplace.payments.views import DifferencesView

    monkeypatch.setattr(DifferencesView, "per_page", 1)
    difference(order, detail="=HYPERLINK(evil)")
    difference(order, amount_fen=None, detail="second")
    difference(order, detail="closed", resolved_at=timezone.now())
    response = desk.get(DIFFERENCES + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and "payment-differences" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Found at", "Kind", "Order", "Amount (CNY)", "Detail", "About"]
    assert len(rows) == 1 + 2  # both open ones although the page shows one; not the closed one
    assert rows[1][1:5] == ["Stripe's totals differ from the ledger", order.order.number, "", "second"]
    assert rows[2][2:5] == [order.order.number, "48000.00", "'=HYPERLINK(evil)"]


@pytest.mark.parametrize("suffix", ["", "?format=csv"])
def test_non_staff_are_refused_and_anonymous_visitors_sent_to_log_in(client, order, suffix):
    difference(order)
    assert client.get(DIFFERENCES + suffix).status_code == 302
    client.force_login(UserFactory())
    response = client.get(DIFFERENCES + suffix)
    assert response.status_code == 403


def test_non_staff_cannot_resolve(client, order):
    pending = difference(order)
    client.force_login(provider_owner(order.provider))
    assert resolve(client, pending.pk, "I say it is fine").status_code == 403
    pending.refresh_from_db()
    assert pending.resolved_at is None


def test_resolving_without_a_note_shows_the_error_and_keeps_it_open(desk, order):
    pending = difference(order)
    response = resolve(desk, pending.pk, "   ")
    assert response.status_code == 302 and response.url == DIFFERENCES
    assert flashed(response) == ["Say what was done about this difference."]
    pending.refresh_from_db()
    assert pending.resolved_at is None and pending.resolution == ""
    assert [d.pk for d, _form in desk.get(DIFFERENCES).context["rows"]] == [pending.pk]


def test_resolving_with_a_note_closes_it_and_lists_it_as_recently_corrected(desk, staff, order):
    pending = difference(order)
    response = resolve(desk, pending.pk, "Refund re_42 confirmed in Stripe's dashboard")
    assert response.status_code == 302
    assert "The difference is closed" in flashed(response)[0]
    pending.refresh_from_db()
    assert pending.resolved_by == staff and pending.resolution == "Refund re_42 confirmed in Stripe's dashboard"
    page = desk.get(DIFFERENCES)
    assert page.context["rows"] == []
    assert [d.pk for d in page.context["recent"]] == [pending.pk]
    html = page.content.decode()
    assert "No payment difference is open." in html
    assert escape("Refund re_42 confirmed in Stripe's dashboard") in html and escape(staff.get_full_name()) in html


def test_differences_reconciliation_corrected_itself_are_listed_as_automatic(desk, order):
    difference(
        order,
        kind=PaymentDifference.Kind.RECORDED,
        key="re_found",
        detail="refund re_found recorded from Stripe",
        resolved_at=timezone.now(),
        resolution="recorded by reconciliation",
    )
    page = desk.get(DIFFERENCES).content.decode()
    assert "Stripe moved money the ledger lacked; recorded" in page
    assert "Automatically (webhook or reconciliation)" in page and "recorded by reconciliation" in page


def test_a_second_resolve_shows_a_message_not_an_error(desk, order):
    pending = difference(order)
    resolve(desk, pending.pk, "Checked")
    desk.get(DIFFERENCES)  # the first answer's message is read
    again = resolve(desk, pending.pk, "Checked again")
    assert again.status_code == 302
    assert flashed(again) == ["This difference is already resolved."]
    pending.refresh_from_db()
    assert pending.resolution == "Checked"


def test_resolving_an_unknown_difference_is_a_404(desk):
    assert resolve(desk, 999_999, "Checked").status_code == 404


def test_the_service_refusal_is_shown_for_a_shortfall_still_below_zero(desk, order):
    """A shortfall may close only once the order holds nothing less than zero; here the ledger is put
    below zero with a refund entry made directly (Stripe would have moved that money)."""
    PaymentRecord.objects.create(
        service_order=order, kind=PaymentRecord.Kind.REFUND, amount_fen=4_900_000, reference="re_over"
    )
    pending = difference(order, kind=PaymentDifference.Kind.SHORTFALL, key="re_over")
    response = resolve(desk, pending.pk, "Done")
    assert flashed(response) == ["The order still holds less than nothing; record the recovery before closing this."]
    pending.refresh_from_db()
    assert pending.resolved_at is None


def _grow(order, count):
    for _ in range(count):
        difference(order)
        difference(order, kind=PaymentDifference.Kind.RECORDED, resolved_at=timezone.now(), resolution="auto")


def test_differences_page_query_count_is_flat_as_rows_grow(desk, order, buyer, provider, django_assert_num_queries):
    """User, the request's savepoint pair, the header's cart count and roles; then the open list's COUNT
    and page and the recently corrected list (orders and closers joined): 8 for 1 row of each as for 4,
    on several orders (the session comes from the cache)."""
    _grow(order, 1)
    desk.get(DIFFERENCES)  # warm per-process caches (site, translations)
    with django_assert_num_queries(8):
        assert len(desk.get(DIFFERENCES).context["rows"]) == 1
    _grow(paid_order(buyer, provider), 3)
    with django_assert_num_queries(8):
        response = desk.get(DIFFERENCES)
    assert len(response.context["rows"]) == 4 and len(response.context["recent"]) == 4


def test_the_staff_menu_links_the_differences_page(desk, client):
    assert DIFFERENCES in desk.get(reverse("home")).content.decode()
    client.force_login(UserFactory())
    assert DIFFERENCES not in client.get(reverse("home")).content.decode()


# --- the dispute desk ------------------------------------------------------------------------------


def chargeback(service_order, *, closed=False, **fields):
    """A card dispute as the webhook records it (it needs Stripe)."""
    values = {
        "service_order": service_order,
        "dispute_id": f"dp_{service_order.pk}_{Chargeback.objects.count()}",
        "intent_id": f"pi_{service_order.pk}",
        "amount_fen": 4_800_000,
        "status": "lost" if closed else "needs_response",
        "reason": "fraudulent",
        "closed_at": timezone.now() if closed else None,
        **fields,
    }
    return Chargeback.objects.create(**values)


def test_the_dispute_desk_lists_open_chargebacks_not_closed_ones(desk, order, buyer, provider):
    open_one = chargeback(order)
    other = paid_order(buyer, provider)
    chargeback(other, closed=True)
    response = desk.get(reverse("hiring:disputes"))
    assert list(response.context["chargebacks"]) == [open_one]
    page = response.content.decode()
    assert order.order.number in page and other.order.number not in page
    assert "needs_response" in page and "fraudulent" in page and "48000.00" in page
    assert "until it does, the order's payout is frozen" in page
    assert reverse("payments:ledger", args=[order.pk]) in page


def test_the_dispute_desk_says_when_no_chargeback_is_open(desk):
    assert "No chargeback is open." in desk.get(reverse("hiring:disputes")).content.decode()


# --- held payouts ----------------------------------------------------------------------------------


def test_earnings_show_a_held_payout_with_its_reason_only_to_the_providers_members(
    client, buyer, provider, category, committed
):
    """The payout is settled and held by the real services (a chargeback on the order holds it; the
    chargeback itself is created directly, as the webhook would)."""
    service_order = delivered_order(buyer, provider)
    chargeback(service_order)
    committed(hiring.service_order_accept, service_order=service_order, user=buyer[1])
    payout = Payout.objects.get(service_order=service_order)
    assert payout.status == Payout.Status.HELD
    client.force_login(provider_owner(provider))
    response = client.get(reverse("payments:earnings"))
    page = response.content.decode()
    assert "On hold" in page and "opened a card dispute (chargeback)" in page
    assert response.context["waiting"] == payout.amount  # held counts as waiting
    assert page.count(service_order.order.number) == 1
    for outsider in (buyer[1], provider_owner(make_certified_provider(categories=[category], name="Other Surveys"))):
        client.force_login(outsider)
        page = client.get(reverse("payments:earnings")).content.decode()
        assert service_order.order.number not in page and "card dispute (chargeback)" not in page.split("<table")[1]


def test_earnings_totals_count_held_with_pending_and_show_cancelled_apart(client, buyer, provider):
    """Payouts made directly in each status (sending one needs Stripe)."""
    amounts = {Payout.Status.PENDING: 100_00, Payout.Status.HELD: 20_00, Payout.Status.PAID: 3_00}
    amounts[Payout.Status.CANCELLED] = 4_00
    for status, amount in amounts.items():
        Payout.objects.create(
            service_order=paid_order(buyer, provider), provider=provider, amount_fen=amount, fee_fen=1, status=status
        )
    client.force_login(provider_owner(provider))
    response = client.get(reverse("payments:earnings"))
    assert str(response.context["waiting"]) == "120.00" and str(response.context["paid_out"]) == "3.00"
    page = response.content.decode()
    assert 'class="payout-cancelled"' in page and "Cancelled" in page and "<s>4.00</s>" in page


# --- the ledger ------------------------------------------------------------------------------------


def test_staff_ledger_shows_origin_operations_and_open_differences_the_receipt_does_not(desk, order, buyer):
    """The outbox operation and the entry found by reconciliation are created directly (both need Stripe)."""
    StripeOperation.objects.create(
        service_order=order,
        kind=StripeOperation.Kind.REFUND,
        purpose=f"refund:test:{order.pk}",
        target="pi_test",
        amount_fen=1_250_00,
        status=StripeOperation.Status.FAILED,
        attempts=2,
        error="charge_already_refunded",
    )
    PaymentRecord.objects.create(
        service_order=order,
        kind=PaymentRecord.Kind.REFUND,
        amount_fen=100,
        reference="re_found_by_reconciliation",
        origin=PaymentRecord.Origin.RECONCILIATION,
    )
    difference(order, detail="refund re_x missing from the ledger")
    url = reverse("payments:ledger", args=[order.pk])
    staff_page = desk.get(url).content.decode()
    for text in (
        "Gateway operations (outbox)",
        "charge_already_refunded",
        "1250.00",
        "Failed",
        "Found by reconciliation",
    ):
        assert text in staff_page, text
    assert "refund re_x missing from the ledger" in staff_page
    assert staff_page.count("Made by the platform") == 0  # the usual origin is not spelled out

    receipt = Client()
    receipt.force_login(buyer[1])
    page = receipt.get(url)
    assert page.status_code == 200 and "operations" not in page.context
    html = page.content.decode()
    for text in ("Gateway operations", "charge_already_refunded", "Found by reconciliation", "refund re_x missing"):
        assert text not in html, text


def test_staff_ledger_without_operations_or_differences_says_so(desk, order):
    page = desk.get(reverse("payments:ledger", args=[order.pk])).content.decode()
    assert "No gateway operation was decided for this order." in page
    assert "None: Stripe and the ledger agree on this order." in page


def test_staff_ledger_explains_a_held_payout(desk, order, provider):
    """The payout is made directly in its held state (holding it for a chargeback needs the webhook)."""
    Payout.objects.create(
        service_order=order,
        provider=provider,
        amount_fen=4_560_000,
        fee_fen=240_000,
        status=Payout.Status.HELD,
        hold_reason=Payout.HoldReason.DIFFERENCE,
    )
    page = desk.get(reverse("payments:ledger", args=[order.pk])).content.decode()
    assert "On hold" in page and "Staff are checking a payment difference on this order." in page


# --- admin -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["stripeoperation", "chargeback", "paymentdifference", "stripeevent"])
def test_admin_lists_the_money_records_read_only(client, order, model):
    """Rows are made directly (each comes from Stripe, a webhook or reconciliation)."""
    from marketplace.payments.models import StripeEvent

    rows = {
        "stripeoperation": lambda: StripeOperation.objects.create(
            service_order=order, kind=StripeOperation.Kind.REFUND, purpose="refund:admin", amount_fen=100
        ),
        "chargeback": lambda: chargeback(order),
        "paymentdifference": lambda: difference(order),
        "stripeevent": lambda: StripeEvent.objects.create(event_id="evt_admin", type="charge.refunded"),
    }
    row = rows[model]()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    change = client.get(reverse(f"admin:payments_{model}_change", args=[row.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:payments_{model}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


# --- Chinese ---------------------------------------------------------------------------------------


def test_the_chinese_pages_answer(desk, client, order, provider):
    difference(order)
    difference(order, kind=PaymentDifference.Kind.RECORDED, resolved_at=timezone.now(), resolution="auto")
    chargeback(order)
    for path in (
        "/zh-hans/payments/differences/",
        "/zh-hans/orders/disputes/",
        f"/zh-hans/payments/orders/{order.pk}/ledger/",
    ):
        response = desk.get(path)
        assert response.status_code == 200, path
        assert 'lang="zh-hans"' in response.content.decode(), path
    assert desk.get("/zh-hans/payments/differences/?format=csv").status_code == 200
    Payout.objects.create(
        service_order=order,
        provider=provider,
        amount_fen=100,
        fee_fen=1,
        status=Payout.Status.HELD,
        hold_reason="refund",
    )
    client.force_login(provider_owner(provider))
    assert client.get("/zh-hans/payments/earnings/").status_code == 200
