"""Invoices (发票): the buyer asks the provider for one on each payment, the provider answers with the
e-invoice file or the number of an invoice issued elsewhere; and the platform's own fee invoice records
to providers, kept equal to the ledger's fee of each order.

Who may act is decided from the organisations passed in (the acting person's, ``ActingOrganisations``):
a buyer's member asks and withdraws, a provider's member issues. Overdue means still requested after
``INVOICE_DUE_DAYS`` days.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import PurePath

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core import notify
from marketplace.core.selectors import ActingOrganisations
from marketplace.core.uploads import file_digest

from . import conf, ledger
from .models import FeeInvoice, InvoiceRequest, PaymentRecord, Payout
from .money import fen_to_yuan

Kind = PaymentRecord.Kind
INVOICE_MAX_SIZE = 10 * 1024 * 1024
# An OFD file is a ZIP package; more entries than this is not an invoice.
OFD_MAX_ENTRIES = 500


# --- the e-invoice file ------------------------------------------------------------------------------


def einvoice_format(upload) -> str:
    """``"PDF"``, ``"OFD"`` or ``"XML"`` for an acceptable e-invoice file, or ``ValidationError`` saying why
    not. The content decides, and the name's extension must agree: a PDF starts ``%PDF-``; an OFD (GB/T
    33190) is a ZIP package with ``OFD.xml`` at its root; an XML invoice (the fully digitalised 数电票 format)
    is well-formed XML without a DTD or entities."""
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError(_("The file is empty."), code="invoice_empty")
    if size > INVOICE_MAX_SIZE:
        raise ValidationError(_("An e-invoice file may be at most 10 MB."), code="invoice_too_large")
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    extension = PurePath(getattr(upload, "name", "") or "").suffix.lower()
    if content.startswith(b"%PDF-"):
        found = "PDF"
    elif content.startswith(b"PK\x03\x04"):
        _check_ofd(content)
        found = "OFD"
    elif content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        _check_xml(content)
        found = "XML"
    else:
        raise ValidationError(
            _("This is not a PDF, OFD or XML e-invoice (its content says otherwise, whatever its name)."),
            code="invoice_wrong_type",
        )
    if extension != f".{found.lower()}":
        raise ValidationError(
            _("The file is named “%(extension)s” but its content is %(kind)s; rename it or upload the right file."),
            code="invoice_extension_mismatch",
            params={"extension": extension or _("(no extension)"), "kind": found},
        )
    return found


def _check_ofd(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = package.namelist()
    except zipfile.BadZipFile:
        raise ValidationError(_("This OFD file is damaged (it is not a readable package)."), code="ofd_bad") from None
    if len(names) > OFD_MAX_ENTRIES or "OFD.xml" not in names:
        raise ValidationError(
            _("This is a ZIP file but not an OFD invoice (an OFD package has OFD.xml at its root)."), code="ofd_bad"
        )


def _check_xml(content: bytes) -> None:
    try:
        fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError):
        # ElementTree's ParseError is a SyntaxError; a DTD or entity is refused outright.
        raise ValidationError(
            _("This XML file is not a well-formed invoice (or it declares a DTD or entities, which are refused)."),
            code="xml_bad",
        ) from None


# --- asking, withdrawing, issuing -------------------------------------------------------------------------


def _invoiceable_amount(payment: PaymentRecord) -> int:
    """A payment's amount less what was refunded or charged back of it so far (card charges are matched by
    their intent; a bank transfer has none, and its own refunds are not tied to it)."""
    if not payment.intent_id:
        return payment.amount_fen
    back = PaymentRecord.objects.filter(
        service_order_id=payment.service_order_id,
        intent_id=payment.intent_id,
        kind__in=(Kind.REFUND, Kind.CHARGEBACK),
    ).aggregate(total=Sum("amount_fen"))["total"]
    return payment.amount_fen - (back or 0)


@transaction.atomic
def invoice_request(
    *, actor, organisations: ActingOrganisations, payment_id: int, title, kind: str, note: str = ""
) -> InvoiceRequest:
    """A buyer's member asks the provider for an invoice on one of its enterprise's payments, made out to
    ``title`` (one of that enterprise's invoice titles)."""
    payment = (
        PaymentRecord.objects.select_related("service_order__provider")
        .filter(kind=Kind.CHARGE, service_order__enterprise_id__in=organisations.enterprise_ids)
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise PaymentRecord.DoesNotExist("no such payment of the acting enterprises")
    ledger.lock(payment.service_order)
    if title.enterprise_id != payment.service_order.enterprise_id:
        raise ValidationError(_("Choose one of your enterprise's invoice titles."), code="invoice_title")
    if kind not in InvoiceRequest.Kind.values:
        raise ValidationError(_("Choose an invoice type."), code="invoice_kind")
    if kind == InvoiceRequest.Kind.SPECIAL and not title.complete_for_special:
        raise ValidationError(
            _("A special VAT invoice needs the title's address, telephone, bank and account number; add them first."),
            code="invoice_title_incomplete",
        )
    if payment.invoice_requests.exclude(status=InvoiceRequest.Status.WITHDRAWN).exists():
        raise ValidationError(_("An invoice was already requested for this payment."), code="invoice_twice")
    amount = _invoiceable_amount(payment)
    if amount <= 0:
        raise ValidationError(_("This payment was refunded in full; there is nothing to invoice."), code="invoice_none")
    now = timezone.now()
    request = InvoiceRequest.objects.create(
        service_order=payment.service_order,
        payment=payment,
        amount_fen=amount,
        kind=kind,
        title_name=title.name,
        tax_number=title.tax_number,
        address=title.address,
        phone=title.phone,
        bank_name=title.bank_name,
        bank_account=title.bank_account,
        note=note[:200],
        requested_by=actor,
        requested_at=now,
        due_at=now + datetime.timedelta(days=conf.get("INVOICE_DUE_DAYS")),
    )
    provider = payment.service_order.provider
    notify.notify(
        recipients=notify.organisation_recipients(provider),
        subject=_("Invoice requested for order %(number)s"),
        body=_(
            "The buyer asked for an invoice of CNY %(amount)s for order %(number)s, made out to %(title)s. "
            "Please issue it within %(days)s days."
        ),
        params={
            "number": payment.service_order.order.number,
            "amount": fen_to_yuan(amount),
            "title": title.name,
            "days": conf.get("INVOICE_DUE_DAYS"),
        },
        url=reverse("payments:invoices"),
    )
    return request


def _locked_request(*, request_id: int, scope: Q) -> InvoiceRequest:
    request = InvoiceRequest.objects.filter(scope, pk=request_id).select_related("service_order__order").first()
    if request is None:
        raise InvoiceRequest.DoesNotExist("no such invoice request for the acting organisations")
    ledger.lock(request.service_order)
    return InvoiceRequest.objects.select_for_update().select_related("service_order__order").get(pk=request.pk)


@transaction.atomic
def invoice_withdraw(*, organisations: ActingOrganisations, request_id: int) -> InvoiceRequest:
    """The buyer withdraws a request not answered yet (a wrong title, say) and may ask again."""
    request = _locked_request(
        request_id=request_id, scope=Q(service_order__enterprise_id__in=organisations.enterprise_ids)
    )
    if request.status != InvoiceRequest.Status.REQUESTED:
        raise ValidationError(_("Only a request not answered yet can be withdrawn."), code="invoice_not_open")
    request.status = InvoiceRequest.Status.WITHDRAWN
    request.save(update_fields=["status"])
    return request


@transaction.atomic
def invoice_issue(
    *, actor, organisations: ActingOrganisations, request_id: int, number: str = "", upload=None
) -> InvoiceRequest:
    """The provider answers a request: the e-invoice file (checked, kept privately, its SHA-256 noted)
    and/or the invoice's number. At least one is needed; a request is answered once."""
    number = (number or "").strip()
    if not number and upload is None:
        raise ValidationError(
            _("Upload the e-invoice file or enter the number of the invoice you issued."), code="invoice_empty_answer"
        )
    if number and (len(number) > 40 or not number.replace("-", "").isalnum()):
        raise ValidationError(_("An invoice number has at most 40 letters and digits."), code="invoice_number")
    file_format = einvoice_format(upload) if upload is not None else ""
    request = _locked_request(request_id=request_id, scope=Q(service_order__provider_id__in=organisations.provider_ids))
    if request.status != InvoiceRequest.Status.REQUESTED:
        raise ValidationError(_("This request was already answered or withdrawn."), code="invoice_not_open")
    request.status = InvoiceRequest.Status.ISSUED
    request.invoice_number = number
    request.issued_by, request.issued_at = actor, timezone.now()
    if upload is not None:
        request.file_format = file_format
        request.file_sha256, _size = file_digest(upload)
        request.file.save("invoice", upload, save=False)
    request.save()
    notify.notify(
        recipients=notify.organisation_recipients(request.service_order.enterprise),
        subject=_("Invoice issued for order %(number)s"),
        body=_("The provider issued the invoice of CNY %(amount)s for order %(number)s."),
        params={"number": request.service_order.order.number, "amount": request.amount},
        url=reverse("payments:invoices"),
    )
    return request


# --- the platform's fee invoice records ---------------------------------------------------------------------


def fee_invoices_sync(service_order) -> list[FeeInvoice]:
    """Make the order's fee invoice records add up to the ledger fee (fees less fee returns) of what is paid
    out: the order's payout, or each stage's that is paid (a stage settled but not paid out yet is not
    invoiced): an invoice for a fee not invoiced yet, a credit note for a fee given back since. Call with
    the order locked (``ledger.lock``); idempotent, so the transfer's recording, a later fee return and
    the daily sweep may all call it."""
    paid = Payout.objects.filter(service_order_id=service_order.pk, status=Payout.Status.PAID)
    fee = sum(
        ledger.ledger_balance(service_order=service_order, milestone_id=stage).fees
        for stage in paid.values_list("milestone_id", flat=True)
    )
    records = list(FeeInvoice.objects.filter(service_order_id=service_order.pk))
    difference = fee - sum(record.signed_fen for record in records)
    if not difference:
        return []
    now = timezone.now()
    record = FeeInvoice.objects.create(
        number=f"OWF{timezone.localdate(now):%Y%m%d}-{service_order.pk}-{len(records) + 1}",
        kind=FeeInvoice.Kind.INVOICE if difference > 0 else FeeInvoice.Kind.CREDIT,
        service_order_id=service_order.pk,
        provider_id=service_order.provider_id,
        amount_fen=abs(difference),
        issued_at=now,
    )
    return [record]


def fee_invoices_sweep() -> int:
    """The daily safety net (and the catch-up for payouts paid before fee invoices existed): every order
    with a paid payout whose records differ from its ledger fee gets them synced. Returns how many
    records were issued."""
    issued = 0
    order_model = Payout._meta.get_field("service_order").related_model  # hiring's, without importing hiring
    paid = Payout.objects.filter(status=Payout.Status.PAID).order_by("service_order_id")
    for order_id in paid.values_list("service_order_id", flat=True).distinct():  # an order paid in stages: once
        with transaction.atomic():
            issued += len(fee_invoices_sync(ledger.lock(order_model(pk=order_id))))
    return issued


# --- reading ---------------------------------------------------------------------------------------------------


def buyer_payments(*, organisations: ActingOrganisations) -> QuerySet[PaymentRecord]:
    """The acting enterprises' payments, newest first, each with its live invoice request (if any)."""
    return (
        PaymentRecord.objects.filter(kind=Kind.CHARGE, service_order__enterprise_id__in=organisations.enterprise_ids)
        .select_related("service_order__order", "service_order__provider", "service_order__enterprise")
        .order_by("-created_at", "-pk")
    )


def live_requests_by_payment(payment_ids) -> dict[int, InvoiceRequest]:
    return {
        request.payment_id: request
        for request in InvoiceRequest.objects.filter(payment_id__in=list(payment_ids)).exclude(
            status=InvoiceRequest.Status.WITHDRAWN
        )
    }


def provider_requests(*, organisations: ActingOrganisations) -> QuerySet[InvoiceRequest]:
    """Invoice requests to the acting providers: open ones first (oldest due first), then the answered."""
    return (
        InvoiceRequest.objects.filter(service_order__provider_id__in=organisations.provider_ids)
        .exclude(status=InvoiceRequest.Status.WITHDRAWN)
        .select_related("service_order__order", "service_order__enterprise", "service_order__provider")
        .order_by("-status", "due_at", "pk")  # descending: "requested" before "issued"
    )


def overdue_requests(*, provider_ids=None, now=None) -> QuerySet[InvoiceRequest]:
    """Requests still unanswered past their due time: all of them (staff oversight), or the given
    providers' (their console)."""
    requests = InvoiceRequest.objects.filter(status=InvoiceRequest.Status.REQUESTED, due_at__lt=now or timezone.now())
    if provider_ids is not None:
        requests = requests.filter(service_order__provider_id__in=provider_ids)
    return requests.select_related("service_order__order", "service_order__enterprise", "service_order__provider")


def request_for_party(*, organisations: ActingOrganisations, request_id: int) -> InvoiceRequest:
    """An issued request whose file either party may download; ``DoesNotExist`` for anyone else."""
    return InvoiceRequest.objects.get(
        Q(service_order__enterprise_id__in=organisations.enterprise_ids)
        | Q(service_order__provider_id__in=organisations.provider_ids),
        pk=request_id,
        status=InvoiceRequest.Status.ISSUED,
    )


def fee_invoices_for(*, organisations: ActingOrganisations) -> QuerySet[FeeInvoice]:
    return FeeInvoice.objects.filter(provider_id__in=organisations.provider_ids).select_related(
        "service_order__order", "provider"
    )


def open_request_counts(*, provider_ids, now=None) -> dict[str, int]:
    """How many requests to the providers are unanswered, and how many of those are overdue, in one query."""
    counts = InvoiceRequest.objects.filter(
        service_order__provider_id__in=provider_ids, status=InvoiceRequest.Status.REQUESTED
    ).aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now or timezone.now())))
    return {"open": counts["open"], "overdue": counts["overdue"]}
