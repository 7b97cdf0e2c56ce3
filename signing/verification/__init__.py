"""Verify a sealed PDF and answer one honest verdict, with the technical detail behind it.

The verifier fails closed: anything it does not fully understand is not ``valid``. The order of
the checks is the order of the verdicts' precedence:

1. ``unreadable``: empty, over the size limit, not a PDF, encrypted, or not parseable.
2. ``not_sealed``: a readable PDF without a seal (a signature that is not a document timestamp).
3. ``tampered``: a hash failure, an invalid signature value, byte ranges that do not cover the
   whole signed revision, or any change after sealing other than signature maintenance (DSS and
   document timestamps) that the certification (DocMDP) level does not allow.
4. ``untrusted``: cryptographically sound but not chained to a trusted root, or the seal
   certificate is revoked.
5. ``indeterminate``: facts needed to decide are missing (revocation status unavailable, or a
   trusted seal on a document the registry does not know).
6. ``revoked`` / ``suspended`` / ``expired`` / ``valid``: the registry's word on the document,
   once the file is proven to be (a signature-maintenance extension of) the issued file.

Per signature, the report uses the ETSI EN 319 102-1 vocabulary (``TOTAL_PASSED``,
``TOTAL_FAILED``, ``INDETERMINATE`` and their sub-indications) that pyHanko's AdES validation
produces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.utils import timezone

from ..isolation import IsolationError, ResourceLimits, run_isolated
from .analysis import EOF_MARKER, Analysis, TrustAnchors, analyse_pdf
from .report import (
    CHANGE_SUBJECTS,
    REASONS,
    REGISTRY_STATUS_LABELS,
    VERDICT_LABELS,
    DocumentInfo,
    PermitRegistry,
    RegistryRecord,
    SignatureReport,
    Verdict,
    VerificationReport,
    describe_change,
    record_as_dict,
    registry_verdict,
    report_as_dict,
)
from .revisions import Change

__all__ = [
    "CHANGE_SUBJECTS",
    "REASONS",
    "REGISTRY_STATUS_LABELS",
    "VERDICT_LABELS",
    "Analysis",
    "Change",
    "DocumentInfo",
    "PermitRegistry",
    "RegistryRecord",
    "SignatureReport",
    "TrustAnchors",
    "Verdict",
    "VerificationReport",
    "analyse_pdf",
    "decide",
    "describe_change",
    "prefix_digests",
    "record_as_dict",
    "report_as_dict",
    "verify_pdf",
]

logger = logging.getLogger(__name__)


def decide(analysis: Analysis, *, record: RegistryRecord | None, today: dt.date | None = None) -> VerificationReport:
    """Turn an analysis into the final report with the registry's record of the issued file.

    The upload matches the issued document only if a revision of it ends exactly where the
    issued file did and only signature maintenance follows; any other change after it makes
    the upload ``tampered``, saying where.
    """
    base = {"document": analysis.document, "signatures": analysis.signatures}
    issued = analysis.issued
    altered_from = record if record is not None and issued is not None and issued.sha256 == record.sha256 else None
    if analysis.verdict is not None:
        # A tampered file is by definition not the issued one; other verdicts never got that far.
        tampered = analysis.verdict is Verdict.TAMPERED
        return VerificationReport(
            verdict=analysis.verdict,
            reason=analysis.reason,
            change=(issued.change_after if altered_from and issued.change_after else analysis.change),
            permit=altered_from if tampered else None,
            matches_issued_document=False if tampered else None,
            **base,
        )
    if record is None or issued is None or issued.sha256 != record.sha256:
        return VerificationReport(
            verdict=Verdict.INDETERMINATE, reason="unknown_document", matches_issued_document=False, **base
        )
    if issued.change_after is not None:
        return VerificationReport(
            verdict=Verdict.TAMPERED,
            reason="modified_after_sealing",
            permit=record,
            matches_issued_document=False,
            change=issued.change_after,
            **base,
        )
    verdict, reason = registry_verdict(record, today or timezone.localdate())
    if reason == "ok" and issued.end != analysis.document.size:
        reason = "ok_maintained"
    return VerificationReport(verdict=verdict, reason=reason, permit=record, matches_issued_document=True, **base)


# A file with more possible ends than this is not one the platform issued plus maintenance.
MAX_PREFIXES = 64


def prefix_digests(data: bytes) -> list[str]:
    """SHA-256 of every prefix of ``data`` that ends a line with ``%%EOF``, latest first, and of
    the whole file: the places the issued file may end in an upload, to ask the registry about.

    A hint only, computed in one pass: whether a real revision ends there, and what follows it,
    is decided by the analysis. Only the last MAX_PREFIXES places count.
    """
    ends = [match.end() for match in EOF_MARKER.finditer(data)][-MAX_PREFIXES:]
    if not ends or ends[-1] != len(data):
        ends.append(len(data))
    digests = []
    digest = hashlib.sha256()
    position = 0
    for end in ends:
        digest.update(data[position:end])
        position = end
        digests.append(digest.hexdigest())
    return digests[::-1]


def verify_pdf(
    data: bytes,
    *,
    trust: TrustAnchors,
    registry: PermitRegistry,
    max_bytes: int,
    today: dt.date | None = None,
    limits: ResourceLimits | None = None,
) -> VerificationReport:
    """Verify ``data`` (the bytes of an uploaded file). Never raises for bad input: every
    failure is a verdict. With ``limits``, the file is analysed in a separate process that is
    killed when it exceeds them (a crafted PDF must not hang or exhaust the web process)."""
    record = None
    if 0 < len(data) <= max_bytes:
        record = registry.find_by_sha256(prefix_digests(data))
    issued_sha256 = record.sha256 if record is not None else None
    if limits is None:
        analysis = analyse_pdf(data, trust=trust, max_bytes=max_bytes, issued_sha256=issued_sha256)
    else:
        try:
            analysis = run_isolated(
                analyse_pdf, data, trust=trust, max_bytes=max_bytes, issued_sha256=issued_sha256, limits=limits
            )
        except IsolationError as exc:
            logger.warning("Verification worker stopped: %s", exc)
            analysis = Analysis(
                document=DocumentInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), pages=None),
                verdict=Verdict.UNREADABLE,
                reason="too_complex",
            )
    return decide(analysis, record=record, today=today)
