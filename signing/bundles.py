"""Sealed bundles: a ZIP of files and a manifest of every file's size and SHA-256, the manifest signed
by the platform's seal (a detached CMS signature with a signature timestamp, ``manifest.p7s``).

A bundle is checked with nothing but its bytes and the platform's root certificate: the manifest's
signature, every file's digest, no file added or missing, and every sealed PDF inside through the
verifier (``verify_bundle`` command, the ``/verify/`` page). Without this code::

    openssl cms -verify -binary -inform DER -in manifest.p7s -content manifest.json \\
        -CAfile root.pem -purpose any
    sha256sum -c   # against the "files" of manifest.json

The signing app knows nothing of what a bundle holds; the app that builds one names its files.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import logging
import posixpath
import zipfile
from dataclasses import dataclass, field

from asn1crypto import cms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from . import services, verifier
from .exceptions import SigningError
from .models import DocumentKind, Seal
from .verification import TrustAnchors, Verdict

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SIGNATURE = "manifest.p7s"
FORMAT = "onewindow-sealed-bundle/1"
RESERVED = frozenset({MANIFEST, SIGNATURE})

# A bundle that breaks these is refused before anything in it is read in full (a zip bomb, say).
MAX_ENTRIES = 1000
MAX_ENTRY_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
# The fixed time stamped on every ZIP entry: the manifest says when the bundle was made.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


class BundleError(SigningError):
    """A bundle cannot be built from these files (an unsafe or repeated path)."""


def _safe_path(path: str) -> bool:
    normal = posixpath.normpath(path)
    return (
        bool(path)
        and normal == path
        and not path.startswith(("/", "../"))
        and path != ".."
        and "\\" not in path
        and ":" not in path
        and path not in RESERVED
    )


def bundle_seal(*, files: list[tuple[str, bytes]], about: dict, number: str) -> bytes:
    """The ZIP of ``files`` ((path, bytes) in order) with its manifest signed by the platform seal.
    ``about`` says what the bundle is (kept in the manifest); ``number`` names it in the seal-use log."""
    paths = [path for path, _data in files]
    bad = [path for path in paths if not _safe_path(path)]
    if bad or len(set(paths)) != len(paths):
        raise BundleError(f"unsafe or repeated paths in a bundle: {bad or paths}")
    manifest = {
        "format": FORMAT,
        "about": about,
        "generated_at": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
        "files": [
            {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for path, data in files
        ],
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    signature = services.platform_seal_data(
        data=manifest_bytes, document_kind=DocumentKind.SEALED_BUNDLE, document_number=number, log_detail="bundle"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in [(MANIFEST, manifest_bytes), (SIGNATURE, signature), *files]:
            archive.writestr(zipfile.ZipInfo(path, date_time=_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- checking a bundle ---------------------------------------------------------------------------

FILE_STATES = {
    "ok": _("Unchanged"),
    "changed": _("Changed: its SHA-256 is not the manifest's"),
    "missing": _("Missing from the bundle"),
    "unlisted": _("Not in the manifest: added after sealing"),
}
BUNDLE_VERDICTS = {
    "genuine": _("Genuine and complete"),
    "altered": _("Altered after sealing"),
    "untrusted": _("Not sealed by the platform"),
    "unreadable": _("Not a sealed bundle"),
}
BUNDLE_REASONS = {
    "ok": _(
        "The platform's seal on the manifest is genuine, every file matches its SHA-256, none is missing or added, "
        "and no sealed PDF inside was altered."
    ),
    "files_changed": _("At least one file was changed, removed or added after the bundle was sealed."),
    "pdf_altered": _("A sealed PDF inside the bundle does not verify: it was altered, or its seal is not trusted."),
    "manifest_changed": _("The manifest was changed after it was sealed: its signature does not match."),
    "signer_untrusted": _("The manifest is not signed by a trusted certificate."),
    "signer_not_platform": _("The manifest is signed, but not with the platform's own seal."),
    "not_zip": _("The file is not a ZIP archive."),
    "no_manifest": _("The archive holds no signed manifest."),
    "bad_manifest": _("The manifest cannot be read."),
    "too_large": _("The archive is larger than the bundle limits (entries, sizes)."),
}
# Verdicts of a PDF inside that say it is not what was sealed, or not sealed by anyone trusted. The
# others (revoked, expired, a contract copy before its last seal) describe a genuine document.
FAILING_PDF_VERDICTS = frozenset({Verdict.TAMPERED, Verdict.UNTRUSTED, Verdict.NOT_SEALED, Verdict.UNREADABLE})


@dataclass(frozen=True)
class BundleFile:
    path: str
    state: str  # ok | changed | missing | unlisted
    size: int | None = None
    sha256: str = ""
    pdf_verdict: str = ""  # the verifier's verdict for a PDF, "" otherwise
    pdf_label: str = ""
    pdf_reason: str = ""

    @property
    def state_label(self):
        return FILE_STATES[self.state]


@dataclass(frozen=True)
class BundleReport:
    verdict: str  # genuine | altered | untrusted | unreadable
    reason: str
    about: dict = field(default_factory=dict)
    generated_at: str = ""
    signer: str = ""
    signed_at: dt.datetime | None = None
    files: tuple[BundleFile, ...] = ()

    @property
    def label(self):
        return BUNDLE_VERDICTS[self.verdict]

    @property
    def message(self):
        return BUNDLE_REASONS[self.reason]

    @property
    def is_genuine(self) -> bool:
        return self.verdict == "genuine"

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "label": str(self.label),
            "reason": self.reason,
            "message": str(self.message),
            "about": self.about,
            "generated_at": self.generated_at,
            "signer": self.signer,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "files": [
                {
                    "path": f.path,
                    "state": f.state,
                    "size": f.size,
                    "sha256": f.sha256,
                    "pdf_verdict": f.pdf_verdict or None,
                    "pdf_reason": f.pdf_reason or None,
                }
                for f in self.files
            ],
        }


def is_bundle(data: bytes) -> bool:
    """Whether ``data`` looks like a ZIP archive (what the /verify/ page routes here)."""
    return data[:4] == b"PK\x03\x04"


def _read_entries(data: bytes) -> dict[str, bytes] | str:
    """Every entry's bytes by name, or the reason code the archive is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "not_zip"
    if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        return "too_large"
    entries: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > MAX_ENTRY_BYTES:
            return "too_large"
        if info.filename in entries:  # two entries of one name: which one the manifest means is unclear
            return "bad_manifest"
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_ENTRY_BYTES + 1)  # a lying header does not get past the cap
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError):
            return "not_zip"
        if len(content) > MAX_ENTRY_BYTES:
            return "too_large"
        entries[info.filename] = content
    return entries


def _signature_check(
    manifest: bytes, signature: bytes, trust: TrustAnchors
) -> tuple[str | None, str, dt.datetime | None]:
    """(problem reason or None, signer's subject, signing time) of the manifest's detached signature."""
    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        context = ValidationContext(
            trust_roots=list(trust.roots),
            other_certs=list(trust.intermediates),
            crls=list(trust.crls),
            allow_fetching=False,
            revocation_mode="hard-fail",
        )
        status = asyncio.run(async_validate_detached_cms(manifest, signed_data, signer_validation_context=context))
    except Exception:  # a malformed signature is a verdict, not an error
        logger.info("A bundle signature could not be parsed", exc_info=True)
        return "manifest_changed", "", None
    signer = status.signing_cert.subject.human_friendly if status.signing_cert is not None else ""
    when = status.timestamp_validity.timestamp if status.timestamp_validity is not None else status.signer_reported_dt
    if not (status.intact and status.valid):
        return "manifest_changed", signer, when
    if not status.trusted:
        return "signer_untrusted", signer, when
    serial = str(status.signing_cert.serial_number)
    if not Seal.objects.filter(authority__is_platform=True, certificate_serial=serial).exists():
        return "signer_not_platform", signer, when
    return None, signer, when


def verify_bundle(data: bytes) -> BundleReport:
    """Check a sealed bundle from its bytes alone (and the platform's trust anchors and registry).
    Never raises for bad input: every problem is a verdict."""
    entries = _read_entries(data)
    if isinstance(entries, str):
        return BundleReport(verdict="unreadable", reason=entries)
    if MANIFEST not in entries or SIGNATURE not in entries:
        return BundleReport(verdict="unreadable", reason="no_manifest")
    manifest_bytes = entries[MANIFEST]
    try:
        manifest = json.loads(manifest_bytes)
        listed = {row["path"]: row for row in manifest["files"]}
        if manifest.get("format") != FORMAT:
            raise ValueError(manifest.get("format"))
    except (ValueError, KeyError, TypeError):
        return BundleReport(verdict="unreadable", reason="bad_manifest")
    trust, _registry = verifier.verification_sources()
    problem, signer, signed_at = _signature_check(manifest_bytes, entries[SIGNATURE], trust)
    files = []
    for path, row in listed.items():
        content = entries.get(path)
        if content is None:
            files.append(BundleFile(path=path, state="missing", size=row.get("size"), sha256=row.get("sha256", "")))
            continue
        digest = hashlib.sha256(content).hexdigest()
        state = "ok" if digest == row.get("sha256") and len(content) == row.get("size") else "changed"
        pdf = {}
        if path.lower().endswith(".pdf"):
            report = verifier.verify_document(content)
            pdf = {"pdf_verdict": report.verdict.value, "pdf_label": str(report.label), "pdf_reason": report.reason}
        files.append(BundleFile(path=path, state=state, size=len(content), sha256=digest, **pdf))
    files += [
        BundleFile(path=path, state="unlisted", size=len(content), sha256=hashlib.sha256(content).hexdigest())
        for path, content in entries.items()
        if path not in listed and path not in RESERVED
    ]
    common = {
        "about": manifest.get("about") or {},
        "generated_at": manifest.get("generated_at", ""),
        "signer": signer,
        "signed_at": signed_at,
        "files": tuple(files),
    }
    if problem is not None:
        verdict = "altered" if problem == "manifest_changed" else "untrusted"
        return BundleReport(verdict=verdict, reason=problem, **common)
    if any(f.state != "ok" for f in files):
        return BundleReport(verdict="altered", reason="files_changed", **common)
    if any(f.pdf_verdict in FAILING_PDF_VERDICTS for f in files):
        return BundleReport(verdict="altered", reason="pdf_altered", **common)
    return BundleReport(verdict="genuine", reason="ok", **common)
