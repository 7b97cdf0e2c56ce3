"""Releasing the money: the provider's payout on completion, held while anything about the order's money is
unsettled, sent as an outbox transfer, and adjusted when Stripe takes money back afterwards."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import conf, ledger
from .errors import PaymentUnavailable
from .invoices import fee_invoices_sync
from .models import Chargeback, PaymentDifference, PaymentRecord, Payout, PayoutAccount, StripeOperation
from .money import percent_of
from .operations import difference_open, operation_open, operation_run, operations_run_after_commit

if TYPE_CHECKING:
    from marketplace.hiring.models import ServiceOrder

logger = logging.getLogger(__name__)

Op = StripeOperation


def payout_hold_reason(*, service_order: ServiceOrder) -> str:
    """Why the order's payout must wait (a ``Payout.HoldReason``, shown translated), or "" when it may go."""
    if Chargeback.objects.filter(service_order_id=service_order.pk, closed_at__isnull=True).exists():
        return Payout.HoldReason.CHARGEBACK
    if PaymentDifference.objects.filter(service_order_id=service_order.pk, resolved_at__isnull=True).exists():
        return Payout.HoldReason.DIFFERENCE
    if ledger.pending_outflow(service_order=service_order):
        return Payout.HoldReason.REFUND
    return ""


def _held(service_order, milestone_id: int | None) -> int:
    """What the order (or one stage) holds, less refunds under way."""
    balance = ledger.ledger_balance(service_order=service_order, milestone_id=milestone_id)
    return balance.held - ledger.pending_outflow(service_order=service_order, milestone_id=milestone_id)


def _fee_reference(service_order, milestone_id: int | None, n: int = 0) -> str:
    stage = f"-m{milestone_id}" if milestone_id else ""
    return f"fee-{service_order.pk}{stage}" + (f"-{n}" if n else "")


def _payout_of(service_order, milestone_id: int | None) -> Payout | None:
    """The payout of the order (paid at once) or of one of its stages, locked."""
    payouts = Payout.objects.select_for_update().filter(service_order_id=service_order.pk)
    return (
        payouts.filter(milestone_id=milestone_id) if milestone_id else payouts.filter(milestone__isnull=True)
    ).first()


@transaction.atomic
def payout_settle(*, service_order: ServiceOrder, milestone_id: int | None = None) -> Payout | None:
    """On completion (of the order, or of its stage ``milestone_id``): keep the platform fee and owe the
    provider the rest of what is held, less any refund still under way. Called by the lifecycle in the
    completing transaction; the transfer runs after commit (``payout_release``)."""
    service_order = ledger.lock(service_order)
    if _payout_of(service_order, milestone_id) is not None:
        return None
    held = _held(service_order, milestone_id)
    if held <= 0:
        return None
    fee = percent_of(held, conf.get("PLATFORM_FEE_PERCENT"))
    if fee:
        ledger.entry(
            service_order,
            PaymentRecord.Kind.FEE,
            fee,
            _fee_reference(service_order, milestone_id),
            milestone_id=milestone_id,
        )
    payout = Payout.objects.create(
        service_order=service_order,
        milestone_id=milestone_id,
        provider_id=service_order.provider_id,
        amount_fen=held - fee,
        fee_fen=fee,
    )
    transaction.on_commit(lambda: payout_release(payout_id=payout.pk))
    return payout


def _transfer_open(service_order, payout: Payout) -> StripeOperation | None:
    """Decide to transfer a payout (under the order's lock); None while it must wait."""
    reason = payout_hold_reason(service_order=service_order)
    if reason:
        payout.status, payout.hold_reason = Payout.Status.HELD, reason
        payout.save(update_fields=["status", "hold_reason"])
        return None
    account = PayoutAccount.objects.filter(provider_id=payout.provider_id).exclude(stripe_account_id="").first()
    payout.status, payout.hold_reason = Payout.Status.PENDING, ""
    payout.save(update_fields=["status", "hold_reason"])
    if account is None:
        return None  # shown to the provider as pending until they connect an account
    earlier = Op.objects.filter(payout=payout, kind=Op.Kind.TRANSFER)
    under_way = earlier.filter(status__in=(Op.Status.PENDING, Op.Status.SUCCEEDED)).first()
    if under_way is not None:
        return under_way
    return operation_open(
        service_order=service_order,
        kind=Op.Kind.TRANSFER,
        purpose=f"transfer:payout-{payout.pk}:{earlier.count() + 1}",
        target=account.stripe_account_id,
        amount_fen=payout.amount_fen,
        payout=payout,
    )


def payout_release(*, payout_id: int) -> Payout:
    """Transfer a payout to the provider's connected account, unless it must wait (see ``payout_hold_reason``).

    The decision and the transfer's outbox row commit first; the call runs after, outside the lock. A
    transfer the gateway cannot make now stays pending and is retried by reconciliation with the same key.
    """
    with transaction.atomic():
        payout = Payout.objects.select_related("service_order").get(pk=payout_id)
        service_order = ledger.lock(payout.service_order)
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status in (Payout.Status.PAID, Payout.Status.CANCELLED):
            return payout
        operation = _transfer_open(service_order, payout)
    if operation is not None and operation.status == Op.Status.PENDING:
        try:
            operation_run(operation=operation)
        except PaymentUnavailable:
            logger.warning("transfer for payout %s could not be made now; it stays pending", payout.pk)
    return Payout.objects.get(pk=payout_id)


def payouts_release_waiting(*, service_order: ServiceOrder) -> None:
    """After something that held the order's payout cleared (a refund landed, a chargeback closed)."""
    for payout_id in Payout.objects.filter(
        service_order_id=service_order.pk, status__in=(Payout.Status.PENDING, Payout.Status.HELD)
    ).values_list("pk", flat=True):
        transaction.on_commit(lambda pk=payout_id: payout_release(payout_id=pk))


@transaction.atomic
def payout_account_set(*, provider, stripe_account_id: str) -> PayoutAccount:
    """Record a provider's connected account and release what is waiting for it (staff action)."""
    stripe_account_id = (stripe_account_id or "").strip()
    if stripe_account_id and not stripe_account_id.startswith("acct_"):
        raise ValidationError(_("A Stripe connected account id starts with “acct_”."), code="bad_account")
    account, _created = PayoutAccount.objects.update_or_create(
        provider=provider, defaults={"stripe_account_id": stripe_account_id}
    )
    waiting = Payout.objects.filter(provider=provider, status__in=(Payout.Status.PENDING, Payout.Status.HELD))
    for payout_id in waiting.values_list("pk", flat=True):
        transaction.on_commit(lambda pk=payout_id: payout_release(payout_id=pk))
    return account


# --- money taken back after the decision (a dashboard refund, a lost chargeback) -------------------------


def outflow_prepare(service_order: ServiceOrder, amount_fen: int, *, key: str, milestone_id: int | None = None) -> None:
    """Before recording money Stripe moved out of a locked order on its own (a dashboard refund, a lost
    chargeback). A payout not sent yet gives its fee back first (``outflow_settle`` works fee and payout
    out again); if the money still leaves the order holding less than nothing — the provider was already
    paid — the shortfall difference that allows it is opened. ``milestone_id``: the stage whose charge
    the money came from (its payout, its balance)."""
    payout = _payout_of(service_order, milestone_id)
    if payout is not None and payout.fee_fen and not _sent(payout):
        n = PaymentRecord.objects.filter(service_order=service_order, kind=PaymentRecord.Kind.FEE_RETURN).count()
        ledger.entry(
            service_order,
            PaymentRecord.Kind.FEE_RETURN,
            payout.fee_fen,
            f"fee-return-{payout.pk}-{n}",
            milestone_id=milestone_id,
        )
        payout.fee_fen = 0
        payout.save(update_fields=["fee_fen"])
    if ledger.ledger_balance(service_order=service_order, milestone_id=milestone_id).held - amount_fen < 0:
        difference_open(
            service_order=service_order,
            kind=PaymentDifference.Kind.SHORTFALL,
            key=key,
            detail=f"{amount_fen} fen went back to the buyer after the provider's payout",
            amount_fen=amount_fen,
        )


def _sent(payout: Payout) -> bool:
    """Paid out, or a transfer for it is under way (its amount can no longer change)."""
    return (
        payout.status == Payout.Status.PAID
        or payout.operations.filter(kind=Op.Kind.TRANSFER, status=Op.Status.PENDING).exists()
    )


def outflow_settle(service_order: ServiceOrder, *, key: str, milestone_id: int | None = None) -> None:
    """After recording such an outflow: make the payout match what is left.

    - Payout not sent yet: the fee is returned, and fee and payout are worked out again from what is held
      (a payout left with nothing is cancelled).
    - Payout sent: the shortfall is recovered by reversing the provider's transfer (an outbox operation),
      and what the transfer cannot cover is taken from the platform's fee.
    """
    payout = _payout_of(service_order, milestone_id)
    if payout is None:
        return
    if not _sent(payout):
        _payout_rework(service_order, payout)
        return
    held = ledger.ledger_balance(service_order=service_order, milestone_id=milestone_id).held
    if held >= 0 or payout.status != Payout.Status.PAID:
        return  # nothing to recover, or staff settle it once the transfer lands (the shortfall stays open)
    shortfall = -held
    transferred = ledger.ledger_balance(service_order=service_order, milestone_id=milestone_id).transferred
    reverse = min(shortfall, transferred)
    if reverse:
        operation_open(
            service_order=service_order,
            kind=Op.Kind.REVERSAL,
            purpose=f"reversal:{key}",
            target=payout.transfer_id,
            amount_fen=reverse,
            payout=payout,
        )
        operations_run_after_commit(service_order)
    rest = min(shortfall - reverse, ledger.ledger_balance(service_order=service_order, milestone_id=milestone_id).fees)
    if rest:
        ledger.entry(service_order, PaymentRecord.Kind.FEE_RETURN, rest, f"fee-return-{key}", milestone_id=milestone_id)
        fee_invoices_sync(service_order)  # the fee invoiced with the payout is partly given back: a credit note
    if not reverse:
        PaymentDifference.objects.filter(
            service_order=service_order, kind=PaymentDifference.Kind.SHORTFALL, resolved_at__isnull=True
        ).update(resolved_at=timezone.now(), resolution="covered by the platform fee")


def _payout_rework(service_order, payout: Payout) -> None:
    """Fee and payout worked out again from what is held (the old fee was given back by ``outflow_prepare``)."""
    held = _held(service_order, payout.milestone_id)
    fee = percent_of(held, conf.get("PLATFORM_FEE_PERCENT")) if held > 0 else 0
    if fee:
        n = PaymentRecord.objects.filter(service_order=service_order, kind=PaymentRecord.Kind.FEE).count()
        ledger.entry(
            service_order,
            PaymentRecord.Kind.FEE,
            fee,
            _fee_reference(service_order, payout.milestone_id, n),
            milestone_id=payout.milestone_id,
        )
    payout.fee_fen = fee
    payout.amount_fen = max(held - fee, 0)
    if payout.amount_fen == 0:
        payout.status = Payout.Status.CANCELLED
    payout.save(update_fields=["fee_fen", "amount_fen", "status"])
