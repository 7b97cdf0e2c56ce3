"""What a PDF's bytes alone prove about its seals: pyHanko's AdES validation, and the checks
pyHanko does not make (a seal's unsigned gap, hidden seals, the revisions after the last
signature). Runs in the isolated worker; never touches the database."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import re
from dataclasses import dataclass

from asn1crypto import crl as asn1_crl
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel, ades, policy_decl, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from .report import DocumentInfo, SignatureReport, Verdict
from .revisions import Boundary, Change, RevisionAccounts, StructureError, issued_boundary, revision_layout

logger = logging.getLogger(__name__)

PDF_HEADER = b"%PDF-"
# The PDF header may be preceded by junk (ISO 32000 tolerates up to 1024 bytes in practice).
HEADER_SEARCH_WINDOW = 1024


EOF_MARKER = re.compile(rb"%%EOF(\r\n|\r|\n)?")


@dataclass(frozen=True)
class TrustAnchors:
    """What the verifier trusts: root certificates, and the CRLs it already knows locally."""

    roots: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    intermediates: tuple[asn1_x509.Certificate, ...] = ()


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


def _status_fields(status) -> dict:
    """What a seal's and a document timestamp's reports share, from pyHanko's status."""
    return {
        "signer": _subject(status.signing_cert),
        "organisation": _organisation(status.signing_cert),
        "certificate_chain": _chain(status),
        "intact": status.intact,
        "valid": status.valid,
        "trusted": status.trusted,
        "revoked": status.revoked,
        "coverage": status.coverage.name if status.coverage is not None else None,
        "modification_level": status.modification_level.name if status.modification_level is not None else None,
    }


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
        field_name=str(embedded_sig.field_name),
        kind="seal",
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp.timestamp if timestamp is not None else None,
        pades_level=_pades_level(status, has_dss=has_dss, later_doc_timestamp=later_doc_timestamp),
        indication=indication,
        sub_indication=None if sub.status is AdESStatus.PASSED else sub.standard_name,
        **_status_fields(status),
        certification=_docmdp_name(embedded_sig),
        docmdp_ok=status.docmdp_ok,
    )


def _timestamp_report(embedded_sig, status) -> SignatureReport:
    passed = status.intact and status.valid and status.trusted
    return SignatureReport(
        field_name=str(embedded_sig.field_name or ""),
        kind="document_timestamp",
        signing_time=None,
        timestamp_time=status.timestamp,
        pades_level=None,
        indication="TOTAL_PASSED" if passed else ("TOTAL_FAILED" if not status.intact else "INDETERMINATE"),
        sub_indication=None if passed else ("HASH_FAILURE" if not status.intact else "NO_CERTIFICATE_CHAIN_FOUND"),
        **_status_fields(status),
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
    """The length of the DER value (tag, length and contents) at the start of ``data``, read by
    asn1crypto's own header parser; None if no complete value starts there."""
    try:
        _, _, _, header, contents, _ = asn1_parser.parse(data)
    except ValueError:
        return None
    return len(header) + len(contents)


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
    return length is not None and not any(decoded[length:])


def _trailing_bytes_after_a_readable_pdf(data: bytes) -> int:
    """How many bytes follow the last ``%%EOF`` of a file that is a readable, sealed PDF up to there
    (its reader gives up when too much follows the marker), else 0."""
    end = max((match.end() for match in EOF_MARKER.finditer(data)), default=0)
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
    try:
        return _analyse(data, trust=trust, max_bytes=max_bytes, issued_sha256=issued_sha256)
    # Every failure the input can cause is caught where it happens and named; reaching here is a
    # bug of ours, which must not accuse the file of anything, nor pass it: it cannot be decided.
    except Exception:  # noqa: BLE001
        logger.exception("Verification failed unexpectedly")
        document = DocumentInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), pages=None)
        return Analysis(document=document, verdict=Verdict.INDETERMINATE, reason="validation_failed")


def _analyse(data: bytes, *, trust: TrustAnchors, max_bytes: int, issued_sha256: str | None) -> Analysis:
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
            change = Change("signature_contents", keys=(str(embedded.field_name or ""),))
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
