"""The per-order money ledger, the outbox of gateway writes, and the Stripe objects behind them.
Every amount is integer fen.

Ledger invariant, checked after every write in the same transaction (``ledger.check``):
charges − refunds − chargebacks − fees − transfers (each net of its returns) = amount held ≥ 0;
held may dip below zero only while a shortfall difference for the order is open (money Stripe took
back after the payout, until the transfer reversal that recovers it lands).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core.storage import private_storage

from .money import fen_to_yuan, yuan_to_fen


class PaymentRecord(models.Model):
    """One ledger entry: money in (charge), back to the buyer (refund), kept (fee) or paid out (transfer)."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")
        FEE = "fee", _("Platform fee")
        TRANSFER = "transfer", _("Transfer to the provider")
        CHARGEBACK = "chargeback", _("Chargeback (card dispute lost)")
        REVERSAL = "reversal", _("Transfer reversed")
        FEE_RETURN = "fee_return", _("Platform fee returned")

    class Origin(models.TextChoices):
        PLATFORM = "platform", _("Made by the platform")
        WEBHOOK = "webhook", _("Reported by the gateway")
        RECONCILIATION = "reconciliation", _("Found by reconciliation")

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_fen = models.BigIntegerField()
    # The gateway's reference; unique so a replayed notification records nothing twice.
    reference = models.CharField(max_length=128, unique=True)
    # The PaymentIntent whose charge this entry records, refunds or loses to a chargeback ("" for bank
    # transfers, fees and transfers): refunds are capped per charge by it.
    intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.PLATFORM)
    # The stage of an order paid in stages this entry belongs to (null for an order paid at once): the
    # ledger balances per stage as well as per order (``ledger.check``).
    milestone = models.ForeignKey(
        "hiring.Milestone", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="payment_amount_fen_positive")]

    def __str__(self):
        return f"{self.kind} {self.amount} CNY ({self.reference})"

    @property
    def amount(self):
        """The amount in yuan, for display and the hiring interface."""
        return fen_to_yuan(self.amount_fen) if self.amount_fen is not None else None

    @amount.setter
    def amount(self, value):
        self.amount_fen = yuan_to_fen(value)


class StripePayment(models.Model):
    """A PaymentIntent the platform created for an order (the amount is always the order's price)."""

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="stripe_payments")
    # The stage this intent funds (null for an order paid at once); its charge and refunds carry it.
    milestone = models.ForeignKey(
        "hiring.Milestone", null=True, blank=True, on_delete=models.PROTECT, related_name="stripe_payments"
    )
    intent_id = models.CharField(max_length=255, unique=True)
    client_secret = models.CharField(max_length=255)
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=40)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.intent_id


class StripeEvent(models.Model):
    """A webhook event claimed once: the unique id makes a replay or a concurrent duplicate a no-op.

    An event about an object the platform does not know yet (an intent whose creation has not been
    recorded, say) is parked with its verified payload and retried by reconciliation, never consumed.
    """

    class Status(models.TextChoices):
        PROCESSED = "processed", _("Processed")
        PARKED = "parked", _("Parked: about an object not known yet")

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROCESSED)
    payload = models.JSONField(null=True, blank=True)  # kept only while parked
    attempts = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.event_id} {self.type}"


class PayoutAccount(models.Model):
    """A provider's Stripe Connect account; without one their payouts wait as pending."""

    provider = models.OneToOneField("providers.Provider", on_delete=models.CASCADE, related_name="payout_account")
    stripe_account_id = models.CharField(_("Stripe connected account id"), max_length=255, blank=True)

    def __str__(self):
        return self.stripe_account_id or "-"


class Payout(models.Model):
    """What the provider earns from a completed order (or an accepted stage of an order paid in stages):
    the held money minus the platform fee. One per order, or one per stage."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        HELD = "held", _("On hold")
        PAID = "paid", _("Paid out")
        CANCELLED = "cancelled", _("Cancelled")

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="order_payouts")
    milestone = models.OneToOneField(
        "hiring.Milestone", null=True, blank=True, on_delete=models.PROTECT, related_name="payout"
    )
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="payouts")
    amount_fen = models.BigIntegerField()
    fee_fen = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    transfer_id = models.CharField(max_length=255, blank=True)

    class HoldReason(models.TextChoices):
        CHARGEBACK = (
            "chargeback",
            _("The buyer's bank opened a card dispute (chargeback); the payout waits for its outcome."),
        )
        DIFFERENCE = "difference", _("Staff are checking a payment difference on this order.")
        REFUND = "refund", _("A refund to the buyer is under way.")

    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_order"], condition=models.Q(milestone__isnull=True), name="one_payout_per_order"
            )
        ]

    def __str__(self):
        return f"payout {self.amount_fen} fen ({self.status})"

    @property
    def amount(self):
        return fen_to_yuan(self.amount_fen)

    @property
    def fee(self):
        return fen_to_yuan(self.fee_fen)


def _idempotency_key() -> str:
    return f"ow-{uuid.uuid4().hex}"


class StripeOperation(models.Model):
    """The outbox: one write to the gateway (create or confirm an intent, refund, transfer, reverse a transfer).

    The row — operation, target, amount and idempotency key — is committed before the call; the call
    runs outside any row lock; the result is recorded in a transaction of its own. A retry (the next
    page load, a webhook, reconciliation) reads the row and sends the same key, so Stripe does the
    write at most once. The key is random and fixed at creation: it never depends on an amount or an
    outcome that can change (a new decision is a new operation with a new key).
    """

    class Kind(models.TextChoices):
        INTENT_CREATE = "intent_create", _("Create a payment intent")
        INTENT_CONFIRM = "intent_confirm", _("Confirm a payment intent")
        REFUND = "refund", _("Refund")
        TRANSFER = "transfer", _("Transfer to the provider")
        REVERSAL = "reversal", _("Reverse a transfer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="stripe_operations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What the operation is for, e.g. "refund:dispute-12:pi_…": one operation per purpose, ever.
    purpose = models.CharField(max_length=255, unique=True)
    idempotency_key = models.CharField(max_length=64, unique=True, default=_idempotency_key, editable=False)
    # The intent (confirm, refund), connected account (transfer) or transfer (reversal) it acts on.
    target = models.CharField(max_length=255, blank=True)
    amount_fen = models.BigIntegerField(null=True, blank=True)
    payout = models.ForeignKey("Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="operations")
    # The stage an intent is created for (the intent's ``StripePayment`` takes it when it is recorded).
    milestone = models.ForeignKey("hiring.Milestone", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    result_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__isnull=True) | models.Q(amount_fen__gt=0),
                name="stripe_operation_amount_positive",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.purpose} ({self.status})"


class Chargeback(models.Model):
    """A card dispute the buyer's bank opened with Stripe: the order's payout waits until it closes, and a
    lost one is settled in the ledger (``PaymentRecord.Kind.CHARGEBACK``)."""

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="chargebacks")
    dispute_id = models.CharField(max_length=255, unique=True)
    intent_id = models.CharField(max_length=255)
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=40)  # Stripe's: needs_response, under_review, won, lost …
    reason = models.CharField(max_length=100, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self):
        return f"{self.dispute_id} ({self.status})"

    @property
    def amount(self):
        return fen_to_yuan(self.amount_fen)


class PaymentDifference(models.Model):
    """Something reconciliation (or a webhook) found between Stripe and the ledger.

    Open differences hold every payout of their order and are listed for staff; a difference that was
    corrected automatically (money Stripe moved that the ledger lacked, now recorded) is stored
    already resolved, so staff can still see what was found.
    """

    class Kind(models.TextChoices):
        RECORDED = "recorded", _("Stripe moved money the ledger lacked; recorded")
        FAILED_OPERATION = "failed_operation", _("A gateway write was refused")
        STALLED_OPERATION = "stalled_operation", _("A gateway write is still unfinished")
        SHORTFALL = "shortfall", _("Money taken back after the payout")
        MISMATCH = "mismatch", _("Stripe's totals differ from the ledger")
        UNKNOWN_OBJECT = "unknown_object", _("Event about an object the platform does not know")

    service_order = models.ForeignKey(
        "hiring.ServiceOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="payment_differences"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What it is about (a refund, dispute, transfer, operation or event id): one open difference per key.
    key = models.CharField(max_length=255)
    detail = models.CharField(max_length=500)
    amount_fen = models.BigIntegerField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-found_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], condition=models.Q(resolved_at__isnull=True), name="one_open_difference_per_key"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.key}"

    @property
    def amount(self):
        return fen_to_yuan(self.amount_fen) if self.amount_fen is not None else None


def invoice_upload_to(instance, filename: str) -> str:
    # The stored name never carries the uploader's file name (it may hold anything); the format's
    # extension is kept so the download opens in the right program.
    extension = {"PDF": "pdf", "OFD": "ofd", "XML": "xml"}.get(instance.file_format, "bin")
    return f"invoices/{instance.service_order_id}/{uuid.uuid4().hex}.{extension}"


class InvoiceRequest(models.Model):
    """The buyer's request for an invoice (发票) on one payment, and the provider's answer: the e-invoice
    file (PDF, OFD or XML, kept privately) or the number of an invoice issued elsewhere.

    The title is copied from the enterprise's invoice title when asked, so it stays what was asked.
    A payment has at most one request that is not withdrawn.
    """

    class Kind(models.TextChoices):
        GENERAL = "general", _("Electronic general VAT invoice (普通发票)")
        SPECIAL = "special", _("Electronic special VAT invoice (专用发票)")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ISSUED = "issued", _("Issued")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="invoice_requests")
    payment = models.ForeignKey(PaymentRecord, on_delete=models.PROTECT, related_name="invoice_requests")
    amount_fen = models.BigIntegerField()
    kind = models.CharField(_("Invoice type"), max_length=10, choices=Kind.choices, default=Kind.GENERAL)
    title_name = models.CharField(_("Name on the invoice"), max_length=200)
    tax_number = models.CharField(_("Taxpayer identification number"), max_length=20)
    address = models.CharField(_("Registered address"), max_length=200, blank=True)
    phone = models.CharField(_("Telephone"), max_length=40, blank=True)
    bank_name = models.CharField(_("Bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("Bank account number"), max_length=40, blank=True)
    note = models.CharField(_("Note to the provider"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    invoice_number = models.CharField(_("Invoice number"), max_length=40, blank=True)
    file = models.FileField(upload_to=invoice_upload_to, storage=private_storage, max_length=255, blank=True)
    file_format = models.CharField(max_length=3, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"], condition=~models.Q(status="withdrawn"), name="one_invoice_request_per_payment"
            ),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="invoice_request_amount_positive"),
        ]

    def __str__(self):
        return f"invoice request {self.pk} ({self.status})"

    @property
    def amount(self):
        return fen_to_yuan(self.amount_fen)

    @property
    def overdue(self) -> bool:
        return self.status == self.Status.REQUESTED and self.due_at < timezone.now()


class FeeInvoice(models.Model):
    """The platform's own invoice record to a provider for the fees it kept on one order.

    Issued when the order's payout is paid out, for the fee the ledger then holds (fees less fee
    returns); if the ledger's fee changes afterwards (money taken back after the payout), a credit
    note (红字) or a further invoice for the difference is issued, so the records of an order always
    add up to its ledger fee. Never changed once made.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Fee invoice")
        CREDIT = "credit", _("Credit note (红字)")

    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="fee_invoices")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="fee_invoices")
    amount_fen = models.BigIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="fee_invoice_amount_positive")]

    def __str__(self):
        return self.number

    @property
    def amount(self):
        return fen_to_yuan(self.amount_fen)

    @property
    def signed_fen(self) -> int:
        return -self.amount_fen if self.kind == self.Kind.CREDIT else self.amount_fen
