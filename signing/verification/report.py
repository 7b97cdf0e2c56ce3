"""What the verifier answers: verdicts, reasons, the registry's record and the report, in words
for people (both languages) and in the API's stable JSON."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .revisions import Change


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
    "citation_unconfirmed": _(
        "The seals are genuine, but a document this one relies on could not be confirmed as genuine and unaltered."
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
    # The issued file's record in the transparency log: {"leaf": {...}, "inclusion": {...}, "head": {...}}
    # (see ``translog``), or None while no signed tree head covers it yet.
    log_proof: dict | None = None
    # What the document relies on (a permit issued from an approval case): {"label", "sha256"}, and for a
    # document the platform keeps, its "kind" and the registry's "check" of it (see CITATION_CHECKS).
    citations: tuple = ()
    # The files a document attests (a delivery note): {"name", "size", "sha256"}.
    files: tuple = ()

    @property
    def status_label(self) -> str:
        return str(REGISTRY_STATUS_LABELS.get(self.status, self.status))


# What the registry found when it checked a cited document it keeps; anything but "genuine" fails closed.
CITATION_CHECKS = {
    "genuine": _("Genuine and unaltered"),
    "not_found": _("Not in the registry"),
    "altered": _("The kept copy no longer matches the cited SHA-256"),
    "seal_invalid": _("Its seal does not verify"),
}


def citations_confirmed(record: RegistryRecord) -> bool:
    """Every cited document the platform keeps was checked and found genuine."""
    return all(cited.get("check", "genuine") == "genuine" for cited in record.citations if cited.get("kind"))


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


# What a change touched, for the sentence that says where (codes from signing.verification.revisions.Change).
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


def registry_verdict(record: RegistryRecord, today: dt.date) -> tuple[Verdict, str]:
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
    if record.status == "valid" and not citations_confirmed(record):
        return Verdict.INDETERMINATE, "citation_unconfirmed"
    if record.status == "valid":
        return Verdict.VALID, "ok"
    # A status this verifier does not know is not a reason to say valid.
    return Verdict.INDETERMINATE, "validation_failed"


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
        "relies_on": [
            {**cited, **({"check_label": str(CITATION_CHECKS.get(cited["check"], ""))} if "check" in cited else {})}
            for cited in record.citations
        ],
        "files": list(record.files),
        "transparency_log": record.log_proof,
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
