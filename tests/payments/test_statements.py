"""Finance statements (issue 23's export): each party downloads its ledger lines for a period as CSV
and XLSX, and they add up to the ledger to the fen. The money is moved by the real flows against the
devstripe process (bank payment, card payment, a split dispute refund, payouts through Connect)."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute
from marketplace.payments import services
from marketplace.payments.models import PaymentRecord, PayoutAccount
from tests.factories import deliver, make_buyer, make_certified_provider, make_service_order
from tests.factories.accounts import UserFactory

from .test_stripe import card

STATEMENT = reverse("payments:statement")


@pytest.fixture
def books(stripe_settings, deal, catalogue, committed):
    """Three orders of one provider (two for one enterprise, one for another) and one order of that
    enterprise with another provider, each moved as far as money goes: completed and paid out, split
    by a dispute, paid only."""
    order, buyer, provider_user, staff = deal
    provider = order.provider
    PayoutAccount.objects.create(provider=provider, stripe_account_id="acct_statement")
    # 1: paid by bank transfer, delivered, accepted: charge, fee, transfer.
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference="manual:bank-statement")
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    # 2: same parties, paid by card, a dispute refunds ¥8,000 and pays the rest less the fee.
    split = make_service_order(enterprise=order.enterprise, buyer=buyer, provider=provider, price="20000")
    payment_flow.service_order_pay_by_card(service_order=split, payment_method=card())
    dispute = hiring.dispute_open(service_order=split, user=buyer, reason="Half done")
    committed(
        hiring.dispute_resolve,
        dispute=dispute,
        user=staff,
        outcome=Dispute.Outcome.SPLIT,
        decision="Half",
        refund_amount=Decimal("8000"),
    )
    # 3: another enterprise hires the same provider and pays.
    other_enterprise, other_buyer = make_buyer()
    theirs = make_service_order(enterprise=other_enterprise, buyer=other_buyer, provider=provider, price="5000")
    payment_flow.service_order_pay(service_order=theirs, amount=theirs.price, reference="manual:bank-other")
    # 4: the first enterprise hires another provider and pays.
    elsewhere_provider = make_certified_provider(
        categories=[catalogue.get(code="eia")], reviewer=staff, name="Elsewhere Provider"
    )
    elsewhere = make_service_order(enterprise=order.enterprise, buyer=buyer, provider=elsewhere_provider, price="3000")
    payment_flow.service_order_pay(service_order=elsewhere, amount=elsewhere.price, reference="manual:bank-elsewhere")
    return {
        "buyer": buyer,
        "provider_user": provider_user,
        "buyer_orders": [order, split, elsewhere],
        "provider_orders": [order, split, theirs],
    }


def this_month() -> dict:
    today = timezone.localdate()
    return {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}


def csv_lines(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def fen(text) -> int:
    return int(Decimal(str(text)) * 100)


def ledger_sum(orders, attribute: str) -> int:
    return sum(getattr(services.ledger_balance(service_order=order), attribute) for order in orders)


def test_the_buyers_statement_is_its_receipts_and_adds_up_to_the_ledger(books, client):
    client.force_login(books["buyer"])
    lines = csv_lines(client.get(STATEMENT, {**this_month(), "side": "buyer", "format": "csv"}))
    numbers = {order.order.number for order in books["buyer_orders"]}
    assert {line["order"] for line in lines} == numbers  # the other enterprise's order is not there
    kinds = {str(label): kind for kind, label in PaymentRecord.Kind.choices}
    by_kind = {}
    for line in lines:
        by_kind[kinds[line["kind"]]] = by_kind.get(kinds[line["kind"]], 0) + fen(line["amount_cny"])
    # Only what the buyer paid and got back: the platform's split is not the buyer's to book.
    assert set(by_kind) == {PaymentRecord.Kind.CHARGE, PaymentRecord.Kind.REFUND}
    assert by_kind[PaymentRecord.Kind.CHARGE] == ledger_sum(books["buyer_orders"], "charged") == 7_100_000
    assert by_kind[PaymentRecord.Kind.REFUND] == ledger_sum(books["buyer_orders"], "refunded") == 800_000

    page = client.get(STATEMENT, {**this_month(), "side": "buyer"})
    assert page.status_code == 200
    assert page.context["net"] == Decimal("63000.00")  # ¥71,000 paid less ¥8,000 back
    assert page.context["line_count"] == len(lines)


def test_the_providers_statement_in_excel_adds_up_to_the_ledger_of_its_orders(books, client):
    client.force_login(books["provider_user"])
    response = client.get(STATEMENT, {**this_month(), "side": "provider", "format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["Lines"].iter_rows(values_only=True))
    header, lines = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header == ("date", "order", "enterprise", "provider", "kind", "amount_cny", "reference")
    assert {line["order"] for line in lines} == {order.order.number for order in books["provider_orders"]}
    assert all(isinstance(line["amount_cny"], int | float) for line in lines)  # numbers, not text
    totals = {kind: fen(amount) for kind, amount in book["Totals"].iter_rows(min_row=2, values_only=True)}
    orders = books["provider_orders"]
    assert totals[str(PaymentRecord.Kind.CHARGE.label)] == ledger_sum(orders, "charged") == 7_300_000
    assert totals[str(PaymentRecord.Kind.REFUND.label)] == ledger_sum(orders, "refunded") == 800_000
    assert totals[str(PaymentRecord.Kind.FEE.label)] == ledger_sum(orders, "fees") == 240_000 + 60_000
    assert totals[str(PaymentRecord.Kind.TRANSFER.label)] == ledger_sum(orders, "transferred")
    assert totals["Net"] == ledger_sum(orders, "transferred") == 4_560_000 + 1_140_000
    # Charges less what went back, out as fees or out to the provider is what the platform still holds.
    held = totals[str(PaymentRecord.Kind.CHARGE.label)] - totals[str(PaymentRecord.Kind.REFUND.label)]
    held -= totals[str(PaymentRecord.Kind.FEE.label)] + totals[str(PaymentRecord.Kind.TRANSFER.label)]
    assert held == ledger_sum(orders, "held") == 500_000  # the other enterprise's paid, undelivered order


def test_the_period_is_whole_local_days_both_ends_included(books, client, monkeypatch):
    """A payment at 23:59 on the last day of last month (China Standard Time) is out of this month's
    statement and in last month's. (The ledger is append-only in the database, so the payment is made
    with the ledger's clock at that moment rather than moved there afterwards.)"""
    first_of_month = timezone.localdate().replace(day=1)
    last_month_end = first_of_month - datetime.timedelta(days=1)
    zone = timezone.get_current_timezone()
    late_evening = datetime.datetime.combine(last_month_end, datetime.time(23, 59), tzinfo=zone)
    order = books["buyer_orders"][0]
    earlier = make_service_order(
        enterprise=order.enterprise, buyer=books["buyer"], provider=order.provider, price="900"
    )
    with monkeypatch.context() as m:
        # Field.get_default calls the cached ``_get_default`` (the field's ``default``, timezone.now).
        m.setattr(PaymentRecord._meta.get_field("created_at"), "_get_default", lambda: late_evening)
        payment_flow.service_order_pay(service_order=earlier, amount=earlier.price, reference="manual:last-month")
    client.force_login(books["buyer"])
    now = {line["reference"] for line in csv_lines(client.get(STATEMENT, {**this_month(), "format": "csv"}))}
    last_month = {"start": last_month_end.replace(day=1).isoformat(), "end": last_month_end.isoformat()}
    before = csv_lines(client.get(STATEMENT, {**last_month, "format": "csv"}))
    assert "manual:last-month" not in now and "manual:bank-elsewhere" in now
    assert [line["reference"] for line in before] == ["manual:last-month"]
    assert before[0]["date"] == late_evening.strftime("%Y-%m-%d %H:%M")


@pytest.mark.django_db
def test_mistakes_get_a_message_not_a_file_or_an_error(client, catalogue):
    enterprise, buyer = make_buyer()
    client.force_login(buyer)
    backwards = client.get(STATEMENT, {"start": "2026-05-01", "end": "2026-04-01", "format": "csv"})
    assert backwards.status_code == 200 and "text/html" in backwards["Content-Type"]
    assert "The period ends before it starts." in backwards.content.decode()
    too_long = client.get(STATEMENT, {"start": "2024-01-01", "end": "2026-01-01", "format": "xlsx"})
    assert "at most one year" in too_long.content.decode()
    for start, end in (("9999-01-01", "9999-12-31"), ("0001-01-01", "0001-01-02")):  # past the calendar's ends
        far = client.get(STATEMENT, {"start": start, "end": end, "format": "csv"})
        assert far.status_code == 200 and "between the years 2000 and 2999" in far.content.decode()
    not_a_date = client.get(STATEMENT, {"start": "yesterday", "end": "2026-01-01"})
    assert not_a_date.status_code == 200 and not_a_date.context["form"].errors["start"]
    # A buyer only cannot ask for a provider's statement.
    provider_side = client.get(STATEMENT, {**this_month(), "side": "provider", "format": "csv"})
    assert "text/html" in provider_side["Content-Type"] and provider_side.context["form"].errors["side"]
    chinese = client.get("/zh-hans" + STATEMENT, {"start": "2026-05-01", "end": "2026-04-01"})
    assert "截止日期早于起始日期。" in chinese.content.decode()


@pytest.mark.django_db
def test_a_person_of_no_organisation_is_told_so_and_anonymous_visitors_log_in(client):
    client.force_login(UserFactory())
    page = client.get(STATEMENT, {"format": "csv"})
    assert page.status_code == 200 and "text/html" in page["Content-Type"]
    assert "not a member of an enterprise or a provider" in page.content.decode()
    client.logout()
    assert client.get(STATEMENT).status_code == 302


def test_text_that_looks_like_a_formula_stays_text_in_both_formats(books, client):
    """An enterprise named like a spreadsheet formula cannot run in the buyer's or provider's sheet."""
    enterprise = books["buyer_orders"][0].enterprise
    type(enterprise).objects.filter(pk=enterprise.pk).update(name='=HYPERLINK("http://x","y")')
    client.force_login(books["provider_user"])
    lines = csv_lines(client.get(STATEMENT, {**this_month(), "side": "provider", "format": "csv"}))
    assert {line["enterprise"] for line in lines} >= {'\'=HYPERLINK("http://x","y")'}
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(STATEMENT, {**this_month(), "side": "provider", "format": "xlsx"}).content)
    )
    cells = [row[2] for row in book["Lines"].iter_rows(min_row=2)]
    formula_cells = [cell for cell in cells if cell.value.startswith("=")]
    assert formula_cells and all(cell.data_type == "s" for cell in formula_cells)
