"""Orders paid in stages (issue 23): the stages an order carries, which one is current, and what settling
one does. The lifecycle (``services``) calls these under the order's lock.

Stages run one at a time. The current stage is the first one neither settled nor cancelled; while it
waits for its money the order awaits payment, and once funded the order's own statuses (in service,
delivered, revision requested, disputed) are the stage's. Accepting a delivery — or a dispute decided
for the provider — releases the stage's money to the provider (its own payout, less the platform fee)
and the next stage waits for its funding; after the last, the order completes. Every ledger entry of
a stage carries it, so each stage balances on its own (``payments.ledger.check``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from marketplace.core import milestone_plan
from marketplace.payments import services as payments

from .models import Milestone, ServiceOrder

S = Milestone.Status


def milestones_create(*, service_order: ServiceOrder, plan: str) -> list[Milestone]:
    """The stages of a new order from a plan's text (``core.milestone_plan``), amounts split from its price
    to the fen; none for an empty plan (paid at once)."""
    stages = milestone_plan.parse(plan)
    if not stages:
        return []
    amounts = milestone_plan.allocate(stages, service_order.price)
    return Milestone.objects.bulk_create(
        Milestone(service_order=service_order, position=n, name=stage.name, amount=amount, due_day=stage.due_day)
        for n, (stage, amount) in enumerate(zip(stages, amounts, strict=True), start=1)
    )


def current(service_order: ServiceOrder) -> Milestone | None:
    """The stage in progress or waiting for its funding; None for an order paid at once or with every
    stage settled."""
    return service_order.milestones.filter(status__in=(S.PENDING, S.FUNDED)).order_by("position").first()


def amount_due(service_order: ServiceOrder) -> tuple[Decimal, int | None]:
    """What the buyer pays now and for which stage: the current stage's amount, or the whole price."""
    stage = current(service_order)
    return (stage.amount, stage.pk) if stage is not None else (service_order.price, None)


def funded(stage: Milestone, at) -> None:
    """A charge for the current stage was recorded: the stage is in progress."""
    stage.status, stage.funded_at = S.FUNDED, at
    stage.save(update_fields=["status", "funded_at"])


def release(service_order: ServiceOrder, stage: Milestone) -> None:
    """The stage is accepted (or decided for the provider): its money, less the platform fee, is owed to
    the provider as the stage's own payout."""
    _settle(stage, S.RELEASED)
    payments.payout_settle(service_order=service_order, milestone_id=stage.pk)


def refunded(stage: Milestone) -> None:
    _settle(stage, S.REFUNDED)


def _settle(stage: Milestone, status: str) -> None:
    stage.status, stage.settled_at = status, timezone.now()
    stage.save(update_fields=["status", "settled_at"])


def cancel_rest(service_order: ServiceOrder) -> int:
    """The contract ends early: every stage not funded yet is cancelled. Returns how many."""
    return service_order.milestones.filter(status=S.PENDING).update(status=S.CANCELLED, settled_at=timezone.now())


def any_released(service_order: ServiceOrder) -> bool:
    return service_order.milestones.filter(status=S.RELEASED).exists()


def due_at(service_order: ServiceOrder, stage: Milestone):
    """When a stage is due: its due day counted from the order's start (None before the start)."""
    if service_order.paid_at is None:
        return None
    return service_order.paid_at + datetime.timedelta(days=stage.due_day)
