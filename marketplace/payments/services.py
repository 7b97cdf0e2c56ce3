"""The payment interface the service lifecycle uses; the gateway (Stripe) plugs in behind it.

Amounts are ``Decimal`` CNY in yuan with two places. ``reference`` is the gateway's id for the
movement and is unique, so a replayed notification is recorded once.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from marketplace.hiring.models import ServiceOrder

from .models import PaymentRecord


def amount_paid(*, service_order: ServiceOrder) -> Decimal:
    rows = PaymentRecord.objects.filter(service_order=service_order)
    charged = rows.filter(kind=PaymentRecord.Kind.CHARGE).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    refunded = rows.filter(kind=PaymentRecord.Kind.REFUND).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return charged - refunded


@transaction.atomic
def payment_record(*, service_order: ServiceOrder, amount: Decimal, reference: str) -> PaymentRecord:
    """Record the buyer's payment in full; moves the order to ``in_service`` and starts the clock."""
    from marketplace.hiring import services as hiring

    existing = PaymentRecord.objects.filter(reference=reference).first()
    if existing is not None:
        if existing.service_order_id != service_order.pk or existing.kind != PaymentRecord.Kind.CHARGE:
            raise ValidationError(_("This payment reference belongs to another movement."), code="reference_reused")
        return existing  # replayed notification
    service_order = ServiceOrder.objects.select_for_update().get(pk=service_order.pk)
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount != service_order.price:
        raise ValidationError(
            _("The payment of %(amount)s CNY does not match the order's price of %(price)s CNY."),
            code="amount_mismatch",
            params={"amount": amount, "price": service_order.price},
        )
    record = PaymentRecord.objects.create(
        service_order=service_order, kind=PaymentRecord.Kind.CHARGE, amount=amount, reference=reference
    )
    hiring.service_order_start(service_order=service_order, paid_at=record.created_at)
    return record


@transaction.atomic
def refund_record(*, service_order: ServiceOrder, amount: Decimal, reference: str) -> PaymentRecord:
    """Record money returned to the buyer; never more than was paid."""
    existing = PaymentRecord.objects.filter(reference=reference).first()
    if existing is not None:
        return existing
    service_order = ServiceOrder.objects.select_for_update().get(pk=service_order.pk)
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount <= 0 or amount > amount_paid(service_order=service_order):
        raise ValidationError(_("A refund cannot exceed what was paid."), code="refund_too_large")
    record = PaymentRecord.objects.create(
        service_order=service_order, kind=PaymentRecord.Kind.REFUND, amount=amount, reference=reference
    )
    service_order.refunded_amount += amount
    service_order.save(update_fields=["refunded_amount"])
    return record


@transaction.atomic
def payment_record_manual(*, service_order: ServiceOrder, user, reference: str) -> PaymentRecord:
    """Staff record a payment received outside the platform (bank transfer) until the gateway lands."""
    if not (user and user.is_authenticated and user.is_staff):
        raise ValidationError(_("Only platform staff may record a payment."), code="staff_only")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(_("Enter the bank or receipt reference of the payment."), code="reference_required")
    return payment_record(
        service_order=service_order, amount=service_order.price, reference=f"manual:{reference}"[:128]
    )
