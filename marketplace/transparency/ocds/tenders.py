"""The releases of a request for quotes: its tender, each selection round's award, and the order's contract.

Milestone (dated by) → tag: what the release says.

* published (``published_at``) → tender: the request: item, budget ceiling, deadline, method, eligibility
* deadline extended for too few quotes (the "extended" event) → tenderUpdate: the new deadline
* closed (``closed_at``) → tenderUpdate: the quotes open, who bid; "unsuccessful" if it failed there
* round *n* names a winner (the round's ``created_at``; the buyer's "chosen" event for the methods where
  the buyer chooses) → award: award-*n* "pending" (the publicity period): supplier, price, days
* round *n* superseded (the objection upheld against it, the next round, or the walk-away)
  → awardCancellation: award-*n* "cancelled"
* objection upheld and the request cancelled (the objection's ``decided_at``) → tenderCancellation
* failed after a rerun (the "failed" event) → tenderUpdate: tender "unsuccessful"
* awarded, the publicity period over (``awarded_at``) → awardUpdate: award "active", tender "complete"
* the order and its contract: see ``contracts``

Quotes stay sealed: nothing about them is written before the request closes, and then only who bid
(as on the result page); prices appear only as the award's value.
"""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from marketplace.core.regions import get_region
from marketplace.procurement import methods
from marketplace.procurement.models import Grade, Method, Objection, RequestForQuotes

from . import common, contracts, identifiers
from .common import Milestone, Process

R = RequestForQuotes.Status
TENDER, EXTENDED, CLOSED, AWARD, SUPERSEDED, ENDED, AWARDED = range(7)
# OCDS awardCriteria (an open codelist) for the methods whose criteria it has words for.
AWARD_CRITERIA = {
    Method.LOWEST_PRICE: "priceOnly",
    Method.REASONABLE_PRICE: "priceOnly",
    Method.SCORED: "ratedCriteria",
}


def tender_id(request: RequestForQuotes) -> str:
    return f"{identifiers.REQUEST}-{request.pk}"


def award_id(round_number: int) -> str:
    return f"award-{round_number}"


def _method_details(request: RequestForQuotes) -> dict:
    if request.is_addressed:
        return common.bilingual(
            "procurementMethodDetails", lambda: _("Request addressed to one provider; the buyer accepts its quote")
        )
    return common.bilingual("procurementMethodDetails", lambda: Method(request.method).label)


def _eligibility(request: RequestForQuotes) -> dict:
    region = get_region(request.region)

    def build():
        return _("Certified providers qualified for %(item)s (%(grade)s) who serve %(region)s.") % {
            "item": request.category.display_name,
            "grade": Grade(request.required_grade).label,
            "region": region.display_name if region else request.region,
        }

    return common.bilingual("eligibilityCriteria", build)


def _tender(request: RequestForQuotes) -> dict:
    tender = {
        "id": tender_id(request),
        "title": request.title,
        "description": request.description,
        "status": "active",
        "procuringEntity": identifiers.organisation_reference(request.enterprise),
        "items": common.service_item(request.category),
        "value": common.value(request.budget),
        "procurementMethod": "direct" if request.is_addressed else "open",
        **_method_details(request),
        "mainProcurementCategory": "services",
        "awardCriteriaDetails": methods.published_algorithm(request),
        "submissionMethod": ["electronicSubmission"],
        **_eligibility(request),
        "tenderPeriod": {"startDate": common.iso(request.published_at)},
        "documents": [
            {
                "id": "notice",
                "documentType": "tenderNotice",
                "title": request.title,
                "url": common.absolute("procurement:detail", pk=request.pk),
                "format": "text/html",
            }
        ],
    }
    if request.method in AWARD_CRITERIA:
        tender["awardCriteria"] = AWARD_CRITERIA[request.method]
    # An extension overwrites the deadline first published: then it is known only if the event kept it.
    extended = next((event for event in request.ocds_events if event.kind == "extended"), None)
    if extended is None:
        tender["tenderPeriod"]["endDate"] = common.iso(request.deadline)
    elif parse_datetime(str(extended.data.get("previous_deadline") or "")):
        tender["tenderPeriod"]["endDate"] = common.iso(parse_datetime(extended.data["previous_deadline"]))
    return tender


def _write_tender(request: RequestForQuotes):
    def write(process: Process, at):
        process.grant(request.enterprise, "buyer", "procuringEntity")
        sections = {"buyer": identifiers.organisation_reference(request.enterprise), "tender": _tender(request)}
        if request.republished_from_id:
            sections["relatedProcesses"] = [
                {
                    "id": "1",
                    "relationship": ["unsuccessfulProcess"],
                    "title": _("The earlier request this one re-publishes"),
                    "scheme": "ocid",
                    "identifier": identifiers.request_ocid(request.republished_from_id),
                }
            ]
        process.release(at=at, suffix="tender", tags=["tender"], involving=[request.enterprise], **sections)

    return write


def _write_extension(request: RequestForQuotes):
    def write(process: Process, at):
        tender = {"id": tender_id(request), "tenderPeriod": {"endDate": common.iso(request.deadline)}}
        process.release(at=at, suffix="tender-extended", tags=["tenderUpdate"], tender=tender)

    extended_at = next(event.created_at for event in request.ocds_events if event.kind == "extended")
    return Milestone(extended_at, EXTENDED, write)


def _write_close(request: RequestForQuotes, *, failed_here: bool):
    def write(process: Process, at):
        bidders = []
        for quote in request.ocds_quotes:
            process.grant(quote.provider, "tenderer")
            if quote.provider not in bidders:
                bidders.append(quote.provider)
        tender = {
            "id": tender_id(request),
            "numberOfTenderers": len(bidders),
            "tenderers": [identifiers.organisation_reference(provider) for provider in bidders],
            "awardPeriod": {"startDate": common.iso(request.closed_at)},
            "documents": [
                {
                    "id": "result",
                    "documentType": "evaluationReports",
                    "title": _("Selection result: every input and the table, to recompute"),
                    "url": common.absolute("procurement:result-json", pk=request.pk),
                    "format": "application/json",
                }
            ],
        }
        if failed_here:
            tender["status"] = "unsuccessful"
        process.release(at=at, suffix="tender-closed", tags=["tenderUpdate"], involving=bidders, tender=tender)

    return Milestone(request.closed_at, CLOSED, write)


def _chosen_at(request: RequestForQuotes, selection):
    chosen = [e for e in request.ocds_events if e.kind == "chosen" and e.data.get("winner") == selection.winner_id]
    return chosen[-1].created_at if chosen else selection.created_at


def _next_round_at(request: RequestForQuotes, selection):
    following = [s.created_at for s in request.ocds_rounds if s.round == selection.round + 1]
    return following[0] if following else None


def _upheld_at(request: RequestForQuotes, selection):
    upheld = [o.decided_at for o in request.ocds_upheld if o.selection_id == selection.pk and o.decided_at]
    return min(upheld) if upheld else None


def award_date(request: RequestForQuotes, selection):
    """When round ``selection`` named its winner: when it ran, or when the buyer chose (direct, shortlist).

    The buyer's choice is dated by its event, written at the moment of the choice; a choice recorded
    with a clock of its own (demo data, replayed history) is kept between the round and what followed
    it, so the releases still tell the story in order."""
    if selection.method not in methods.BUYER_CHOOSES:
        return selection.created_at
    later = [_upheld_at(request, selection), _next_round_at(request, selection)]
    if not selection.superseded:
        later.append(request.awarded_at)
    bounds = [moment for moment in later if moment is not None]
    return max(selection.created_at, min([_chosen_at(request, selection), *bounds]))


def _superseded_at(request: RequestForQuotes, selection):
    """When round ``selection``'s award fell: the objection upheld against it, the next round, or the walk-away."""
    for moment in (_upheld_at(request, selection), _next_round_at(request, selection)):
        if moment is not None:
            return moment
    selected_at = award_date(request, selection)
    declined = [e.created_at for e in request.ocds_events if e.kind == "award_declined" and e.created_at >= selected_at]
    failed = [e.created_at for e in request.ocds_events if e.kind == "failed" and e.created_at >= selected_at]
    return min(declined or failed or [selected_at])


def _award(request: RequestForQuotes, selection, status: str, at) -> dict:
    quote = selection.winner
    return {
        "id": award_id(selection.round),
        "title": request.title,
        "status": status,
        "date": common.iso(at),
        "value": common.value(quote.price),
        "suppliers": [identifiers.organisation_reference(quote.provider)],
        "contractPeriod": {"durationInDays": quote.service_days},
    }


def _write_award(request: RequestForQuotes, selection):
    at = award_date(request, selection)

    def write(process: Process, at):
        process.grant(selection.winner.provider, "supplier")
        award = _award(request, selection, "pending", at)
        process.release(
            at=at,
            suffix=award_id(selection.round),
            tags=["award"],
            involving=[selection.winner.provider],
            awards=[award],
        )

    return Milestone(at, AWARD, write)


def _write_supersession(request: RequestForQuotes, selection):
    at = _superseded_at(request, selection)

    def write(process: Process, at):
        award = {"id": award_id(selection.round), "status": "cancelled"}
        process.release(
            at=at, suffix=f"{award_id(selection.round)}-cancelled", tags=["awardCancellation"], awards=[award]
        )

    return Milestone(at, SUPERSEDED, write)


def _write_end(request: RequestForQuotes, *, at, cancelled: bool):
    def write(process: Process, at):
        status = "cancelled" if cancelled else "unsuccessful"
        tags = ["tenderCancellation"] if cancelled else ["tenderUpdate"]
        process.release(
            at=at, suffix=f"tender-{status}", tags=tags, tender={"id": tender_id(request), "status": status}
        )

    return Milestone(at, ENDED, write)


def _write_awarded(request: RequestForQuotes, selection):
    def write(process: Process, at):
        tender = {"id": tender_id(request), "status": "complete", "awardPeriod": {"endDate": common.iso(at)}}
        award = {"id": award_id(selection.round), "status": "active"}
        process.release(
            at=at, suffix=f"{award_id(selection.round)}-active", tags=["awardUpdate"], tender=tender, awards=[award]
        )

    at = request.awarded_at
    return Milestone(at, AWARDED, write)


def _ending(request: RequestForQuotes) -> Milestone | None:
    """The tender's cancellation or failure after rounds ran (a failure at the close is said there)."""
    if request.status == R.CANCELLED:
        cancels = [o.decided_at for o in request.ocds_upheld if o.outcome == Objection.Outcome.CANCEL and o.decided_at]
        if cancels:
            return _write_end(request, at=max(cancels), cancelled=True)
    if request.status == R.FAILED and request.ocds_rounds:
        failed = [event.created_at for event in request.ocds_events if event.kind == "failed"]
        return _write_end(request, at=failed[-1] if failed else request.ocds_rounds[-1].created_at, cancelled=False)
    return None


def milestones(request: RequestForQuotes) -> list[Milestone]:
    """Every milestone of ``request`` so far (a request from ``sources.requests``)."""
    found = [Milestone(request.published_at, TENDER, _write_tender(request))]
    if any(event.kind == "extended" for event in request.ocds_events):
        found.append(_write_extension(request))
    if request.closed_at and request.status != R.OPEN:
        found.append(_write_close(request, failed_here=request.status == R.FAILED and not request.ocds_rounds))
    current = None
    for selection in request.ocds_rounds:
        if selection.winner_id is None:
            continue
        found.append(_write_award(request, selection))
        if selection.superseded:
            found.append(_write_supersession(request, selection))
        else:
            current = selection
    ending = _ending(request)
    if ending is not None:
        found.append(ending)
    order = getattr(request, "order", None)
    if request.status == R.AWARDED and current is not None and request.awarded_at:
        found.append(_write_awarded(request, current))
    if order is not None:
        contract_at = request.awarded_at or order.created_at
        found.extend(
            contracts.milestones(order, starts_at=contract_at, award=award_id(current.round) if current else None)
        )
    return found


def process(request: RequestForQuotes) -> Process:
    return Process(ocid=identifiers.request_ocid(request.pk)).run(milestones(request))
