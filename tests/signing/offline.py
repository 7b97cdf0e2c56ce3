"""Helpers for tests of signed QR codes on printed documents: the codes a printer's page shows, and
what an offline verifier holding the current trust list says of one."""

import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image

from signing import qr_payload, trust_list
from signing.pki import Pki


def printed_codes(pdf: bytes, tmp_path, *, page: int = 1, dpi: int = 300) -> list:
    """The signed codes (zxing results) on ``page`` of ``pdf``, rendered as a printer would (pdftoppm)."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("needs poppler's pdftoppm (Debian poppler-utils)")
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            pdftoppm,
            "-r",
            str(dpi),
            "-gray",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            str(tmp_path / "doc.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    picture = Image.open(sorted(tmp_path.glob("p*.png"))[-1])
    return [r for r in zxingcpp.read_barcodes(picture) if r.text.startswith(qr_payload.PREFIX)]


def qr_version(text: str) -> int:
    modules = memoryview(
        zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
            scale=1, add_quiet_zones=False
        )
    ).shape[0]
    return (modules - 17) // 4


def module_mm(result, *, dpi: int = 300) -> float:
    """The printed width of one module of a code zxing read from a page rendered at ``dpi``."""
    width_px = abs(result.position.top_right.x - result.position.top_left.x)
    return width_px / qr_modules(result.text) / dpi * 25.4


def qr_modules(text: str) -> int:
    return 17 + 4 * qr_version(text)


def offline_check(code: str, **kwargs) -> qr_payload.QrVerdict:
    """The verdict of a verifier holding the list published now, opened under the platform root."""
    content, issuer = trust_list.trust_list_open(
        trust_list.trust_list_make(), root=Pki.default().certificate("root-ca")
    )
    signers, documents = trust_list.verifier_inputs(content, issuer=issuer)
    return qr_payload.verify(code, signers=signers, revoked=documents, **kwargs)


def printed_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text as poppler reads it (pdftotext), whitespace collapsed."""
    path = tmp_path / "printed-text.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(  # noqa: S603 - a fixed tool on our own file
        [shutil.which("pdftotext"), str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return " ".join(text.split())
