"""The releases of an order: its contract (for a request's award, or a direct hire's whole process).

Milestone (dated by) → tag: what the release says.

* order placed (the award's ``awarded_at``; a direct hire's ``created_at``) → contract (a direct hire:
  award, contract, with the tender it stands for): contract "pending", price, service days
* contract sealed by both parties (the provider's seal's ``sealed_at``) → contractUpdate: "active",
  ``dateSigned``
* paid, the service starts (``paid_at``) → contractUpdate: "active", the period up to the promised deadline
* deadline extension granted (its ``decided_at``) → contractUpdate: the period's new end
* a stage of an order paid in stages settled (its ``settled_at``) → contractUpdate: that milestone
  "met" (accepted and released) or "notMet" (refunded, or cancelled when the contract ended early)
* completed or refunded (``accepted_at``, the refund's event) → contractTermination: "terminated"
* cancelled before payment (its event) → contractUpdate: "cancelled" ("terminated" once signed)

Direct hires (an order placed on a fixed-price listing, no request for quotes) are contracting
processes too: the buyer chose the provider without competition, which is exactly what OCDS's
"direct" procurement method describes, and leaving them out would hide the spending least exposed to
competition. They are published unless ``OCDS_PUBLISH_DIRECT_ORDERS`` is off. Nothing the buyer typed
about its project (project name, site, notes) is published: those are private to the two parties.
"""

import datetime

from django.utils.translation import gettext as _

from marketplace.hiring.contracts import contract_number
from marketplace.hiring.models import ServiceOrder, Status

from . import common, identifiers
from .common import Milestone, Process

PLACED, SIGNED, STARTED, EXTENDED, STAGE, ENDED = range(10, 16)
DIRECT_AWARD = "award-1"
ORDER_AWARD = "award-order"


def contract_id(order: ServiceOrder) -> str:
    """The number of the order's sealed contract ("HT-<order number>"), fixed before the contract exists."""
    return contract_number(order)


def _stage_id(stage) -> str:
    return f"stage-{stage.position}"


def contract_milestones_of(order: ServiceOrder) -> list[dict]:
    """``contracts[].milestones`` as the order was placed: one "scheduled" delivery milestone per stage of an
    order paid in stages (``hiring.Milestone``, prefetched as ``ocds_stages``), with its amount and due day
    in words (OCDS 1.1 milestones carry no value); none for an order paid at once. Each stage's settlement
    is a later contractUpdate (``_write_stage``)."""
    stages = getattr(order, "ocds_stages", [])
    return [
        {
            "id": _stage_id(stage),
            # Not the stage's name: the provider typed it, and only named fields are published.
            "title": f"Stage {stage.position} of {len(stages)}",
            "type": "delivery",
            "description": f"Stage {stage.position} of {len(stages)}: CNY {stage.amount}, "
            f"paid when accepted; due on day {stage.due_day} after the start",
            "status": "scheduled",
        }
        for stage in stages
    ]


def _write_stage(order: ServiceOrder, stage) -> Milestone:
    met = stage.status == "released"

    def write(process: Process, at):
        milestone = {"id": _stage_id(stage), "status": "met" if met else "notMet", "dateModified": common.iso(at)}
        if met:
            milestone["dateMet"] = common.iso(at)
        _update(process, order, at=at, suffix=f"contract-{_stage_id(stage)}", milestones=[milestone])

    return Milestone(stage.settled_at, STAGE, write)


def _title(order: ServiceOrder) -> dict:
    title = {"title": order.title}
    if order.title_zh:
        title[f"title_{identifiers.ZH}"] = order.title_zh
    return title


def _signed(order: ServiceOrder):
    contract = getattr(order, "contract", None)
    seals = getattr(contract, "ocds_signed", []) if contract is not None else []
    return seals[0].sealed_at if seals else None


def _latest_known(order: ServiceOrder) -> datetime.datetime:
    return max(moment for moment in (order.created_at, order.paid_at, order.delivered_at) if moment)


def _ended(order: ServiceOrder) -> tuple[datetime.datetime, str] | None:
    """When and how the order ended, or None while it runs."""
    status = order.order.status
    if status == Status.COMPLETED:
        return order.accepted_at or _latest_known(order), "terminated"
    if status not in (Status.CANCELLED, Status.REFUNDED):
        return None
    events = [event.created_at for event in order.ocds_endings if event.to_status == status]
    at = events[-1] if events else _latest_known(order)
    signed = _signed(order)
    if status == Status.CANCELLED and not (signed and signed <= at):
        return at, "cancelled"
    return at, "terminated"


def _order_award(order: ServiceOrder, at, award: str) -> dict:
    """The award an order stands for when no selection round states it (a direct hire; old records)."""
    return {
        "id": award,
        **_title(order),
        "status": "active",
        "date": common.iso(at),
        "value": common.value(order.price),
        "suppliers": [identifiers.organisation_reference(order.provider)],
        "contractPeriod": {"durationInDays": order.service_days},
    }


def _direct_tender(order: ServiceOrder) -> dict:
    return {
        "id": f"{identifiers.ORDER}-{order.order.number}",
        **_title(order),
        "status": "complete",
        "procuringEntity": identifiers.organisation_reference(order.enterprise),
        "items": common.service_item(order.category),
        "value": common.value(order.price),
        "procurementMethod": "direct",
        **common.bilingual("procurementMethodDetails", lambda: _("Direct order of a provider's fixed-price listing")),
        "mainProcurementCategory": "services",
    }


def _write_placed(order: ServiceOrder, *, at, award: str | None, direct: bool):
    def write(process: Process, at):
        involving, sections = [order.provider], {}
        if direct:
            process.grant(order.enterprise, "buyer", "procuringEntity")
            involving.insert(0, order.enterprise)
            sections["buyer"] = identifiers.organisation_reference(order.enterprise)
            sections["tender"] = _direct_tender(order)
        process.grant(order.provider, "supplier")
        if award is None:
            sections["awards"] = [_order_award(order, at, DIRECT_AWARD if direct else ORDER_AWARD)]
        contract = {
            "id": contract_id(order),
            "awardID": award or sections["awards"][0]["id"],
            **_title(order),
            "status": "pending",
            "value": common.value(order.price),
            "items": common.service_item(order.category),
            "period": {"durationInDays": order.service_days},
        }
        milestones_now = contract_milestones_of(order)
        if milestones_now:
            contract["milestones"] = milestones_now
        process.contract_awards[contract["id"]] = contract["awardID"]
        tags = ["contract"] if award else ["award", "contract"]
        suffix = "contract" if award else "award-contract"
        process.release(at=at, suffix=suffix, tags=tags, involving=involving, contracts=[contract], **sections)

    return Milestone(at, PLACED, write)


def _update(process: Process, order: ServiceOrder, *, at, suffix: str, tags=("contractUpdate",), **fields):
    contract = contract_id(order)
    update = {"id": contract, "awardID": process.contract_awards[contract], **fields}
    process.release(at=at, suffix=suffix, tags=list(tags), contracts=[update])


def milestones(
    order: ServiceOrder, *, starts_at: datetime.datetime, award: str | None, direct: bool = False
) -> list[Milestone]:
    """The order's milestones. ``award``: the award the contract follows from; None when no selection
    round states one (a direct hire, whose first release states the award and the tender it stands for
    itself, or an old record). ``direct``: the order is its own process (no request for quotes)."""
    found = [_write_placed(order, at=starts_at, award=award, direct=direct)]
    signed = _signed(order)
    if signed is not None:
        found.append(
            Milestone(
                signed,
                SIGNED,
                lambda process, at: _update(
                    process, order, at=at, suffix="contract-signed", status="active", dateSigned=common.iso(signed)
                ),
            )
        )
    if order.paid_at:
        end = order.paid_at + datetime.timedelta(days=order.service_days)
        period = {
            "startDate": common.iso(order.paid_at),
            "endDate": common.iso(end),
            "durationInDays": order.service_days,
        }
        found.append(
            Milestone(
                order.paid_at,
                STARTED,
                lambda process, at: _update(
                    process, order, at=at, suffix="contract-started", status="active", period=period
                ),
            )
        )
        days = order.service_days
        for extension in order.ocds_extensions:
            days += extension.days
            found.append(
                _write_extension(order, extension, end=order.paid_at + datetime.timedelta(days=days), days=days)
            )
    found += [_write_stage(order, stage) for stage in getattr(order, "ocds_stages", []) if stage.settled_at]
    ended = _ended(order)
    if ended is not None:
        at, status = ended
        tags = ("contractTermination",) if status == "terminated" else ("contractUpdate",)
        found.append(
            Milestone(
                at,
                ENDED,
                lambda process, at: _update(
                    process, order, at=at, suffix=f"contract-{status}", tags=tags, status=status
                ),
            )
        )
    # Everything after the order is dated after it, whatever clock a step was recorded with (demo data,
    # replayed history): a contract is never "started" before it was placed.
    return [Milestone(max(m.at, starts_at), m.rank, m.write) for m in found]


def _write_extension(order: ServiceOrder, extension, *, end, days: int) -> Milestone:
    def write(process: Process, at):
        period = {"endDate": common.iso(end), "durationInDays": days}
        _update(process, order, at=at, suffix=f"contract-extended-{extension.pk}", period=period)

    return Milestone(extension.decided_at, EXTENDED, write)


def direct_process(order: ServiceOrder) -> Process:
    """A direct hire's whole process (an order from ``sources.direct_orders``)."""
    process = Process(ocid=identifiers.order_ocid(order.order.number))
    return process.run(milestones(order, starts_at=order.created_at, award=None, direct=True))
