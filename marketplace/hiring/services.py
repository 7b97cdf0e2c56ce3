"""Every step of the service lifecycle, one function each, with who may take it.

Each function is keyword-only, locks the order row, checks the acting party and the current
status, moves the Oscar order along ``settings.OSCAR_ORDER_STATUS_PIPELINE``, writes an
``OrderEvent`` in the same transaction and emails the other party after commit.

    awaiting_payment --payment (payment_flow)--> in_service --deliver--> delivered --accept--> completed
    delivered --revision--> revision_requested --resume/deliver--> in_service / delivered
    awaiting_payment --cancel--> cancelled
    in_service / delivered / revision_requested --dispute--> disputed --staff--> completed | refunded
"""

import datetime
import logging
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.apps.order.models import Order

from marketplace.core.conflicts import Act, records_conflicts, require_impartial
from marketplace.core.uploads import DOCUMENT_KINDS, file_digest, validate_upload
from marketplace.payments import services as payments

from . import conf, delivery_notes, milestones

# The extension steps and the checks every step shares, importable from here as before.
from .extensions import extension_decide, extension_request  # noqa: F401
from .models import Deliverable, Dispute, OrderEvent, ServiceOrder, Status
from .placement import ServiceOrderCreator
from .steps import (  # noqa: F401
    BUYER,
    PROVIDER,
    STAFF,
    SYSTEM,
    NotPermitted,
    TransitionNotAllowed,
    _actor,
    _lock,
    _move,
    _note,
    _other,
    _require,
    _require_fair,
    _require_reason,
    _require_status,
    _tell,
    party_of,
)

logger = logging.getLogger(__name__)

DELIVERABLE_MAX_SIZE = 20 * 1024 * 1024


def service_order_note(*, service_order: ServiceOrder, kind: str, actor=None, reason: str = "", **data) -> OrderEvent:
    """Record something that happened to an order without changing its status (the contract's
    steps are written through this, see contracts.py)."""
    return _note(service_order, kind, actor=actor, reason=reason, **data)


def _queue_contract(service_order_id: int) -> None:
    """After the order commits: the platform issues its contract (a Celery task; eager by default, then
    after the response is sent). The order stands whatever happens here; its page shows it arriving."""
    from . import tasks  # tasks imports this module: resolved at call time

    try:
        tasks.contract_queue(service_order_id)
    except Exception:  # noqa: BLE001 - the order is committed; a broker or sealing failure must not turn it into an error page
        logger.exception("Could not queue the contract of service order %s", service_order_id)


# --- creation ------------------------------------------------------------------------------------


def _order_number() -> str:
    while True:
        number = f"OW{timezone.localdate():%Y%m%d}{secrets.randbelow(10**6):06d}"
        if not Order.objects.filter(number=number).exists():
            return number


@transaction.atomic
def service_order_create(
    *,
    enterprise,
    provider,
    buyer,
    title: str,
    price: Decimal,
    service_days: int,
    project_name: str,
    source: str,
    category=None,
    product=None,
    stockrecord=None,
    request=None,
    site_location: str = "",
    notes: str = "",
    basket=None,
    basket_line=None,
    order: Order | None = None,
    milestone_plan: str = "",
) -> ServiceOrder:
    """An Oscar order in ``awaiting_payment`` with its service record (used by both hiring paths), and its
    stages when the listing or quote plans them (``milestones``; a plan that does not fit the price refuses
    the order)."""
    price = Decimal(price).quantize(Decimal("0.01"))
    if order is None:
        order = ServiceOrderCreator().place_service_order(
            number=_order_number(),
            buyer=buyer,
            price=price,
            title=title,
            partner=provider.partner,
            partner_name=provider.name,
            partner_sku=stockrecord.partner_sku if stockrecord else f"rfq-{request.pk if request else 0}",
            product=product,
            stockrecord=stockrecord,
            basket=basket,
            basket_line=basket_line,
        )
    service_order = ServiceOrder.objects.create(
        order=order,
        enterprise=enterprise,
        provider=provider,
        buyer=buyer,
        category=category,
        product=product,
        request=request,
        source=source,
        title=title,
        title_zh=product.title_zh if product is not None and title == product.title else "",
        project_name=project_name,
        site_location=site_location,
        notes=notes,
        price=price,
        service_days=service_days,
    )
    milestones.milestones_create(service_order=service_order, plan=milestone_plan)
    _note(service_order, "created", actor=buyer, source=source)
    transaction.on_commit(lambda pk=service_order.pk: _queue_contract(pk))
    _tell(
        service_order,
        to=PROVIDER,
        subject=_("New order %(number)s"),
        body=_("You have a new order %(number)s for “%(title)s”. It starts when the buyer has paid."),
    )
    return service_order


# --- the clock -----------------------------------------------------------------------------------


@transaction.atomic
def service_order_start(
    *, service_order: ServiceOrder, paid_at: datetime.datetime | None = None, milestone_id: int | None = None
) -> ServiceOrder:
    """Payment recorded: the service clock starts (at the first payment of an order paid in stages; each
    later one starts its stage). Called only by ``payment_flow.service_order_payment_received``."""
    service_order = _lock(service_order)
    _require_status(service_order, (Status.AWAITING_PAYMENT,))
    paid_at = paid_at or timezone.now()
    stage = milestones.current(service_order)
    if (stage.pk if stage else None) != milestone_id:  # money for another stage never starts this one
        raise TransitionNotAllowed(_("This payment is not for the stage now due."), code="wrong_stage")
    if stage is not None:
        milestones.funded(stage, paid_at)
    if service_order.paid_at is None:
        service_order.paid_at = paid_at
        service_order.due_at = paid_at + datetime.timedelta(days=service_order.service_days)
        service_order.save(update_fields=["paid_at", "due_at"])
    _move(service_order, Status.IN_SERVICE, kind="paid", **({"stage": stage.position} if stage else {}))
    for to in (BUYER, PROVIDER):
        _tell(
            service_order,
            to=to,
            subject=_("Order %(number)s is paid"),
            body=_("Payment for order %(number)s is recorded; the service has started and is due on %(due)s."),
            due=timezone.localtime(service_order.due_at).strftime("%Y-%m-%d"),
        )
    return service_order


# --- delivery and acceptance ---------------------------------------------------------------------


@transaction.atomic
def deliverable_upload(*, service_order: ServiceOrder, user, file) -> Deliverable:
    service_order = _lock(service_order)
    _require(service_order, user, (PROVIDER,))
    _require_status(service_order, (Status.IN_SERVICE, Status.REVISION_REQUESTED))
    validate_upload(file, kinds=DOCUMENT_KINDS, max_size=DELIVERABLE_MAX_SIZE)
    name = (getattr(file, "name", "") or "deliverable")[-200:]
    sha256, size = file_digest(file)
    deliverable = Deliverable.objects.create(
        service_order=service_order, file=file, name=name, sha256=sha256, size=size, uploaded_by=user
    )
    _note(service_order, "deliverable_uploaded", actor=user, name=name, sha256=sha256)
    return deliverable


def service_order_deliver(*, service_order: ServiceOrder, user) -> ServiceOrder:
    """The provider marks the order delivered: every file uploaded so far is listed, with its SHA-256,
    on a delivery note sealed with the provider's organisation seal in the same transaction, so an
    order is delivered with its sealed note or not at all.

    The seal and ``user``'s grant for delivery notes are checked first, outside the transaction, so a
    refusal stays in the seal-use log (``delivery_notes.delivery_note_authorise``).
    """
    current = ServiceOrder.objects.select_related("order", "provider").get(pk=service_order.pk)
    _require(current, user, (PROVIDER,))
    authorisation = delivery_notes.delivery_note_authorise(service_order=current, user=user)
    with transaction.atomic():
        service_order = _lock(service_order)
        _require_status(service_order, (Status.IN_SERVICE, Status.REVISION_REQUESTED))
        files = list(service_order.deliverables.all())
        if not files:
            raise ValidationError(
                _("Upload at least one deliverable before marking the order delivered."), code="no_files"
            )
        service_order.delivered_at = timezone.now()
        service_order.save(update_fields=["delivered_at"])
        note = delivery_notes.delivery_note_seal(
            service_order=service_order,
            authorisation=authorisation,
            files=files,
            delivered_at=service_order.delivered_at,
        )
        _move(service_order, Status.DELIVERED, actor=user, kind="delivered", note=note.number, sha256=note.sha256)
        _tell(
            service_order,
            to=BUYER,
            subject=_("Order %(number)s delivered"),
            body=_(
                "The provider has delivered “%(title)s”. Please accept it or ask for a revision within %(days)s days; "
                "after that it is accepted automatically."
            ),
            days=conf.get("ORDER_AUTO_ACCEPT_DAYS"),
        )
    return service_order


@records_conflicts
@transaction.atomic
def service_order_accept(
    *, service_order: ServiceOrder, user=None, automatic: bool = False, now: datetime.datetime | None = None
) -> ServiceOrder:
    """The buyer accepts the delivery (or the platform does, after the silence period): the clock stops
    and the held money is released to the provider, less the platform fee.

    An automatic acceptance re-checks, under the lock, that the delivery it accepts is still older
    than the silence period at ``now``: a revision asked and a fresh delivery made since the batch
    chose this order restart the buyer's review window (``TransitionNotAllowed``).
    """
    service_order = _lock(service_order)
    if not automatic:
        _require(service_order, user, (BUYER,))
        _require_fair(service_order, user, Act.ACCEPT)
    _require_status(service_order, (Status.DELIVERED,))
    if automatic and not (
        service_order.delivered_at is not None and service_order.delivered_at <= _auto_accept_cutoff(now)
    ):
        raise TransitionNotAllowed(_("The buyer still has time to review this delivery."), code="review_window_open")
    # What is accepted is the latest delivery, as its sealed note lists it (orders delivered before
    # notes existed have none).
    note = service_order.delivery_notes.select_related("document").order_by("-sequence").first()
    if note is not None:
        note.accepted_at = timezone.now()
        note.save(update_fields=["accepted_at"])
    noted = {"note": note.number, "sha256": note.sha256} if note is not None else {}
    if _stage_released(service_order, user, kind="auto_accepted" if automatic else "accepted", **noted):
        return service_order  # a stage of several: the next one waits for its funding
    service_order.accepted_at = timezone.now()
    service_order.auto_accepted = automatic
    service_order.save(update_fields=["accepted_at", "auto_accepted"])
    _move(service_order, Status.COMPLETED, actor=user, kind="auto_accepted" if automatic else "accepted", **noted)
    if not service_order.milestones.exists():  # a staged order's last stage was released above
        payments.payout_settle(service_order=service_order)
    for to in (PROVIDER, BUYER) if automatic else (PROVIDER,):
        _tell(
            service_order,
            to=to,
            subject=_("Order %(number)s completed"),
            body=_("The delivery of “%(title)s” has been accepted and the order is complete."),
        )
    return service_order


def _stage_released(service_order, user, *, kind: str, **data) -> bool:
    """For an order paid in stages: release the current stage (its own payout). True when a further stage
    remains, the order now awaiting its funding; False for the last stage (the caller completes the
    order) and for an order paid at once."""
    stage = milestones.current(service_order)
    if stage is None:
        return False
    milestones.release(service_order, stage)
    if milestones.current(service_order) is None:
        return False
    _move(service_order, Status.AWAITING_PAYMENT, actor=user, kind=kind, stage=stage.position, **data)
    _tell(
        service_order,
        to=BUYER,
        subject=_("Order %(number)s: stage %(stage)s accepted"),
        body=_("Stage %(stage)s of “%(title)s” is accepted and paid to the provider. Fund the next stage to go on."),
        stage=stage.position,
    )
    return True


@records_conflicts
@transaction.atomic
def service_order_request_revision(*, service_order: ServiceOrder, user, reason: str) -> ServiceOrder:
    service_order = _lock(service_order)
    _require(service_order, user, (BUYER,))
    _require_fair(service_order, user, Act.REVISE)
    _require_status(service_order, (Status.DELIVERED,))
    reason = _require_reason(reason)
    _move(service_order, Status.REVISION_REQUESTED, actor=user, kind="revision_requested", reason=reason)
    _tell(
        service_order,
        to=PROVIDER,
        subject=_("Order %(number)s: revision requested"),
        body=_("The buyer asks for a revision: %(reason)s"),
        reason=reason,
    )
    return service_order


@transaction.atomic
def service_order_resume(*, service_order: ServiceOrder, user) -> ServiceOrder:
    """The provider takes a revision request back into service."""
    service_order = _lock(service_order)
    _require(service_order, user, (PROVIDER,))
    _require_status(service_order, (Status.REVISION_REQUESTED,))
    _move(service_order, Status.IN_SERVICE, actor=user, kind="resumed")
    return service_order


def _auto_accept_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=conf.get("ORDER_AUTO_ACCEPT_DAYS"))


def deliveries_due_for_auto_accept(*, now=None):
    return ServiceOrder.objects.filter(order__status=Status.DELIVERED, delivered_at__lte=_auto_accept_cutoff(now))


def service_orders_auto_accept(*, now=None) -> int:
    """Accept every delivery left unanswered for ``ORDER_AUTO_ACCEPT_DAYS``; safe to run twice.

    The query only proposes; each acceptance re-checks status and delivery time under the order's
    lock, so a buyer who answered (or a provider who re-delivered) meanwhile keeps the review window.
    """
    accepted = 0
    for service_order in deliveries_due_for_auto_accept(now=now).only("pk"):
        try:
            service_order_accept(service_order=service_order, automatic=True, now=now)
        except TransitionNotAllowed:
            continue  # the buyer answered, or a fresh delivery came, between the query and the lock
        accepted += 1
    return accepted


# --- cancellation and disputes -------------------------------------------------------------------


@transaction.atomic
def service_order_cancel(*, service_order: ServiceOrder, user, reason: str) -> ServiceOrder:
    """Before payment either party (or staff) may cancel; nothing was paid, so nothing is refunded."""
    service_order = _lock(service_order)
    party = _require(service_order, user, (BUYER, PROVIDER, STAFF))
    _require_status(service_order, (Status.AWAITING_PAYMENT,))
    reason = _require_reason(reason)
    # An order paid in stages that already released one ends there: what was done and paid stands.
    ended = milestones.any_released(service_order)
    milestones.cancel_rest(service_order)
    _move(service_order, Status.COMPLETED if ended else Status.CANCELLED, actor=user, kind="cancelled", reason=reason)
    # Close any open card payment; one that still succeeds afterwards is refunded in full on arrival.
    transaction.on_commit(lambda: payments.payment_intents_cancel_open(service_order=service_order))
    for to in (BUYER, PROVIDER) if party == STAFF else (_other(party),):
        _tell(
            service_order,
            to=to,
            subject=_("Order %(number)s cancelled"),
            body=_("Order %(number)s was cancelled: %(reason)s"),
            reason=reason,
        )
    return service_order


@records_conflicts
@transaction.atomic
def dispute_open(*, service_order: ServiceOrder, user, reason: str) -> Dispute:
    service_order = _lock(service_order)
    party = _require(service_order, user, (BUYER, PROVIDER))
    _require_fair(service_order, user, Act.DISPUTE)
    _require_status(service_order, (Status.IN_SERVICE, Status.DELIVERED, Status.REVISION_REQUESTED))
    reason = _require_reason(reason)
    dispute = Dispute.objects.create(
        service_order=service_order,
        opened_by=user,
        opened_by_party=party,
        reason=reason,
        previous_status=service_order.order.status,
    )
    _move(service_order, Status.DISPUTED, actor=user, kind="dispute_opened", reason=reason)
    _tell(
        service_order,
        to=_other(party),
        subject=_("Order %(number)s is disputed"),
        body=_("A dispute was opened; platform staff will decide it. Reason: %(reason)s"),
        reason=reason,
    )
    return dispute


@records_conflicts
@transaction.atomic
def dispute_resolve(
    *, dispute: Dispute, user, outcome: str, decision: str, refund_amount: Decimal | None = None
) -> Dispute:
    """Staff decide: complete (provider paid in full), refund (in full) or split (refund part)."""
    service_order = _lock(dispute.service_order)
    if not (user and user.is_authenticated and user.is_staff):
        raise NotPermitted(_("Only platform staff may decide a dispute."), code="staff_only")
    require_impartial(
        user=user,
        act=Act.DECIDE_DISPUTE,
        enterprise=service_order.enterprise,
        provider=service_order.provider,
        subject=f"order {service_order.order.number}",
    )
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.resolved_at:
        raise TransitionNotAllowed(_("This dispute has already been decided."), code="decided")
    _require_status(service_order, (Status.DISPUTED,))
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError(
            {"decision": _("Write the decision; both parties will read it.")}, code="decision_required"
        )
    if outcome not in Dispute.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")}, code="bad_outcome")
    stage = milestones.current(service_order)  # a dispute of an order paid in stages is about its current stage
    paid = payments.amount_paid(service_order=service_order, milestone_id=stage.pk if stage else None)
    if outcome == Dispute.Outcome.REFUND:
        refund_amount = paid
    elif outcome == Dispute.Outcome.SPLIT:
        try:
            refund_amount = Decimal(refund_amount).quantize(Decimal("0.01"))
        except (TypeError, ArithmeticError, ValueError):
            refund_amount = None
        if refund_amount is None or not (Decimal("0") < refund_amount < paid):
            # A field's message is not formatted with ``params`` by ValidationError: format it here.
            message = _("A split refunds more than nothing and less than the %(paid)s CNY paid.") % {"paid": paid}
            raise ValidationError({"refund_amount": message}, code="bad_split")
    else:
        refund_amount = None
    dispute.outcome = outcome
    dispute.decision = decision
    dispute.refund_amount = refund_amount
    dispute.resolved_by = user
    dispute.resolved_at = timezone.now()
    dispute.save()
    if refund_amount:
        # Decided here, sent after this commits (the outbox): each part on the charge it reverses.
        payments.refund_record(
            service_order=service_order,
            amount=refund_amount,
            reference=f"dispute-{dispute.pk}",
            milestone_id=stage.pk if stage else None,
        )
    if outcome == Dispute.Outcome.REFUND:
        if stage is not None:  # the stage's money goes back and the contract ends there
            milestones.refunded(stage)
            milestones.cancel_rest(service_order)
        _move(service_order, Status.REFUNDED, actor=user, kind="dispute_refunded", reason=decision)
    elif _stage_released(
        service_order, user, kind=f"dispute_{outcome}", reason=decision, refund=str(refund_amount or 0)
    ):
        pass  # a stage of several, released less any refund: the next one waits for its funding
    else:
        service_order.accepted_at = service_order.accepted_at or timezone.now()
        service_order.save(update_fields=["accepted_at"])
        _move(
            service_order,
            Status.COMPLETED,
            actor=user,
            kind=f"dispute_{outcome}",
            reason=decision,
            refund=str(refund_amount or 0),
        )
        if stage is None:
            payments.payout_settle(service_order=service_order)
    for to in (BUYER, PROVIDER):
        _tell(
            service_order,
            to=to,
            subject=_("Order %(number)s: dispute decided"),
            body=_("Platform staff decided the dispute: %(decision)s"),
            decision=decision,
        )
    return dispute
