"""The payment service: what the order lifecycle calls; the gateway sits behind ``interfaces.get_gateway()``.

Payments serves hiring and never imports it: applying money returns a ``PaymentOutcome`` and hiring
decides what the order does (``marketplace.hiring.payment_flow``); whatever payments needs to know
about the order's state (is it still awaiting payment?) hiring passes in.

The hiring interface (``payment_record``, ``refund_record``, ``amount_paid``) speaks ``Decimal``
yuan; everything else here counts integer fen (``money`` is the one conversion boundary). Every
change of money state locks the order row first and ends with ``_ledger_check`` in the same
transaction: charges − refunds − transfers − fees = held ≥ 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.apps.order.models import PaymentEvent, PaymentEventType
from oscar.apps.payment.models import Source, SourceType

from . import conf
from .interfaces import CardDeclined, GatewayError, Intent, get_gateway
from .models import PaymentRecord, Payout, PayoutAccount, StripeEvent, StripePayment
from .money import CURRENCY, fen_to_yuan, percent_of, yuan_to_fen
from .outcomes import PaymentOutcome, PaymentResult, WebhookReceipt

if TYPE_CHECKING:  # annotations only: payments holds hiring's orders by foreign key, never imports hiring
    from marketplace.hiring.models import ServiceOrder

logger = logging.getLogger(__name__)

STRIPE_SOURCE = "Stripe"
MANUAL_SOURCE = "Bank transfer"


class LedgerError(Exception):
    """The ledger would not balance; the transaction is rolled back."""


class PaymentError(ValidationError):
    """Something the buyer or staff can correct; the message is safe to show."""


class PaymentUnavailable(PaymentError):
    """The gateway could not be reached for a call that moves money; nothing was changed here.
    (A webhook that hits this answers 503, so the gateway retries it.)"""


@dataclass(frozen=True)
class Balance:
    charged: int
    refunded: int
    fees: int
    transferred: int

    @property
    def held(self) -> int:
        return self.charged - self.refunded - self.transferred - self.fees


# --- the ledger ------------------------------------------------------------------------------------


def ledger_balance(*, service_order: ServiceOrder) -> Balance:
    sums = dict(
        PaymentRecord.objects.filter(service_order_id=service_order.pk)
        .values_list("kind")
        .annotate(total=Sum("amount_fen"))
        .values_list("kind", "total")
    )
    return Balance(
        charged=sums.get(PaymentRecord.Kind.CHARGE, 0),
        refunded=sums.get(PaymentRecord.Kind.REFUND, 0),
        fees=sums.get(PaymentRecord.Kind.FEE, 0),
        transferred=sums.get(PaymentRecord.Kind.TRANSFER, 0),
    )


def _ledger_check(service_order: ServiceOrder) -> Balance:
    balance = ledger_balance(service_order=service_order)
    if balance.held < 0 or balance.refunded > balance.charged:
        raise LedgerError(f"ledger of order {service_order.pk} does not balance: {balance}")
    return balance


def _entry(service_order, kind, amount_fen: int, reference: str) -> PaymentRecord:
    record = PaymentRecord.objects.create(
        service_order=service_order, kind=kind, amount_fen=amount_fen, reference=reference[:128]
    )
    _ledger_check(service_order)
    return record


def _lock(service_order: ServiceOrder) -> ServiceOrder:
    # The order row is the lock every money change of an order queues on; its model is reached
    # through our own foreign key (a data reference) so payments does not import hiring.
    order_model = PaymentRecord._meta.get_field("service_order").related_model
    return order_model.objects.select_for_update().select_related("order").get(pk=service_order.pk)


def _oscar_source(service_order, source_name: str) -> Source:
    source_type, _created = SourceType.objects.get_or_create(name=source_name)
    source, _created = Source.objects.get_or_create(
        order=service_order.order, source_type=source_type, defaults={"currency": service_order.order.currency}
    )
    return source


def _oscar_event(service_order, event_name: str, amount: Decimal, reference: str) -> None:
    event_type, _created = PaymentEventType.objects.get_or_create(name=event_name)
    event = PaymentEvent.objects.create(
        order=service_order.order, amount=amount, reference=reference[:128], event_type=event_type
    )
    for line in service_order.order.lines.all():
        event.line_quantities.create(line=line, quantity=line.quantity)


# --- the hiring interface (yuan) ---------------------------------------------------------------------


def amount_paid(*, service_order: ServiceOrder) -> Decimal:
    balance = ledger_balance(service_order=service_order)
    return fen_to_yuan(balance.charged - balance.refunded)


def amount_refunded(*, service_order: ServiceOrder) -> Decimal:
    return fen_to_yuan(ledger_balance(service_order=service_order).refunded)


def _charge(service_order, *, amount_fen: int, reference: str, source_name: str) -> PaymentRecord:
    """Record money received for a locked order, in Oscar's payment models too."""
    record = _entry(service_order, PaymentRecord.Kind.CHARGE, amount_fen, reference)
    amount = fen_to_yuan(amount_fen)
    source = _oscar_source(service_order, source_name)
    source.allocate(amount, reference=reference[:255], status="succeeded")
    source.debit(amount, reference=reference[:255], status="succeeded")
    _oscar_event(service_order, "paid", amount, reference)
    return record


def _outcome(result: PaymentResult, service_order, *, amount_fen: int, reference: str, record=None) -> PaymentOutcome:
    return PaymentOutcome(
        result=result,
        service_order_id=service_order.pk,
        amount_fen=amount_fen,
        reference=reference,
        record_id=record.pk if record is not None else None,
        recorded_at=record.created_at if record is not None else None,
    )


@transaction.atomic
def payment_record(
    *, service_order: ServiceOrder, amount: Decimal, reference: str, source_name: str = MANUAL_SOURCE
) -> PaymentOutcome:
    """Record the buyer's payment in full; ``applied``, or ``duplicate`` for a replayed reference.

    Starting the order is hiring's decision (``payment_flow.service_order_payment_received``), made
    in the caller's transaction: if hiring refuses, this charge rolls back with it.
    """
    service_order = _lock(service_order)
    existing = PaymentRecord.objects.filter(reference=reference).first()
    if existing is not None:
        if existing.service_order_id != service_order.pk or existing.kind != PaymentRecord.Kind.CHARGE:
            raise ValidationError(_("This payment reference belongs to another movement."), code="reference_reused")
        return _outcome(  # replayed notification
            PaymentResult.DUPLICATE, service_order, amount_fen=existing.amount_fen, reference=reference, record=existing
        )
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount != service_order.price:
        raise ValidationError(
            _("The payment of %(amount)s CNY does not match the order's price of %(price)s CNY."),
            code="amount_mismatch",
            params={"amount": amount, "price": service_order.price},
        )
    amount_fen = yuan_to_fen(amount)
    record = _charge(service_order, amount_fen=amount_fen, reference=reference, source_name=source_name)
    return _outcome(PaymentResult.APPLIED, service_order, amount_fen=amount_fen, reference=reference, record=record)


def _succeeded_intent(service_order) -> StripePayment | None:
    return service_order.stripe_payments.filter(status="succeeded").order_by("-created_at").first()


def _refund(service_order, *, amount_fen: int, reference: str, intent_id: str | None = None) -> PaymentRecord:
    """Return money to the buyer of a locked order: through Stripe when the order was paid by card.

    ``intent_id`` names the charge being reversed (money that came late, or twice, goes back to the
    card it came from); without it, the order's latest card payment.
    """
    balance = ledger_balance(service_order=service_order)
    if amount_fen <= 0 or amount_fen > balance.charged - balance.refunded or amount_fen > balance.held:
        raise ValidationError(_("A refund cannot exceed what was paid."), code="refund_too_large")
    target = intent_id or getattr(_succeeded_intent(service_order), "intent_id", None)
    if target is not None:
        try:
            # The idempotency key makes a retry of this same refund return the same Stripe refund.
            refund = get_gateway().refund_create(
                intent_id=target, amount=amount_fen, idempotency_key=f"ow-refund-{reference}"
            )
        except GatewayError:
            raise PaymentUnavailable(
                _("The payment service could not make the refund now; nothing was changed. Try again later."),
                code="gateway_unavailable",
            ) from None
        gateway_ref, source_name = refund.id, STRIPE_SOURCE
    else:
        gateway_ref, source_name = reference, MANUAL_SOURCE  # paid by bank transfer: staff pay it back
    record = _entry(service_order, PaymentRecord.Kind.REFUND, amount_fen, gateway_ref)
    amount = fen_to_yuan(amount_fen)
    _oscar_source(service_order, source_name).refund(amount, reference=gateway_ref[:255], status="succeeded")
    _oscar_event(service_order, "refunded", amount, gateway_ref)
    return record


@transaction.atomic
def refund_record(*, service_order: ServiceOrder, amount: Decimal, reference: str) -> PaymentRecord:
    """Refund the buyer (a dispute decision); never more than was paid and is still held."""
    service_order = _lock(service_order)
    existing = PaymentRecord.objects.filter(reference=reference).first()
    if existing is not None:
        return existing
    amount_fen = yuan_to_fen(Decimal(amount).quantize(Decimal("0.01")))
    return _refund(service_order, amount_fen=amount_fen, reference=reference)


@transaction.atomic
def payment_record_manual(*, service_order: ServiceOrder, user, reference: str) -> PaymentOutcome:
    """Staff record a payment received outside the platform (a bank transfer)."""
    if not (user and user.is_authenticated and user.is_staff):
        raise ValidationError(_("Only platform staff may record a payment."), code="staff_only")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(_("Enter the bank or receipt reference of the payment."), code="reference_required")
    return payment_record(
        service_order=service_order, amount=service_order.price, reference=f"manual:{reference}"[:128]
    )


# --- paying by card -----------------------------------------------------------------------------------


@transaction.atomic
def payment_intent_for_order(*, service_order: ServiceOrder) -> StripePayment:
    """The order's open PaymentIntent, created on first use. The amount is the order's price, never the client's.

    Only for an order awaiting payment: hiring checks that under the order's lock before calling.
    """
    service_order = _lock(service_order)
    amount_fen = yuan_to_fen(service_order.price)
    # An intent whose card was declined is not reused: each new card gets a fresh intent.
    open_payments = service_order.stripe_payments.exclude(status__in=("succeeded", "canceled")).filter(last_error="")
    payment = open_payments.filter(amount_fen=amount_fen).first()
    if payment is not None:
        return payment
    attempt = service_order.stripe_payments.count() + 1
    try:
        intent = get_gateway().payment_intent_create(
            amount=amount_fen,
            metadata={"service_order": str(service_order.pk), "order_number": service_order.order.number},
            idempotency_key=f"ow-pi-{service_order.pk}-{attempt}",
        )
    except GatewayError:
        raise PaymentError(
            _("The payment service is not reachable right now. Please try again in a minute."),
            code="gateway_unavailable",
        ) from None
    return StripePayment.objects.create(
        service_order=service_order,
        intent_id=intent.id,
        client_secret=intent.client_secret,
        amount_fen=intent.amount,
        status=intent.status,
    )


def payment_confirm(*, payment: StripePayment, payment_method: str) -> Intent:
    """Confirm the intent with the buyer's card on the server; the intent as the gateway then reports it.

    Applying a success to the order is the caller's next step (``payment_flow.service_order_pay_by_card``).
    """
    payment_method = (payment_method or "").strip()
    if not payment_method.startswith("pm_") or len(payment_method) > 255:
        raise PaymentError(_("The card details did not reach us. Please enter them again."), code="no_card")
    try:
        return get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=payment_method)
    except CardDeclined as error:
        _payment_note_failure(intent_id=payment.intent_id)
        raise PaymentError(
            _("Your card was declined (%(reason)s). Try another card; you have not been charged."),
            code="card_declined",
            params={"reason": error.message},
        ) from None
    except GatewayError:
        raise PaymentError(
            _("The payment service is not reachable right now. You have not been charged; please try again."),
            code="gateway_unavailable",
        ) from None


def _payment_note_failure(*, intent_id: str) -> None:
    """After a decline: note the intent's state and error, so the next card gets a fresh intent."""
    try:
        intent = get_gateway().payment_intent_retrieve(intent_id=intent_id)
    except GatewayError:
        return
    if intent.status != "succeeded":  # a success is never noted here: only applying records money
        with transaction.atomic():
            payment = StripePayment.objects.select_for_update().filter(intent_id=intent_id).first()
            if payment is not None:
                _payment_note(payment, intent)


def payment_intent_read(*, intent_id: str) -> Intent:
    """The intent as the gateway reports it now (server side). Raises ``GatewayError``."""
    return get_gateway().payment_intent_retrieve(intent_id=intent_id)


def payment_for_intent(*, intent_id: str) -> StripePayment | None:
    """The platform's record of an intent, with its order; None (logged) for an intent that is not ours."""
    payment = StripePayment.objects.select_related("service_order").filter(intent_id=intent_id).first()
    if payment is None:
        logger.warning("payment intent %s is not one of ours", intent_id)
    return payment


def _payment_note(payment: StripePayment, intent: Intent) -> None:
    if payment.status != "succeeded":  # a late, stale report never undoes a success
        payment.status = intent.status
        payment.last_error = intent.error_message[:500]
        payment.updated_at = timezone.now()
        payment.save(update_fields=["status", "last_error", "updated_at"])


@transaction.atomic
def payment_apply(*, payment: StripePayment, intent: Intent, awaiting_payment: bool) -> PaymentOutcome:
    """Bring an order's ledger in line with a PaymentIntent as the gateway reports it. Safe to call any number
    of times, in any order: the charge is recorded once (its reference is the intent id).

    ``awaiting_payment`` is hiring's answer, read under the order's lock: money for an order that no
    longer awaits payment (cancelled, or paid twice) is recorded and refunded in full.
    """
    service_order = _lock(payment.service_order)
    payment = StripePayment.objects.select_for_update().get(pk=payment.pk)
    _payment_note(payment, intent)

    def outcome(result: PaymentResult, record=None) -> PaymentOutcome:
        return _outcome(result, service_order, amount_fen=intent.amount, reference=intent.id, record=record)

    if intent.status != "succeeded":
        return outcome(PaymentResult.NOT_PAID)
    existing = PaymentRecord.objects.filter(reference=intent.id).first()
    if existing is not None:
        return outcome(PaymentResult.DUPLICATE, existing)
    if intent.amount != payment.amount_fen or intent.currency != CURRENCY:
        logger.error("payment intent %s amount/currency differs from what the platform created", intent.id)
        return outcome(PaymentResult.MISMATCH)
    if awaiting_payment:
        return payment_record(
            service_order=service_order,
            amount=fen_to_yuan(intent.amount),
            reference=intent.id,
            source_name=STRIPE_SOURCE,
        )
    # Paid after the order was cancelled (or paid twice): keep nothing, refund in full.
    record = _charge(service_order, amount_fen=intent.amount, reference=intent.id, source_name=STRIPE_SOURCE)
    _refund(service_order, amount_fen=intent.amount, reference=f"{intent.id}-return", intent_id=intent.id)
    return outcome(PaymentResult.REFUNDED, record)


def payment_intents_cancel_open(*, service_order: ServiceOrder) -> None:
    """After an order is cancelled: close its open intents so the buyer cannot pay any more."""
    for payment in service_order.stripe_payments.exclude(status__in=("succeeded", "canceled")):
        try:
            get_gateway().payment_intent_cancel(intent_id=payment.intent_id)
        except GatewayError:
            logger.warning("could not cancel payment intent %s; a late payment is refunded on arrival", payment.pk)
        else:
            StripePayment.objects.filter(pk=payment.pk).exclude(status="succeeded").update(status="canceled")


# --- webhooks ------------------------------------------------------------------------------------------

HANDLED_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


@transaction.atomic
def webhook_receive(*, payload: bytes, signature: str | None) -> WebhookReceipt:
    """Verify one webhook event and claim it, once. Raises ``SignatureError`` (nothing changed).

    Call it inside the transaction that applies the event (``payment_flow.payment_webhook_process``):
    the event row is inserted first, so a replay hits the unique event id and a concurrent duplicate
    waits on that index until the first commits, then finds it; if applying fails, the claim rolls
    back with it. The intent's state is read back from the gateway (a ``GatewayError`` propagates),
    so events arriving out of order cannot move an order backwards.
    """
    event = get_gateway().event_construct(payload=payload, signature=signature)
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event["id"], type=event.get("type", "")[:100])
    except IntegrityError:
        return WebhookReceipt(event_id=event["id"], duplicate=True)
    intent_id = (event.get("data") or {}).get("object", {}).get("id", "")
    if event.get("type") in HANDLED_EVENTS and StripePayment.objects.filter(intent_id=intent_id).exists():
        return WebhookReceipt(event_id=event["id"], intent=payment_intent_read(intent_id=intent_id))
    return WebhookReceipt(event_id=event["id"])


# --- releasing the money ---------------------------------------------------------------------------------


@transaction.atomic
def payout_settle(*, service_order: ServiceOrder) -> Payout | None:
    """On completion: keep the platform fee and owe the provider the rest of what is held.

    Called by the lifecycle in the completing transaction; the Stripe transfer itself runs after
    commit (``payout_release``), and a payout it could not make stays pending.
    """
    service_order = _lock(service_order)
    if Payout.objects.filter(service_order=service_order).exists():
        return None
    held = ledger_balance(service_order=service_order).held
    if held <= 0:
        return None
    fee = percent_of(held, conf.get("PLATFORM_FEE_PERCENT"))
    if fee:
        _entry(service_order, PaymentRecord.Kind.FEE, fee, f"fee-{service_order.pk}")
    payout = Payout.objects.create(
        service_order=service_order, provider_id=service_order.provider_id, amount_fen=held - fee, fee_fen=fee
    )
    transaction.on_commit(lambda: payout_release(payout_id=payout.pk))
    return payout


@transaction.atomic
def payout_release(*, payout_id: int) -> Payout:
    """Transfer a pending payout to the provider's connected account, if they have one."""
    payout = Payout.objects.select_related("service_order").get(pk=payout_id)
    service_order = _lock(payout.service_order)
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status == Payout.Status.PAID:
        return payout
    account = PayoutAccount.objects.filter(provider_id=payout.provider_id).exclude(stripe_account_id="").first()
    if account is None:
        return payout  # shown to the provider as pending until they connect an account
    try:
        transfer_id = get_gateway().transfer_create(
            amount=payout.amount_fen,
            destination=account.stripe_account_id,
            transfer_group=service_order.order.number,
            idempotency_key=f"ow-payout-{payout.pk}",
        )
    except GatewayError:
        logger.warning("transfer for payout %s failed; it stays pending", payout.pk)
        return payout
    _entry(service_order, PaymentRecord.Kind.TRANSFER, payout.amount_fen, transfer_id)
    payout.status = Payout.Status.PAID
    payout.transfer_id = transfer_id
    payout.paid_at = timezone.now()
    payout.save(update_fields=["status", "transfer_id", "paid_at"])
    return payout


@transaction.atomic
def payout_account_set(*, provider, stripe_account_id: str) -> PayoutAccount:
    """Record a provider's connected account and release what is waiting for it (staff action)."""
    stripe_account_id = (stripe_account_id or "").strip()
    if stripe_account_id and not stripe_account_id.startswith("acct_"):
        raise ValidationError(_("A Stripe connected account id starts with “acct_”."), code="bad_account")
    account, _created = PayoutAccount.objects.update_or_create(
        provider=provider, defaults={"stripe_account_id": stripe_account_id}
    )
    pending = Payout.objects.filter(provider=provider, status=Payout.Status.PENDING)
    for payout_id in pending.values_list("pk", flat=True):
        transaction.on_commit(lambda pk=payout_id: payout_release(payout_id=pk))
    return account
