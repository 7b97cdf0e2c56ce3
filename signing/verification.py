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

import asyncio
import datetime as dt
import enum
import hashlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel, ades, policy_decl, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from .isolation import IsolationError, ResourceLimits, run_isolated
from .revisions import Boundary, Change, RevisionAccounts, StructureError, issued_boundary, revision_layout

__all__ = [
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
    "prefix_digests",
    "record_as_dict",
    "report_as_dict",
    "verify_pdf",
]

logger = logging.getLogger(__name__)

PDF_HEADER = b"%PDF-"
# The PDF header may be preceded by junk (ISO 32000 tolerates up to 1024 bytes in practice).
HEADER_SEARCH_WINDOW = 1024


class Verdict(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    TAMPERED = "tampered"
    UNTRUSTED = "untrusted"
    NOT_SEALED = "not_sealed"
    UNREADABLE = "unreadable"
    INDETERMINATE = "indeterminate"


VERDICT_LABELS = {
    Verdict.VALID: _("Genuine and in force"),
    Verdict.REVOKED: _("Genuine, but revoked"),
    Verdict.SUSPENDED: _("Genuine, but suspended"),
    Verdict.EXPIRED: _("Genuine, but expired"),
    Verdict.TAMPERED: _("Altered after sealing"),
    Verdict.UNTRUSTED: _("Not sealed by a trusted authority"),
    Verdict.NOT_SEALED: _("Not sealed"),
    Verdict.UNREADABLE: _("Cannot be read"),
    Verdict.INDETERMINATE: _("Cannot be decided"),
}

# Reason codes are stable (the API returns them); the sentences are for people.
REASONS = {
    "ok": _("Every seal is genuine, nothing was changed after sealing, and the registry confirms the document."),
    "ok_maintained": _(
        "Every seal is genuine and the registry confirms the document. Since it was issued, only signature "
        "maintenance was added (revocation data and document timestamps), so its SHA-256 differs from the issued "
        "file's."
    ),
    "registry_revoked": _("The issuing authority has revoked this document."),
    "registry_suspended": _("The issuing authority has suspended this document."),
    "registry_expired": _("This document's period of validity has ended."),
    "registry_not_yet_in_force": _("This document is not in force yet."),
    "contract_incomplete": _(
        "The seals are genuine, but this copy of the contract lacks a party's seal: it is not the concluded contract."
    ),
    "empty": _("The file is empty."),
    "too_large": _("The file is larger than the verification limit."),
    "not_pdf": _("The file is not a PDF document."),
    "encrypted": _("The PDF is encrypted, so its seal cannot be checked."),
    "corrupt": _("The PDF is damaged and cannot be read."),
    "no_seal": _("The PDF carries no electronic seal."),
    "hash_mismatch": _("The content was changed after it was sealed: it no longer matches the seal."),
    "signature_invalid": _("The seal's signature value is invalid."),
    "partial_coverage": _("The seal does not cover the whole document."),
    "modified_after_sealing": _("The document was modified after sealing in a way the seal does not allow."),
    "trailing_bytes": _("Bytes were added after the end of the sealed file."),
    "signature_padding": _("The unsigned space inside a seal was altered after sealing."),
    "seal_removed": _("A later update hides the seals the document carried: it was altered after sealing."),
    "untrusted_signer": _("The seal was not made with a certificate from a trusted authority."),
    "certificate_revoked": _("The seal certificate was revoked."),
    "revocation_unknown": _("The revocation status of the seal certificate could not be established."),
    "unknown_document": _("The seal is genuine, but the registry has no record of this document."),
    "validation_failed": _("The seal could not be validated."),
    "too_complex": _("The file took too long or too much memory to check; it may be damaged or crafted."),
}


@dataclass(frozen=True)
class TrustAnchors:
    """What the verifier trusts: root certificates, and the CRLs it already knows locally."""

    roots: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    intermediates: tuple[asn1_x509.Certificate, ...] = ()


# The registry's status in the words the verifier shows (page, sealed report): one table.
REGISTRY_STATUS_LABELS = {
    "valid": _("In force"),
    "suspended": _("Suspended"),
    "revoked": _("Revoked"),
    "expired": _("Expired"),
    "incomplete": _("Not yet sealed by every party"),
}


@dataclass(frozen=True)
class RegistryRecord:
    """The registry's record of an issued document, as a verifier may see it."""

    number: str
    kind: str
    status: str  # valid | suspended | revoked | expired | incomplete (a contract not every party sealed)
    holder: str
    issuer: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    sha256: str
    token: str = ""
    status_reason: str = ""

    @property
    def status_label(self) -> str:
        return str(REGISTRY_STATUS_LABELS.get(self.status, self.status))


class PermitRegistry(Protocol):
    def find_by_sha256(self, digests: Sequence[str]) -> RegistryRecord | None:
        """The record whose issued file has one of these SHA-256 digests (hex), if any. The digests
        run from the longest prefix of the upload to the shortest: when several match (a contract
        keeps every version), the first one's record is the answer."""

    def find_by_number(self, number: str, code: str) -> RegistryRecord | None:
        """The record with this number whose printed verification code is ``code``, if any."""

    def find_by_token(self, token: str) -> RegistryRecord | None:
        """The record behind a QR code's token, if any."""


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    kind: str  # "seal" or "document_timestamp"
    signer: str
    organisation: str
    certificate_chain: tuple[str, ...]
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    pades_level: str | None
    indication: str  # TOTAL_PASSED | TOTAL_FAILED | INDETERMINATE
    sub_indication: str | None
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    coverage: str | None
    modification_level: str | None
    certification: str | None  # DocMDP permission of a certification signature, else None
    docmdp_ok: bool | None


@dataclass(frozen=True)
class DocumentInfo:
    sha256: str
    size: int
    pages: int | None


@dataclass(frozen=True)
class VerificationReport:
    verdict: Verdict
    reason: str
    document: DocumentInfo
    signatures: tuple[SignatureReport, ...] = ()
    permit: RegistryRecord | None = None
    # Whether the upload is the registry's issued file (or that file plus signature maintenance).
    matches_issued_document: bool | None = None
    # Where the file differs from what was sealed or issued, when the verdict says it does.
    change: Change | None = None
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def label(self):
        return VERDICT_LABELS[self.verdict]

    @property
    def message(self):
        return REASONS.get(self.reason, REASONS["validation_failed"])

    @property
    def detail(self) -> str:
        """Where the file was changed, in the reader's language; empty when nothing says where."""
        return describe_change(self.change) if self.change is not None else ""

    @property
    def is_valid(self) -> bool:
        return self.verdict is Verdict.VALID


# What a change touched, for the sentence that says where (codes from signing.revisions.Change).
CHANGE_SUBJECTS = {
    "unaccounted_bytes": _("bytes that belong to no object"),
    "structure": _("a cross-reference structure the verifier cannot account for"),
    "freed": _("the deletion of objects"),
    "object_stream": _("a compressed object stream"),
    "trailer": _("the file trailer"),
    "catalog": _("the document catalog"),
    "info": _("the document information (title, author and the like)"),
    "metadata": _("the XMP metadata"),
    "dss": _("revocation data that is not a certificate, CRL or OCSP response"),
    "form": _("a form field"),
    "page": _("a page"),
    "unreferenced": _("an object nothing in the document refers to"),
    "other": _("an object that is not signature maintenance"),
    "seal_added": _("a seal added after the document was issued"),
    "seal_removed": _("the document catalog, so that the seals no longer show"),
}


def describe_change(change: Change) -> str:
    """One sentence that says where the file differs, in the active language."""
    if change.code == "trailing_bytes":
        return ngettext(
            "%(count)d byte follows the end of the sealed file.",
            "%(count)d bytes follow the end of the sealed file.",
            change.size,
        ) % {"count": change.size}
    if change.code == "signature_contents":
        return _("The unsigned space inside the signature %(field)s holds bytes its signature does not.") % {
            "field": ", ".join(change.keys)
        }
    sentence = _("Revision %(revision)s of the file (the original document is revision 1) changes %(subject)s.") % {
        "revision": change.revision + 1 if change.revision is not None else "?",
        "subject": CHANGE_SUBJECTS.get(change.code, CHANGE_SUBJECTS["other"]),
    }
    if change.keys:
        sentence += " " + _("Entries: %(keys)s.") % {"keys": ", ".join(change.keys)}
    if change.objects:
        sentence += " " + _("Objects: %(objects)s.") % {"objects": ", ".join(change.objects)}
    return sentence


def _filled_fields_in(root) -> int:
    """How many signature fields carry a value, whether or not pyHanko could parse it."""
    acroform = root.get("/AcroForm")
    if acroform is None:
        return 0
    count = 0
    pending = list(acroform.get_object().get("/Fields", ()))
    seen = 0
    while pending and seen < 10_000:  # bounded: a crafted file may loop its field tree
        seen += 1
        node = pending.pop().get_object()
        if node.get("/FT") == "/Sig" and "/V" in node:
            count += 1
        pending.extend(node.get("/Kids", ()))
    return count


def _subject(cert: asn1_x509.Certificate) -> str:
    return cert.subject.human_friendly


def _organisation(cert: asn1_x509.Certificate) -> str:
    return cert.subject.native.get("organization_name", "") or ""


def _validation_spec(trust: TrustAnchors) -> policy_decl.PdfSignatureValidationSpec:
    return policy_decl.PdfSignatureValidationSpec(
        signature_validation_spec=policy_decl.SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=list(trust.roots)),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            # Never fetch: a verifier that calls out to URLs found in an uploaded file can be made
            # to hang or to probe the network. Revocation comes from the DSS and local CRLs.
            revinfo_gathering_policy=policy_decl.RevocationInfoGatheringSpec(
                online_fetching_rule=policy_decl.RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            local_knowledge=policy_decl.LocalKnowledge(
                known_crls=[CRLContainer(crl) for crl in trust.crls],
                known_certs=list(trust.intermediates),
            ),
        )
    )


def _timestamp_context(trust: TrustAnchors) -> ValidationContext:
    return ValidationContext(
        trust_roots=list(trust.roots),
        other_certs=list(trust.intermediates),
        crls=list(trust.crls),
        allow_fetching=False,
    )


def _chain(status) -> tuple[str, ...]:
    path = getattr(status, "validation_path", None)
    if path is None:
        return (_subject(status.signing_cert),)
    return tuple(_subject(cert) for cert in path.iter_certs(include_root=True))


def _pades_level(status, *, has_dss: bool, later_doc_timestamp: bool) -> str | None:
    if not (status.intact and status.valid):
        return None
    timestamp = status.timestamp_validity
    has_signature_timestamp = timestamp is not None and timestamp.intact and timestamp.valid
    if not has_signature_timestamp:
        return "B-B"
    if not has_dss:
        return "B-T"
    return "B-LTA" if later_doc_timestamp else "B-LT"


def _docmdp_name(embedded_sig) -> str | None:
    permission = embedded_sig.docmdp_level
    return permission.name.lower() if permission is not None else None


def _seal_report(embedded_sig, result, *, has_dss: bool, later_doc_timestamp: bool) -> SignatureReport:
    status = result.api_status
    sub = result.ades_subindic
    indication = {
        AdESStatus.PASSED: "TOTAL_PASSED",
        AdESStatus.FAILED: "TOTAL_FAILED",
        AdESStatus.INDETERMINATE: "INDETERMINATE",
    }[sub.status]
    timestamp = status.timestamp_validity
    return SignatureReport(
        field_name=embedded_sig.field_name,
        kind="seal",
        signer=_subject(status.signing_cert),
        organisation=_organisation(status.signing_cert),
        certificate_chain=_chain(status),
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp.timestamp if timestamp is not None else None,
        pades_level=_pades_level(status, has_dss=has_dss, later_doc_timestamp=later_doc_timestamp),
        indication=indication,
        sub_indication=None if sub.status is AdESStatus.PASSED else sub.standard_name,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        coverage=status.coverage.name if status.coverage is not None else None,
        modification_level=status.modification_level.name if status.modification_level is not None else None,
        certification=_docmdp_name(embedded_sig),
        docmdp_ok=status.docmdp_ok,
    )


def _timestamp_report(embedded_sig, status) -> SignatureReport:
    passed = status.intact and status.valid and status.trusted
    return SignatureReport(
        field_name=embedded_sig.field_name or "",
        kind="document_timestamp",
        signer=_subject(status.signing_cert),
        organisation=_organisation(status.signing_cert),
        certificate_chain=_chain(status),
        signing_time=None,
        timestamp_time=status.timestamp,
        pades_level=None,
        indication="TOTAL_PASSED" if passed else ("TOTAL_FAILED" if not status.intact else "INDETERMINATE"),
        sub_indication=None if passed else ("HASH_FAILURE" if not status.intact else "NO_CERTIFICATE_CHAIN_FOUND"),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        coverage=status.coverage.name if status.coverage is not None else None,
        modification_level=status.modification_level.name if status.modification_level is not None else None,
        certification=None,
        docmdp_ok=None,
    )


def _integrity_problem(report: SignatureReport, *, is_last_seal: bool) -> str | None:
    """The reason a signature proves the file was altered, or None."""
    if not report.intact:
        return "hash_mismatch"
    if not report.valid:
        return "signature_invalid"
    if report.coverage not in (SignatureCoverageLevel.ENTIRE_FILE.name, SignatureCoverageLevel.ENTIRE_REVISION.name):
        return "partial_coverage"
    if report.kind == "seal" and report.docmdp_ok is False:
        return "modified_after_sealing"
    # After the last seal only signature maintenance may follow; earlier signatures may also be
    # followed by later seals (form filling), which DocMDP has already judged.
    allowed = ModificationLevel.LTA_UPDATES if is_last_seal else ModificationLevel.FORM_FILLING
    if report.modification_level is None or ModificationLevel[report.modification_level] > allowed:
        return "modified_after_sealing"
    return None


def _trust_problem(report: SignatureReport) -> tuple[Verdict, str] | None:
    if report.revoked or report.sub_indication in {"REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"}:
        return Verdict.UNTRUSTED, "certificate_revoked"
    if not report.trusted:
        if report.sub_indication in {"TRY_LATER", "REVOCATION_OUT_OF_BOUNDS_NO_POE"}:
            return Verdict.INDETERMINATE, "revocation_unknown"
        return Verdict.UNTRUSTED, "untrusted_signer"
    if report.indication != "TOTAL_PASSED":
        return Verdict.INDETERMINATE, "revocation_unknown"
    return None


def _registry_verdict(record: RegistryRecord, today: dt.date) -> tuple[Verdict, str]:
    if record.status == "revoked":
        return Verdict.REVOKED, "registry_revoked"
    if record.status == "suspended":
        return Verdict.SUSPENDED, "registry_suspended"
    if record.status == "expired" or (record.valid_until is not None and record.valid_until < today):
        return Verdict.EXPIRED, "registry_expired"
    if record.status == "incomplete":
        return Verdict.INDETERMINATE, "contract_incomplete"
    if record.valid_from is not None and record.valid_from > today:
        return Verdict.INDETERMINATE, "registry_not_yet_in_force"
    if record.status == "valid":
        return Verdict.VALID, "ok"
    # A status this verifier does not know is not a reason to say valid.
    return Verdict.INDETERMINATE, "validation_failed"


@dataclass(frozen=True)
class Analysis:
    """What the file alone proves, before the registry is asked. Picklable: it crosses the
    boundary from the isolated worker process."""

    document: DocumentInfo
    signatures: tuple[SignatureReport, ...] = ()
    verdict: Verdict | None = None  # None: every seal passed; the registry decides
    reason: str = ""
    change: Change | None = None
    # Where the issued file ends in this one and what follows it; None: the issued file the
    # registry named is not a revision of this one.
    issued: Boundary | None = None


def _der_length(data: bytes) -> int | None:
    """The length of the DER value (tag, length and contents) at the start of ``data``."""
    if len(data) < 2:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


def _byte_range(embedded_sig) -> list[int] | None:
    """The four offsets of a signature's /ByteRange, or None if it is not four non-negative numbers."""
    try:
        byte_range = [int(n) for n in list(embedded_sig.byte_range)]
    except (TypeError, ValueError):  # a null, missing or non-numeric /ByteRange
        return None
    return byte_range if len(byte_range) == 4 and min(byte_range) >= 0 else None


def _contents_intact(data: bytes, embedded_sig) -> bool:
    """The unsigned gap of a signature holds exactly ``<hex>``: the DER of its CMS in one letter
    case, then zeros. Nothing else may hide there, since no hash covers it."""
    byte_range = _byte_range(embedded_sig)
    if byte_range is None:
        return False
    gap = data[byte_range[0] + byte_range[1] : byte_range[2]]
    if len(gap) < 2 or gap[:1] != b"<" or gap[-1:] != b">":
        return False
    digits = gap[1:-1]
    if len(digits) % 2 or not _HEX_DIGITS.issuperset(digits) or digits not in (digits.upper(), digits.lower()):
        return False
    decoded = bytes.fromhex(digits.decode("ascii"))
    length = _der_length(decoded)
    return length is not None and length <= len(decoded) and not any(decoded[length:])


def _trailing_bytes_after_a_readable_pdf(data: bytes) -> int:
    """How many bytes follow the last ``%%EOF`` of a file that is a readable, sealed PDF up to there
    (its reader gives up when too much follows the marker), else 0."""
    end = max((match.end() for match in _EOF_MARKER.finditer(data)), default=0)
    if not 0 < end < len(data):
        return 0
    try:
        sealed = _filled_fields_in(PdfFileReader(io.BytesIO(data[:end]), strict=True).root) > 0
    except Exception:  # noqa: BLE001 - the prefix is no better than the whole file: say nothing of it
        return 0
    return len(data) - end if sealed else 0


def _seals_hidden_at(reader: PdfFileReader) -> int | None:
    """The revision that hides seals an earlier revision carried (its catalog points back to a
    version without them), or None."""
    sealed_before = False
    for revision in range(reader.xrefs.total_revisions - 1):
        root = reader.get_historical_resolver(revision).root
        sealed_before = sealed_before or _filled_fields_in(root) > 0
        if sealed_before and _filled_fields_in(reader.get_historical_resolver(revision + 1).root) == 0:
            return revision + 1
    return None


def analyse_pdf(data: bytes, *, trust: TrustAnchors, max_bytes: int, issued_sha256: str | None = None) -> Analysis:
    """Everything the verifier can decide from the bytes alone. Never raises.

    ``issued_sha256`` is the digest of the issued file the registry found among this file's
    possible prefixes (see :func:`prefix_digests`): the analysis says whether a revision of this
    file ends exactly there, and whether only signature maintenance follows.
    """
    document = DocumentInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), pages=None)

    def finish(verdict, reason, **extra) -> Analysis:
        return Analysis(document=document, verdict=verdict, reason=reason, **extra)

    if not data:
        return finish(Verdict.UNREADABLE, "empty")
    if len(data) > max_bytes:
        return finish(Verdict.UNREADABLE, "too_large")
    if PDF_HEADER not in data[:HEADER_SEARCH_WINDOW]:
        return finish(Verdict.UNREADABLE, "not_pdf")

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        if reader.encrypted:
            return finish(Verdict.UNREADABLE, "encrypted")
        document = DocumentInfo(sha256=document.sha256, size=document.size, pages=int(reader.root["/Pages"]["/Count"]))
        filled_fields = _filled_fields_in(reader.root)
    # A crafted file can make the parser fail in any way (PdfError, KeyError, TypeError,
    # AttributeError, RecursionError, ...): every one of them means "cannot be read", never a 500.
    except Exception as exc:  # noqa: BLE001
        logger.info("Unreadable PDF %s: %s", document.sha256[:12], type(exc).__name__)
        trailing = _trailing_bytes_after_a_readable_pdf(data)
        if trailing:
            return finish(Verdict.TAMPERED, "trailing_bytes", change=Change("trailing_bytes", size=trailing))
        return finish(Verdict.UNREADABLE, "corrupt")
    try:
        seals = list(reader.embedded_regular_signatures)
        doc_timestamps = list(reader.embedded_timestamp_signatures)
        has_dss = "/DSS" in reader.root
    # The document parsed, but a filled signature field's value does not (an emptied or zeroed
    # /Contents, a missing or null /ByteRange, ...): a seal was damaged or forged after sealing.
    except Exception as exc:  # noqa: BLE001
        logger.info("Malformed seal in %s: %s", document.sha256[:12], type(exc).__name__)
        if filled_fields:
            return finish(Verdict.TAMPERED, "signature_invalid")
        return finish(Verdict.UNREADABLE, "corrupt")

    if filled_fields > len(seals) + len(doc_timestamps):
        # A filled signature field that does not parse as a signature: a seal was damaged.
        return finish(Verdict.TAMPERED, "signature_invalid")
    if not seals:
        try:
            hidden_at = _seals_hidden_at(reader)
        except Exception:  # noqa: BLE001 - an earlier revision that cannot be read proves nothing
            hidden_at = None
        if hidden_at is not None:
            return finish(Verdict.TAMPERED, "seal_removed", change=Change("seal_removed", revision=hidden_at))
        return finish(Verdict.NOT_SEALED, "no_seal")

    for embedded in [*seals, *doc_timestamps]:
        if not _contents_intact(data, embedded):
            change = Change("signature_contents", keys=(embedded.field_name or "",))
            return finish(Verdict.TAMPERED, "signature_padding", change=change)

    reports: list[SignatureReport] = []
    spec = _validation_spec(trust)
    try:
        for embedded_sig in seals:
            later_ts = any(ts.signed_revision > embedded_sig.signed_revision for ts in doc_timestamps)
            result = asyncio.run(ades.ades_lta_validation(embedded_sig, spec))
            reports.append(_seal_report(embedded_sig, result, has_dss=has_dss, later_doc_timestamp=later_ts))
        ts_context = _timestamp_context(trust)
        for embedded_ts in doc_timestamps:
            reports.append(_timestamp_report(embedded_ts, validate_pdf_timestamp(embedded_ts, ts_context)))
    # A damaged seal can make validation fail in any way (pyHanko has returned None where a
    # timestamp result was expected, raising AttributeError): a seal that cannot be evaluated was
    # damaged or crafted, never valid.
    except Exception as exc:  # noqa: BLE001
        logger.info("Seal validation failed for %s: %s", document.sha256[:12], type(exc).__name__)
        return finish(Verdict.TAMPERED, "signature_invalid", signatures=tuple(reports))

    signatures = tuple(reports)
    first_seal_revision = min(sig.signed_revision for sig in seals)
    last_seal_revision = max(sig.signed_revision for sig in seals)
    for report, embedded in zip(reports, [*seals, *doc_timestamps], strict=True):
        # A signature (seal or document timestamp) that a later seal follows may be followed by
        # that seal's form filling; from the last seal on, only signature maintenance.
        problem = _integrity_problem(report, is_last_seal=embedded.signed_revision >= last_seal_revision)
        if problem:
            return finish(Verdict.TAMPERED, problem, signatures=signatures)
    # Every byte range was checked by _contents_intact above.
    signed_until = max(sum(_byte_range(sig)[2:]) for sig in [*seals, *doc_timestamps])
    try:
        layout = revision_layout(reader, data)
        accounts = RevisionAccounts(reader, data, layout)
        # What no signature covers must be maintenance, whether or not the registry knows the file.
        unsigned_change = accounts.first_change_from(layout.first_revision_after(signed_until))
        issued = None
        if issued_sha256:
            issued = issued_boundary(
                accounts,
                issued_sha256=issued_sha256,
                first_seal_revision=first_seal_revision,
                last_seal_revision=last_seal_revision,
            )
    except StructureError as exc:
        reason = "trailing_bytes" if exc.change.code == "trailing_bytes" else "modified_after_sealing"
        return finish(Verdict.TAMPERED, reason, signatures=signatures, change=exc.change)
    # The revisions parsed for the seals but not object by object: something in them is crafted.
    except Exception as exc:  # noqa: BLE001
        logger.info("Revisions of %s cannot be accounted for: %s", document.sha256[:12], type(exc).__name__)
        return finish(Verdict.TAMPERED, "modified_after_sealing", signatures=signatures, change=Change("structure"))
    if unsigned_change is not None:
        # Kept with the issued boundary, so the report can name the document this was altered from.
        return finish(
            Verdict.TAMPERED, "modified_after_sealing", signatures=signatures, change=unsigned_change, issued=issued
        )
    for report in reports:
        trust_problem = _trust_problem(report)
        if trust_problem:
            return finish(*trust_problem, signatures=signatures)
    return Analysis(document=document, signatures=signatures, issued=issued)


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
    verdict, reason = _registry_verdict(record, today or timezone.localdate())
    if reason == "ok" and issued.end != analysis.document.size:
        reason = "ok_maintained"
    return VerificationReport(verdict=verdict, reason=reason, permit=record, matches_issued_document=True, **base)


# A file with more possible ends than this is not one the platform issued plus maintenance.
MAX_PREFIXES = 64
_EOF_MARKER = re.compile(rb"%%EOF(\r\n|\r|\n)?")


def prefix_digests(data: bytes) -> list[str]:
    """SHA-256 of every prefix of ``data`` that ends a line with ``%%EOF``, latest first, and of
    the whole file: the places the issued file may end in an upload, to ask the registry about.

    A hint only, computed in one pass: whether a real revision ends there, and what follows it,
    is decided by the analysis. Only the last MAX_PREFIXES places count.
    """
    ends = [match.end() for match in _EOF_MARKER.finditer(data)][-MAX_PREFIXES:]
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


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def record_as_dict(record: RegistryRecord) -> dict:
    """The registry record in the API's stable field names (no verification token: it is the
    holder's to share, not the verifier's to learn)."""
    return {
        "number": record.number,
        "kind": record.kind,
        "status": record.status,
        "status_reason": record.status_reason,
        "holder": record.holder,
        "issuer": record.issuer,
        "valid_from": _iso(record.valid_from),
        "valid_until": _iso(record.valid_until),
        "sha256": record.sha256,
    }


def _change_as_dict(change: Change | None) -> dict | None:
    """Where the file differs; ``revision`` counts the original document as 1, as the sentence does."""
    if change is None:
        return None
    return {
        "code": change.code,
        "revision": change.revision + 1 if change.revision is not None else None,
        "objects": list(change.objects),
        "keys": list(change.keys),
        "size": change.size,
    }


def report_as_dict(report: VerificationReport) -> dict:
    """The JSON contract of POST /api/verify/ and ``verify_pdf --json``."""
    return {
        "verdict": report.verdict.value,
        "label": str(report.label),
        "reason": report.reason,
        "message": str(report.message),
        "checked_at": _iso(report.checked_at),
        "document": {"sha256": report.document.sha256, "size": report.document.size, "pages": report.document.pages},
        "matches_issued_document": report.matches_issued_document,
        "change": _change_as_dict(report.change),
        "detail": str(report.detail),
        "permit": record_as_dict(report.permit) if report.permit is not None else None,
        "signatures": [
            {
                "field_name": sig.field_name,
                "kind": sig.kind,
                "signer": sig.signer,
                "organisation": sig.organisation,
                "certificate_chain": list(sig.certificate_chain),
                "signing_time": _iso(sig.signing_time),
                "timestamp_time": _iso(sig.timestamp_time),
                "pades_level": sig.pades_level,
                "indication": sig.indication,
                "sub_indication": sig.sub_indication,
                "intact": sig.intact,
                "valid": sig.valid,
                "trusted": sig.trusted,
                "revoked": sig.revoked,
                "coverage": sig.coverage,
                "modification_level": sig.modification_level,
                "certification": sig.certification,
                "docmdp_ok": sig.docmdp_ok,
            }
            for sig in report.signatures
        ],
    }
