"""A ledger row per money movement recorded against an order (amounts: Decimal CNY, yuan)."""

from django.db import models
from django.utils import timezone


class PaymentRecord(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", "charge"
        REFUND = "refund", "refund"

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # The gateway's reference; unique so a replayed notification records nothing twice.
    reference = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.kind} {self.amount} CNY ({self.reference})"
