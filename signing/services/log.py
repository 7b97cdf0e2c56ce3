"""The seal-use log: every sealing and every refused attempt, hash-chained, append-only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..models import Seal, SealLogHead, SealUse


def seal_log_append(
    *,
    seal: Seal,
    actor,
    document_kind: str,
    document_number: str = "",
    document_sha256: str = "",
    outcome: str,
    detail: str = "",
) -> SealUse:
    """Append one entry, chained to the previous one; the head row lock serialises writers."""
    with transaction.atomic():
        head, _created = SealLogHead.objects.select_for_update().get_or_create(pk=1)
        entry = SealUse(
            seal=seal,
            actor=actor,
            actor_email=getattr(actor, "email", "") or "",
            document_kind=document_kind,
            document_number=document_number,
            document_sha256=document_sha256,
            outcome=outcome,
            detail=detail[:300],
            created_at=timezone.now(),
            prev_hash=head.last_hash,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save(force_insert=True)
        head.last_hash = entry.entry_hash
        head.entries += 1
        head.save(update_fields=["last_hash", "entries"])
    return entry


@dataclass(frozen=True)
class LogVerification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""


def seal_log_verify() -> LogVerification:
    """Recompute the chain from the start; report the first entry that does not match."""
    prev = "0" * 64
    checked = 0
    for entry in SealUse.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return LogVerification(False, checked, entry.pk, "previous-hash link does not match")
        if entry.compute_hash() != entry.entry_hash:
            return LogVerification(False, checked, entry.pk, "entry content does not match its hash")
        prev = entry.entry_hash
        checked += 1
    head = SealLogHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.entries != checked):
        return LogVerification(False, checked, None, "entries are missing at the end of the log")
    return LogVerification(True, checked)
