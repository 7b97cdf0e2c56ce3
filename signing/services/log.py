"""The seal-use log: every sealing and every refused attempt, hash-chained, append-only.

The chain alone has no key: whoever can write the table could re-hash it from any entry on. So
``seal_log_verify`` also holds it against the transparency log, where each entry's hash is a leaf
under heads the log key signed: an entry rewritten, removed or added behind the platform's back no
longer matches its leaf, and leaves rewritten to match no longer give the signed root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from translog import merkle
from translog.models import LogLeaf, TreeHead

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
    return _against_transparency_log(checked)


def _against_transparency_log(checked: int) -> LogVerification:
    """Every entry is the one the transparency log recorded, and the log's leaves give the root of
    the latest signed tree head (its signature is the auditor's and ``verify_pdf``'s to check)."""
    logged = {}
    for data in LogLeaf.objects.filter(kind="seal_use").values_list("data", flat=True):
        entry = json.loads(data)
        logged[entry["entry"]] = entry["entry_hash"]
    for pk, entry_hash in SealUse.objects.values_list("pk", "entry_hash"):
        if logged.pop(pk, entry_hash) != entry_hash:
            return LogVerification(False, checked, pk, "the entry is not the one the transparency log recorded")
        # An entry with no leaf predates the transparency log (or its leaf is yet to be written).
    if logged:
        return LogVerification(False, checked, min(logged), "the transparency log records an entry that is gone")
    head = TreeHead.objects.order_by("-tree_size", "-pk").first()
    if head is not None:
        hashes = [
            bytes.fromhex(h)
            for h in LogLeaf.objects.filter(index__lt=head.tree_size)
            .order_by("index")
            .values_list("leaf_hash", flat=True)
        ]
        if len(hashes) != head.tree_size or merkle.root(hashes).hex() != head.root_hash:
            return LogVerification(False, checked, None, "the transparency log no longer gives its signed root")
    return LogVerification(True, checked)
