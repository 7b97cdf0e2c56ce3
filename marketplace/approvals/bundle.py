"""The sealed case bundle: one ZIP with everything a party or an auditor needs to follow a case from
its requests to its permit, each file's SHA-256 in a manifest sealed by the platform
(``signing.bundles``), checkable offline.

What goes in: the case and its submissions; for each request, the request, its published
clarifications, its quotes once it is closed (never before: they are sealed until the deadline),
every selection table with its draw data, and its history; for each order, every contract version
(each a prefix of the next), every sealed delivery note, the deliverables' names, sizes and SHA-256
(not the files: they are the parties'), the ledger summary, the evaluations, the order's history and
its conversation (every message and correction); the permit and its registry record.
Names of people stay out: organisations appear with their credit codes.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.utils import timezone

from marketplace.conversations import records
from marketplace.payments.ledger import ledger_balance
from marketplace.procurement.models import RequestForQuotes
from signing import bundles, verifier
from signing.verification import record_as_dict

from . import selectors
from .models import Case


def _json(value) -> bytes:
    def default(obj):
        if isinstance(obj, Decimal):
            return str(obj)
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
        raise TypeError(type(obj).__name__)

    return json.dumps(value, ensure_ascii=False, indent=2, default=default).encode()


def _organisation(org) -> dict:
    return {"name": org.name, "name_zh": org.name_zh, "credit_code": org.credit_code}


def _case_file(case: Case) -> dict:
    return {
        "code": case.code,
        "matter": {"code": case.matter.code, "name": case.matter.name, "name_zh": case.matter.name_zh},
        "authority": case.matter.authority.name,
        "enterprise": _organisation(case.enterprise),
        "project_name": case.project_name,
        "site": case.site,
        "region": case.region,
        "status": case.status,
        "opened_at": case.opened_at,
        "submissions": [
            {
                "submitted_at": s.submitted_at,
                "decision": s.decision,
                "decided_at": s.decided_at,
                "reason": s.reason,
                "relied_on": s.snapshot,
            }
            for s in case.submissions.order_by("submitted_at", "pk")
        ],
    }


def _request_files(request: RequestForQuotes) -> list[tuple[str, bytes]]:
    folder = f"requests/{request.pk}"
    files = [
        (
            f"{folder}/request.json",
            _json(
                {
                    "title": request.title,
                    "description": request.description,
                    "service_item": request.category.name if request.category_id else "",
                    "region": request.region,
                    "budget": request.budget,
                    "method": request.method,
                    "published_at": request.published_at,
                    "deadline": request.deadline,
                    "closed_at": request.closed_at,
                    "publicity_ends_at": request.publicity_ends_at,
                    "awarded_at": request.awarded_at,
                    "status": request.status,
                    "seed_commitment": request.seed_commitment,
                    "seed": request.seed if request.seed_is_public else "",
                    "beacon": request.beacon,
                }
            ),
        ),
        (
            f"{folder}/history.json",
            _json([{"kind": e.kind, "at": e.created_at, "data": e.data} for e in request.events.order_by("pk")]),
        ),
        (f"{folder}/clarifications.json", _json(records.request_clarifications_record(request))),
    ]
    if request.status != RequestForQuotes.Status.OPEN:  # quotes stay sealed until the request closes
        quotes = [
            {
                "provider": _organisation(q.provider),
                "price": q.price,
                "service_days": q.service_days,
                "submitted_at": q.submitted_at,
                "excluded": q.excluded,
            }
            for q in request.quotes.select_related("provider").order_by("pk")
        ]
        selections = [
            {
                "round": s.round,
                "method": s.method,
                "table": s.table,
                "weights": s.weights,
                "parameters": s.parameters,
                "algorithm": s.algorithm,
                "winner_provider": s.winner.provider.credit_code if s.winner_id else None,
                "superseded": s.superseded,
                "created_at": s.created_at,
            }
            for s in request.selections.select_related("winner__provider").order_by("round", "pk")
        ]
        files += [(f"{folder}/quotes.json", _json(quotes)), (f"{folder}/selection.json", _json(selections))]
    return files


def _order_files(so) -> list[tuple[str, bytes]]:
    folder = f"orders/{so.order.number}"
    files = []
    contract = getattr(so, "contract", None)
    if contract is not None:
        pdf = bytes(contract.document.pdf)
        for n, version in enumerate(contract.seals.order_by("size"), start=1):
            files.append((f"{folder}/contract-{n}-{version.party}.pdf", pdf[: version.size]))
    for note in so.delivery_notes.select_related("document").order_by("sequence"):
        files.append((f"{folder}/delivery-note-{note.sequence}.pdf", bytes(note.document.pdf)))
    deliverables = [
        {"name": d.name, "size": d.size, "sha256": d.sha256, "uploaded_at": d.uploaded_at}
        for d in so.deliverables.all()
    ]
    balance = ledger_balance(service_order=so)
    ledger = {
        "currency": "CNY",
        "unit": "fen",
        "price": int(so.price * 100),
        "charged": balance.charged,
        "refunded": balance.refunded,
        "chargebacks": balance.chargebacks,
        "platform_fee": balance.fees,
        "paid_out_to_provider": balance.transferred,
        "held": balance.held,
    }
    rating = getattr(so, "rating", None)
    evaluations = {
        "buyer": (
            {
                "quality": rating.quality,
                "timeliness": rating.timeliness,
                "communication": rating.communication,
                "price_fairness": rating.price_fairness,
                "overall": rating.overall,
                "comment": rating.comment,
                "provider_reply": rating.reply,
                "at": rating.created_at,
            }
            if rating is not None
            else None
        ),
        "authorities": [
            {"authority": e.authority.name, "quality": e.quality, "timeliness": e.timeliness, "comment": e.comment}
            for e in so.authority_evaluations.select_related("authority")
        ],
    }
    order = {
        "number": so.order.number,
        "title": so.title,
        "buyer": _organisation(so.enterprise),
        "provider": _organisation(so.provider),
        "service_item": so.category.name if so.category_id else "",
        "price": so.price,
        "service_days": so.service_days,
        "status": so.order.status,
        "paid_at": so.paid_at,
        "due_at": so.due_at,
        "delivered_at": so.delivered_at,
        "accepted_at": so.accepted_at,
        "history": [
            {
                "kind": e.kind,
                "from": e.from_status,
                "to": e.to_status,
                "reason": e.reason,
                "data": e.data,
                "at": e.created_at,
            }
            for e in so.events.order_by("pk")
        ],
    }
    files += [
        (f"{folder}/order.json", _json(order)),
        (f"{folder}/deliverables.json", _json(deliverables)),
        (f"{folder}/ledger.json", _json(ledger)),
        (f"{folder}/evaluations.json", _json(evaluations)),
        (f"{folder}/conversation.json", _json(records.order_conversation_record(so))),
    ]
    return files


def case_bundle(case: Case) -> tuple[str, bytes]:
    """The file name and bytes of the case's sealed bundle, made now from the records."""
    files = [("case.json", _json(_case_file(case)))]
    for request in selectors.case_requests(case):
        files += _request_files(request)
    for so in selectors.case_orders(case):
        files += _order_files(so)
    if case.permit is not None:
        permit = case.permit
        files.append(("permit/permit.pdf", bytes(permit.document.pdf)))
        record = verifier.lookup_by_token(permit.token)  # with each cited note checked
        files.append(("permit/registry-record.json", _json(record_as_dict(record))))
    about = {
        "kind": "approval-case",
        "case": case.code,
        "matter": case.matter.name,
        "enterprise": case.enterprise.name,
        "credit_code": case.enterprise.credit_code,
    }
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    return f"case-{case.code}-{stamp}.zip", bundles.bundle_seal(files=files, about=about, number=case.code)
