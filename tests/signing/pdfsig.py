"""Poppler's ``pdfsig`` as an independent verifier of the PDFs we seal (used by test_pdfsig.py).

pdfsig (poppler-utils) checks each signature with NSS: the CMS signature over the /ByteRange
bytes, then the signer's certificate chain up to a trust anchor in an NSS database. We give it a
throw-away database that trusts only the platform root CA, made with ``certutil`` (libnss3-tools).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509

PDFSIG = shutil.which("pdfsig")
CERTUTIL = shutil.which("certutil")
OPENSSL = shutil.which("openssl")

requires_pdfsig = pytest.mark.skipif(
    PDFSIG is None or CERTUTIL is None,
    reason="needs poppler's pdfsig (Debian poppler-utils) and NSS's certutil (Debian libnss3-tools)",
)

# pdfsig's wording (poppler 22.12, utils/pdfsig.cc getReadableSigState / getReadableCertState).
SIGNATURE_VALID = "Signature is Valid."
SIGNATURE_NOT_VERIFIED = "Signature has not yet been verified."
DIGEST_MISMATCH = "Digest Mismatch."
CERTIFICATE_TRUSTED = "Certificate is Trusted."
# The root travels in the CMS certificates, so without it in the NSS database the issuer is known
# but not trusted.
CERTIFICATE_UNTRUSTED_ISSUER = "Certificate issuer isn't Trusted."
# Printed on stderr for a SubFilter poppler cannot check (ETSI.RFC3161 document timestamps).
UNSUPPORTED_SUBFILTER = "Unable to validate this type of signature"

TIMEOUT_SECONDS = 60
ROOT_NICKNAME = "onewindow-root"


def nss_database(directory: Path, *, trusted_root: asn1_x509.Certificate | None) -> Path:
    """An NSS database in ``directory`` (no password) trusting ``trusted_root`` for signing, or nothing."""
    directory.mkdir(parents=True, exist_ok=True)
    _run([CERTUTIL, "-N", "-d", f"sql:{directory}", "--empty-password"])
    if trusted_root is not None:
        root_pem = directory / "root.pem"
        root_pem.write_bytes(pem.armor("CERTIFICATE", trusted_root.dump()))
        _run([CERTUTIL, "-A", "-d", f"sql:{directory}", "-n", ROOT_NICKNAME, "-t", "CT,C,C", "-i", str(root_pem)])
    return directory


@dataclass(frozen=True)
class PdfsigSignature:
    """One ``Signature #n:`` block: its ``  - Key: value`` lines, and the lines without a value."""

    number: int
    details: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def field_name(self) -> str:
        return self.details.get("Signature Field Name", "")

    @property
    def signer(self) -> str:
        return self.details.get("Signer Certificate Common Name", "")

    @property
    def signature_type(self) -> str:
        return self.details.get("Signature Type", "")

    @property
    def signature_validation(self) -> str:
        return self.details.get("Signature Validation", "")

    @property
    def certificate_validation(self) -> str:
        """Empty when pdfsig did not get as far as the certificate (it only checks valid signatures)."""
        return self.details.get("Certificate Validation", "")

    @property
    def byte_range(self) -> tuple[int, int, int, int]:
        """The /ByteRange as pdfsig read it: (start, length, start, length)."""
        bounds = [int(n) for n in re.findall(r"\d+", self.details.get("Signed Ranges", ""))]
        if len(bounds) != 4:
            raise AssertionError(f"pdfsig printed no two signed ranges for {self.field_name}: {self.details}")
        return bounds[0], bounds[1] - bounds[0], bounds[2], bounds[3] - bounds[2]


@dataclass(frozen=True)
class PdfsigReport:
    returncode: int
    stdout: str
    stderr: str
    signatures: tuple[PdfsigSignature, ...]

    def describe(self) -> str:
        return f"pdfsig exit {self.returncode}\n{self.stdout}\n{self.stderr}"


def parse(stdout: str) -> tuple[PdfsigSignature, ...]:
    blocks: list[tuple[int, dict[str, str], list[str]]] = []
    for line in stdout.splitlines():
        text = line.strip()
        header = re.fullmatch(r"Signature #(\d+):", text)
        if header:
            blocks.append((int(header.group(1)), {}, []))
        elif blocks and text:
            _number, details, notes = blocks[-1]
            key, sep, value = text.removeprefix("- ").partition(": ")
            if sep:
                details[key] = value
            else:
                notes.append(key)
    return tuple(PdfsigSignature(number=n, details=details, notes=tuple(notes)) for n, details, notes in blocks)


def run_pdfsig(pdf: bytes, *, nss_dir: Path, work_dir: Path) -> PdfsigReport:
    """``pdfsig -nssdir sql:DIR`` on ``pdf``, parsed.

    No ``-aia`` (never fetch certificates) and no ``-no-ocsp``: poppler 22.12 reads NSS's error
    code even when the chain verified, so with ``-no-ocsp`` a good chain is printed as "Unknown
    issue with Certificate or corrupted data." (fixed upstream in poppler commit 11b859f5, 2025).
    The default stays offline for our documents: NSS's policy forbids fetching CRLs, and OCSP is
    only tried against a responder named in a certificate's AIA extension, which
    :func:`assert_offline` checks none of the signing certificates carries.
    """
    assert_offline(pdf)
    path = work_dir / "document.pdf"
    path.write_bytes(pdf)
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [PDFSIG, "-nssdir", f"sql:{nss_dir}", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        env=env,
        check=False,
    )
    return PdfsigReport(
        returncode=completed.returncode,
        stdout=completed.stdout,
        stderr=completed.stderr,
        signatures=parse(completed.stdout),
    )


# --- the signature containers themselves, read without pyHanko ----------------------------------

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def signed_bytes(pdf: bytes, byte_range: tuple[int, int, int, int]) -> bytes:
    start, length, start2, length2 = byte_range
    return pdf[start : start + length] + pdf[start2 : start2 + length2]


def contents(pdf: bytes, byte_range: tuple[int, int, int, int]) -> bytes:
    """The DER signature container in the gap of ``byte_range`` (hex string, zero-padded)."""
    start, length, start2, _length2 = byte_range
    gap = pdf[start + length : start2]
    if not (gap.startswith(b"<") and gap.endswith(b">")):
        raise AssertionError(f"the gap of {byte_range} is not a hex string: {gap[:16]!r}...")
    raw = bytes.fromhex(gap[1:-1].decode("ascii"))
    return cms.ContentInfo.load(raw, strict=False).dump()


def byte_ranges(pdf: bytes) -> list[tuple[int, int, int, int]]:
    return [tuple(int(n) for n in m.groups()) for m in _BYTE_RANGE.finditer(pdf)]


def assert_offline(pdf: bytes) -> None:
    """No certificate in any signature container names an OCSP responder or CA issuers URL (AIA)."""
    for byte_range in byte_ranges(pdf):
        content = cms.ContentInfo.load(contents(pdf, byte_range))["content"]
        for choice in content["certificates"]:
            cert = choice.chosen
            assert cert.authority_information_access_value is None, (
                f"{cert.subject.human_friendly} has an AIA extension: pdfsig would go online to check it"
            )


def openssl_verify_timestamp(
    pdf: bytes, byte_range: tuple[int, int, int, int], *, root_pem: Path, work_dir: Path
) -> subprocess.CompletedProcess:
    """``openssl ts -verify`` of the RFC 3161 token of a document timestamp against its signed bytes."""
    data = work_dir / "signed-bytes.bin"
    token = work_dir / "token.der"
    data.write_bytes(signed_bytes(pdf, byte_range))
    token.write_bytes(contents(pdf, byte_range))
    return subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [OPENSSL, "ts", "-verify", "-token_in", "-in", str(token), "-data", str(data), "-CAfile", str(root_pem)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)  # noqa: S603 - no shell
