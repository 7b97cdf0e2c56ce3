"""The per-order money ledger and the Stripe objects behind it. Every amount is integer fen.

Ledger invariant, checked after every write in the same transaction (``services._ledger_check``):
charges − refunds − transfers − fees = amount held ≥ 0.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .money import fen_to_yuan, yuan_to_fen


class PaymentRecord(models.Model):
    """One ledger entry: money in (charge), back to the buyer (refund), kept (fee) or paid out (transfer)."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")
        FEE = "fee", _("Platform fee")
        TRANSFER = "transfer", _("Transfer to the provider")

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_fen = models.BigIntegerField()
    # The gateway's reference; unique so a replayed notification records nothing twice.
    reference = models.CharField(max_length=128, unique=True)
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
    """A webhook event processed once: the unique id makes a replay or a concurrent duplicate a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
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
    """What the provider earns from a completed order: the held money minus the platform fee."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid out")

    service_order = models.OneToOneField("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="payout")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="payouts")
    amount_fen = models.BigIntegerField()
    fee_fen = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    transfer_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"payout {self.amount_fen} fen ({self.status})"

    @property
    def amount(self):
        return fen_to_yuan(self.amount_fen)

    @property
    def fee(self):
        return fen_to_yuan(self.fee_fen)
