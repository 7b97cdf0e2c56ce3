"""What goes into the transparency log (``translog``): one leaf per record the public relies on,
written by ``post_save`` receivers in the record's own transaction (the record and its leaf commit
together or not at all). Connected in ``apps.TransparencyConfig.ready``; this app sits above every
app it listens to.

Leaves carry what is public anyway (document numbers and digests, permit status changes, selection
results as ``/requests/<id>/result.json`` publishes them) and commitments for what is not (a ledger
entry's amounts and references: its SHA-256 proves it to the parties who hold it).
"""

from django.db import transaction
from django.db.models.signals import post_save

from marketplace.payments.models import PaymentRecord
from marketplace.procurement.models import Selection
from signing import tasks as signing_tasks
from signing.models import PermitEvent, SealedDocument, SealUse
from translog.services import log_append, sha256_of


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _sealed_document(sender, instance: SealedDocument, created, raw=False, **kwargs):
    """Every version: a contract's document row is updated with each seal, and each version is logged."""
    if raw:
        return
    log_append(
        kind="sealed_document",
        source=f"signing.sealeddocument:{instance.pk}:{instance.sha256}",
        data={
            "document_kind": instance.kind,
            "number": instance.number,
            "sha256": instance.sha256,
            "seal": instance.seal_id,
            "sealed_at": _iso(instance.sealed_at),
        },
    )
    # Its verification report can prove inclusion at once, not after the next periodic head.
    transaction.on_commit(signing_tasks.tree_head_cover.delay)


def _permit_event(sender, instance: PermitEvent, created, raw=False, **kwargs):
    if raw or not created:
        return
    log_append(
        kind="permit_status",
        source=f"signing.permitevent:{instance.pk}",
        data={
            "permit": instance.permit.number,
            "action": instance.action,
            "from_status": instance.from_status,
            "to_status": instance.to_status,
            "at": _iso(instance.at),
        },
    )
    # A status change is covered by a signed head at once, not at the next periodic one.
    transaction.on_commit(signing_tasks.tree_head_cover.delay)


def _seal_use(sender, instance: SealUse, created, raw=False, **kwargs):
    """The seal-use chain's links (not its private fields): an auditor checks prev_hash → entry_hash."""
    if raw or not created:
        return
    log_append(
        kind="seal_use",
        source=f"signing.sealuse:{instance.pk}",
        data={
            "entry": instance.pk,
            "outcome": instance.outcome,
            "document_kind": instance.document_kind,
            "number": instance.document_number,
            "prev_hash": instance.prev_hash,
            "entry_hash": instance.entry_hash,
            "at": _iso(instance.created_at),
        },
    )


def _selection(sender, instance: Selection, created, raw=False, **kwargs):
    """Each state of a round: its result when it runs, and again when the buyer picks or it is superseded."""
    if raw:
        return
    log_append(
        kind="selection",
        source=f"procurement.selection:{instance.pk}",
        data={
            "request": instance.request_id,
            "round": instance.round,
            "method": instance.method,
            "winner_quote": instance.winner_id,
            "superseded": instance.superseded,
            "seed_commitment": instance.request.seed_commitment,
            "parameters_sha256": sha256_of(instance.parameters),
            "table_sha256": sha256_of(instance.table),
            "at": _iso(instance.created_at),
        },
    )


def _ledger_entry(sender, instance: PaymentRecord, created, raw=False, **kwargs):
    if raw or not created:
        return
    log_append(
        kind="ledger_entry",
        source=f"payments.paymentrecord:{instance.pk}",
        data={
            "entry": instance.pk,
            "entry_kind": instance.kind,
            "entry_sha256": sha256_of(
                {
                    "order": instance.service_order_id,
                    "amount_fen": instance.amount_fen,
                    "reference": instance.reference,
                    "intent": instance.intent_id,
                    "origin": instance.origin,
                    "at": _iso(instance.created_at),
                }
            ),
        },
    )


def connect() -> None:
    for model, receiver in (
        (SealedDocument, _sealed_document),
        (PermitEvent, _permit_event),
        (SealUse, _seal_use),
        (Selection, _selection),
        (PaymentRecord, _ledger_entry),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"translog-{model._meta.label_lower}")
