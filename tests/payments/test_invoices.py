"""Invoices (发票, issue 23): an enterprise keeps invoice titles and asks for an invoice on each payment, the
provider uploads the e-invoice (PDF, OFD or XML, checked and kept privately) or marks it issued by number,
overdue requests show in the provider's console and on staff oversight; the platform's fee invoice records
to providers always add up to the ledger's fee. Money moves through the real flows against devstripe."""

import csv
import datetime
import hashlib
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.core.append_only import suspended
from marketplace.core.models import Notification
from marketplace.core.selectors import acting_organisations
from marketplace.core.validators import credit_code_check_character
from marketplace.enterprises.models import InvoiceTitle
from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.payments import invoices, services
from marketplace.payments.models import FeeInvoice, InvoiceRequest, PaymentRecord, Payout
from tests.factories import deliver as deliver_order
from tests.factories import make_buyer, make_certified_provider, make_service_order
from tests.factories.accounts import UserFactory
from tests.factories.providers import PDF_BYTES
from tests.payments.test_money_webhooks import close_chargeback, connected, deliver, open_chargeback
from tests.payments.test_stripe import paid_by_card

INVOICES = reverse("payments:invoices")


def valid_code() -> str:
    """A well-formed unified social credit code (GB 32100-2015 check character)."""
    return "91110108MA01A2B3C" + credit_code_check_character("91110108MA01A2B3C")


def paid(order):
    """Paid by bank transfer (recorded by staff); returns the charge's ledger line."""
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference=f"manual:bank-{order.pk}")
    return order.payments.get(kind=PaymentRecord.Kind.CHARGE)


def title_for(enterprise, **fields) -> InvoiceTitle:
    return InvoiceTitle.objects.create(
        enterprise=enterprise, name=fields.pop("name", enterprise.name), tax_number=valid_code(), **fields
    )


def ofd_bytes(*, with_root: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "OFD.xml" if with_root else "content.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>"
        )
        package.writestr("Doc_0/Document.xml", "<Document/>")
    return buffer.getvalue()


XML_INVOICE = b"""<?xml version='1.0' encoding='UTF-8'?>
<EInvoice><Header><InvoiceNumber>24110000000000001234</InvoiceNumber></Header></EInvoice>"""
XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<EInvoice>&lol2;</EInvoice>"""


@pytest.fixture
def asked(deal, client, django_capture_on_commit_callbacks):
    """The deal's order paid by bank transfer and an invoice asked for it through the pages."""
    order, buyer, provider_user, staff = deal
    charge = paid(order)
    client.force_login(buyer)
    response = client.post(
        reverse("enterprises:invoice-title-add", args=[order.enterprise_id]),
        {"name": "Beijing Buyer Co., Ltd.", "tax_number": valid_code(), "address": "1 Road", "phone": "010-1"},
    )
    assert response.status_code == 302, response.content
    title = InvoiceTitle.objects.get(enterprise=order.enterprise)
    with django_capture_on_commit_callbacks(execute=True):  # the provider's notification, after the commit
        response = client.post(
            reverse("payments:invoice-request"),
            {"payment": charge.pk, "title": title.pk, "kind": "general", "note": "Please list the project name"},
        )
    assert response.status_code == 302
    return order, buyer, provider_user, staff, InvoiceRequest.objects.get(payment=charge)


def test_a_buyer_asks_and_the_provider_uploads_the_e_invoice_which_the_buyer_downloads(
    asked, client, django_capture_on_commit_callbacks
):
    order, buyer, provider_user, _staff, request = asked
    assert (request.status, request.amount_fen, request.title_name) == (
        "requested",
        4_800_000,
        "Beijing Buyer Co., Ltd.",
    )
    assert request.due_at - request.requested_at == datetime.timedelta(days=7)
    # The provider's team is told in the notification centre.
    assert any(order.order.number in note.subject["en"] for note in Notification.objects.filter(user=provider_user))

    client.force_login(provider_user)
    page = client.get(INVOICES)
    assert (
        "Beijing Buyer Co., Ltd." in page.content.decode() and "Please list the project name" in page.content.decode()
    )
    upload = SimpleUploadedFile("fapiao.pdf", PDF_BYTES, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payments:invoice-issue", args=[request.pk]), {"file": upload, "number": "24110001"}
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.invoice_number, request.file_format) == ("issued", "24110001", "PDF")
    assert request.file_sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert "fapiao" not in request.file.name  # stored under a name of our making
    assert any(note.subject["en"].startswith("Invoice issued") for note in Notification.objects.filter(user=buyer))

    client.force_login(buyer)
    download = client.get(reverse("payments:invoice-file", args=[request.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF_BYTES
    # Answered once: a second answer is refused with a message, the first stands.
    client.force_login(provider_user)
    again = client.post(reverse("payments:invoice-issue", args=[request.pk]), {"number": "999"}, follow=True)
    assert "already answered" in again.content.decode()
    request.refresh_from_db()
    assert request.invoice_number == "24110001"


def test_an_invoice_issued_by_number_only_has_no_file_to_download(asked, client):
    order, buyer, provider_user, _staff, request = asked
    client.force_login(provider_user)
    client.post(reverse("payments:invoice-issue", args=[request.pk]), {"number": "NO-2411-7"})
    request.refresh_from_db()
    assert (request.status, request.file.name) == ("issued", "")
    client.force_login(buyer)
    assert client.get(reverse("payments:invoice-file", args=[request.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fapiao.pdf", b"MZ\x90\x00" + b"\x00" * 64, "not a PDF, OFD or XML"),
        ("fapiao.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a PDF, OFD or XML"),
        ("fapiao.ofd", ofd_bytes(with_root=False), "not an OFD invoice"),
        ("fapiao.ofd", b"PK\x03\x04 broken", "damaged"),
        ("fapiao.xml", XML_BOMB, "DTD or entities"),
        ("fapiao.xml", b"<EInvoice><unclosed></EInvoice>", "not a well-formed"),
        ("fapiao.pdf", XML_INVOICE, "content is XML"),
        ("fapiao", PDF_BYTES, "(no extension)"),
        ("fapiao.pdf", b"", "empty"),
    ],
)
def test_an_unsafe_or_wrong_invoice_file_is_refused_with_its_reason_and_nothing_is_issued(
    asked, client, name, content, message
):
    _order, _buyer, provider_user, _staff, request = asked
    client.force_login(provider_user)
    upload = SimpleUploadedFile(name, content)
    response = client.post(reverse("payments:invoice-issue", args=[request.pk]), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    request.refresh_from_db()
    assert (request.status, request.file.name, request.issued_at) == ("requested", "", None)


def test_an_oversized_invoice_file_is_refused():
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match="at most 10 MB"):
        invoices.einvoice_format(upload)


@pytest.mark.parametrize(("name", "content", "kind"), [("f.ofd", ofd_bytes(), "OFD"), ("f.xml", XML_INVOICE, "XML")])
def test_ofd_and_xml_e_invoices_are_accepted(name, content, kind):
    assert invoices.einvoice_format(SimpleUploadedFile(name, content)) == kind


def test_nobody_outside_the_deal_reaches_a_payment_or_an_invoice(asked, client, catalogue):
    order, buyer, provider_user, staff, request = asked
    other_enterprise, other_buyer = make_buyer()
    title_for(other_enterprise)
    other_provider = make_certified_provider(categories=[catalogue.get(code="eia")], reviewer=staff, name="Other")
    # Another enterprise cannot ask on this payment, and sees nothing of it.
    client.force_login(other_buyer)
    other_title = InvoiceTitle.objects.get(enterprise=other_enterprise)
    response = client.post(
        reverse("payments:invoice-request"), {"payment": request.payment_id, "title": other_title.pk, "kind": "general"}
    )
    assert response.status_code == 404
    assert order.order.number not in client.get(INVOICES).content.decode()
    # Another provider cannot answer it; neither can the buyer itself.
    for outsider in (other_provider.memberships.first().user, buyer):
        client.force_login(outsider)
        assert client.post(reverse("payments:invoice-issue", args=[request.pk]), {"number": "1"}).status_code == 404
    client.force_login(provider_user)
    client.post(reverse("payments:invoice-issue", args=[request.pk]), {"file": SimpleUploadedFile("f.pdf", PDF_BYTES)})
    for outsider in (other_buyer, other_provider.memberships.first().user, UserFactory()):
        client.force_login(outsider)
        assert client.get(reverse("payments:invoice-file", args=[request.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("payments:invoice-file", args=[request.pk])).status_code == 302  # to the login page


def test_a_buyer_cannot_use_another_enterprises_title(deal, client):
    order, buyer, _provider_user, _staff = deal
    charge = paid(order)
    other_enterprise, _other = make_buyer()
    foreign = title_for(other_enterprise)
    title_for(order.enterprise)
    client.force_login(buyer)
    response = client.post(
        reverse("payments:invoice-request"), {"payment": charge.pk, "title": foreign.pk, "kind": "general"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The invoice was not requested" in page and "Choose one of your enterprise" in page
    assert not InvoiceRequest.objects.exists()


def test_title_rules_one_request_per_payment_withdraw_and_ask_again(deal):
    order, buyer, _provider_user, _staff = deal
    charge = paid(order)
    organisations = acting_organisations(buyer)
    bare = title_for(order.enterprise)
    ask = dict(actor=buyer, organisations=organisations, payment_id=charge.pk)
    with pytest.raises(ValidationError, match="special VAT invoice needs"):
        invoices.invoice_request(**ask, title=bare, kind="special")
    first = invoices.invoice_request(**ask, title=bare, kind="general")
    with pytest.raises(ValidationError, match="already requested"):
        invoices.invoice_request(**ask, title=bare, kind="general")
    # A title changed afterwards does not change what was asked.
    bare.name = "Renamed Co."
    bare.save()
    first.refresh_from_db()
    assert first.title_name == order.enterprise.name
    invoices.invoice_withdraw(organisations=organisations, request_id=first.pk)
    full = title_for(
        order.enterprise, name="Full", address="1 Road", phone="010-1", bank_name="ICBC", bank_account="6222"
    )
    second = invoices.invoice_request(**ask, title=full, kind="special")
    assert (second.kind, second.bank_name) == ("special", "ICBC")
    with pytest.raises(ValidationError, match="not answered yet"):
        invoices.invoice_withdraw(organisations=organisations, request_id=first.pk)


def test_a_bad_tax_number_is_explained_on_the_title_form(deal, client):
    order, buyer, _provider_user, _staff = deal
    client.force_login(buyer)
    url = reverse("enterprises:invoice-title-add", args=[order.enterprise_id])
    response = client.post(url, {"name": "Buyer", "tax_number": "91110108MA01A2B3C0"})
    assert response.status_code == 200
    assert "check digit" in response.content.decode()
    response = client.post(url, {"name": "Buyer", "tax_number": "12345"})
    assert "15, 17, 18 or 20" in response.content.decode()
    assert not InvoiceTitle.objects.exists()
    # Someone else's enterprise: no form at all.
    _other_enterprise, other = make_buyer()
    client.force_login(other)
    assert client.get(url).status_code == 404


def test_a_card_payment_partly_refunded_is_invoiced_net_of_the_refund(stripe_settings, deal, committed):
    order, buyer, _provider_user, staff = deal
    paid_by_card(order)
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Half")
    committed(
        hiring.dispute_resolve,
        dispute=dispute,
        user=staff,
        outcome="split",
        decision="Half",
        refund_amount=Decimal("8000"),
    )
    charge = order.payments.get(kind="charge")
    request = invoices.invoice_request(
        actor=buyer,
        organisations=acting_organisations(buyer),
        payment_id=charge.pk,
        title=title_for(order.enterprise),
        kind="general",
    )
    assert request.amount_fen == 4_800_000 - 800_000


def test_overdue_requests_show_in_the_providers_console_and_on_staff_oversight(asked, client):
    order, _buyer, provider_user, staff, request = asked
    client.force_login(provider_user)
    console = client.get(reverse("providers:console")).content.decode()
    assert "1 invoice request to answer" in console and "overdue" not in console
    InvoiceRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - datetime.timedelta(days=2))
    console = client.get(reverse("providers:console")).content.decode()
    assert "1 overdue" in console
    assert "Overdue" in client.get(INVOICES).content.decode()

    client.force_login(staff)
    overview = client.get(reverse("transparency:oversight"))
    assert overview.context["counts"]["invoices"] == 1
    listing = client.get(reverse("transparency:oversight-invoices"))
    assert [row.pk for row in listing.context["rows"]] == [request.pk]
    assert listing.context["rows"][0].days_overdue == 2
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("transparency:oversight-invoices"), {"format": "csv"}).content.decode("utf-8-sig")
            )
        )
    )
    assert rows[1][0] == order.order.number
    client.force_login(provider_user)
    assert client.get(reverse("transparency:oversight-invoices")).status_code in (302, 403)

    client.post(reverse("payments:invoice-issue", args=[request.pk]), {"number": "LATE-1"})
    assert not invoices.overdue_requests().exists()


def test_the_invoices_page_in_chinese(asked, client):
    _order, buyer, _provider_user, _staff, _request = asked
    client.force_login(buyer)
    page = client.get("/zh-hans" + INVOICES)
    assert page.status_code == 200
    assert 'lang="zh-hans"' in page.content.decode()


def test_a_person_without_an_organisation_sees_an_explanation(client, db):
    client.force_login(UserFactory())
    page = client.get(INVOICES)
    assert page.status_code == 200 and "not a member of an enterprise or a provider" in page.content.decode()


# --- the platform's fee invoices ---------------------------------------------------------------------------


def paid_out(order, buyer, provider_user, committed):
    payment = paid_by_card(order)
    connected(order)
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver_order(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    assert Payout.objects.get(service_order=order).status == "paid"
    return payment


def test_a_paid_out_order_gets_a_fee_invoice_equal_to_its_ledger_fee(stripe_settings, deal, committed, client):
    order, buyer, provider_user, _staff = deal
    paid_out(order, buyer, provider_user, committed)
    record = FeeInvoice.objects.get(service_order=order)
    assert record.kind == "invoice" and record.provider_id == order.provider_id
    assert record.amount_fen == services.ledger_balance(service_order=order).fees == 240_000  # 5 % of ¥48,000
    assert invoices.fee_invoices_sweep() == 0  # nothing differs: nothing more issued
    client.force_login(provider_user)
    assert record.number in client.get(INVOICES).content.decode()


def test_a_fee_given_back_after_the_payout_gets_a_credit_note(stripe_settings, deal, committed, client):
    """The buyer's bank takes the whole charge back after the payout: the platform gives up its fee, and
    a credit note brings the records back to the ledger's fee (zero)."""
    order, buyer, provider_user, _staff = deal
    payment = paid_out(order, buyer, provider_user, committed)
    dispute = open_chargeback(payment.intent_id)
    deliver(client, stripe_settings, "evt_fi_1", "charge.dispute.created", dispute)
    closed = close_chargeback(dispute["id"], won=False)
    committed(
        deliver, client=client, settings=stripe_settings, event_id="evt_fi_2", kind="charge.dispute.closed", obj=closed
    )
    records = FeeInvoice.objects.filter(service_order=order).order_by("pk")
    assert [(r.kind, r.amount_fen) for r in records] == [("invoice", 240_000), ("credit", 240_000)]
    assert sum(r.signed_fen for r in records) == services.ledger_balance(service_order=order).fees == 0


def test_the_daily_sweep_issues_what_the_transfer_did_not(stripe_settings, deal, committed):
    """A payout paid before fee invoices existed (played by removing its record as an operator would)."""
    order, buyer, provider_user, _staff = deal
    paid_out(order, buyer, provider_user, committed)
    with suspended(connection):
        FeeInvoice.objects.all().delete()
    assert invoices.fee_invoices_sweep() == 1
    assert invoices.fee_invoices_sweep() == 0
    assert FeeInvoice.objects.get().amount_fen == services.ledger_balance(service_order=order).fees


def test_fee_invoice_records_cannot_be_rewritten(stripe_settings, deal, committed):
    order, buyer, provider_user, _staff = deal
    paid_out(order, buyer, provider_user, committed)
    record = FeeInvoice.objects.get()
    for statement in (
        f"UPDATE payments_feeinvoice SET amount_fen = 1 WHERE id = {record.pk}",  # noqa: S608 - our own integer
        "DELETE FROM payments_feeinvoice",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert FeeInvoice.objects.get().amount_fen == 240_000


def test_the_finance_export_lists_invoice_requests_and_fee_invoices(stripe_settings, deal, committed, client):
    order, buyer, provider_user, _staff = deal
    paid_out(order, buyer, provider_user, committed)
    charge = order.payments.get(kind="charge")
    invoices.invoice_request(
        actor=buyer,
        organisations=acting_organisations(buyer),
        payment_id=charge.pk,
        title=title_for(order.enterprise),
        kind="general",
    )
    today = timezone.localdate().isoformat()
    period = {"start": today, "end": today}
    client.force_login(provider_user)
    response = client.get(
        reverse("payments:statement"), {**period, "side": "provider", "format": "csv", "part": "invoices"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row["record"] for row in rows) == ["invoice_request", "platform_fee_invoice"]
    fee_row = next(row for row in rows if row["record"] == "platform_fee_invoice")
    assert fee_row["amount_cny"] == "2400.00"
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("payments:statement"), {**period, "side": "provider", "format": "xlsx"}).content)
    )
    assert len(list(book["Invoices"].iter_rows(min_row=2))) == 2
    # The buyer's export has its own request and never the platform's fee records.
    client.force_login(buyer)
    response = client.get(
        reverse("payments:statement"), {**period, "side": "buyer", "format": "csv", "part": "invoices"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["record"] for row in rows] == ["invoice_request"]


def test_the_invoices_page_reads_in_a_constant_number_of_queries(deal, client):
    order, buyer, provider_user, _staff = deal
    title = title_for(order.enterprise)
    organisations = acting_organisations(buyer)

    def one_more(service_order):
        charge = paid(service_order)
        invoices.invoice_request(
            actor=buyer, organisations=organisations, payment_id=charge.pk, title=title, kind="general"
        )
        paid(make_service_order(enterprise=order.enterprise, buyer=buyer, provider=order.provider))  # not asked

    def statements(user) -> int:
        client.force_login(user)
        client.get(INVOICES)  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INVOICES).status_code == 200
        return len(queries)

    one_more(order)
    counts = {user.pk: statements(user) for user in (buyer, provider_user)}
    for _ in range(3):
        one_more(make_service_order(enterprise=order.enterprise, buyer=buyer, provider=order.provider))
    assert {user.pk: statements(user) for user in (buyer, provider_user)} == counts


def test_a_stage_settled_but_not_paid_out_is_not_invoiced_yet(stripe_settings, deal, committed):
    """Stage 1 is paid out; stage 2 is accepted but its payout waits (the provider's account is gone):
    only stage 1's fee is invoiced, by the transfer and by the daily sweep alike, until stage 2 is paid."""
    order, buyer, provider_user, _staff = deal
    staged = make_service_order(
        enterprise=order.enterprise, buyer=buyer, provider=order.provider, milestone_plan="A; 50%; 5\nB; 50%; 9"
    )
    for step in range(2):
        if step == 1:
            services.payout_account_set(provider=staged.provider, stripe_account_id="")  # payouts wait
        else:
            connected(staged)
        paid_by_card(staged)
        staged.deliverables.create(file=f"x{step}.pdf", name=f"{step}.pdf")
        deliver_order(staged, provider_user)
        committed(hiring.service_order_accept, service_order=staged, user=buyer)
    first, second = staged.milestones.order_by("position")
    assert Payout.objects.get(milestone=first).status == "paid"
    assert Payout.objects.get(milestone=second).status == "pending"
    assert services.ledger_balance(service_order=staged).fees == 240_000  # both stages' fees are in the ledger
    assert invoices.fee_invoices_sweep() == 0
    assert [f.amount_fen for f in FeeInvoice.objects.filter(service_order=staged)] == [120_000]

    committed(services.payout_account_set, provider=staged.provider, stripe_account_id="acct_provider_1")
    assert Payout.objects.get(milestone=second).status == "paid"
    assert sorted(f.amount_fen for f in FeeInvoice.objects.filter(service_order=staged)) == [120_000, 120_000]
