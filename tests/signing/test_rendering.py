"""What a permit shows: Chinese text in an embedded font, the QR code, the seal stamp."""

import shutil
import subprocess

import pytest

from signing import rendering

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext/pdftoppm) not installed; .ci/run installs it",
)


def _fonts(pdf: bytes):
    from .conftest import reader_for

    reader = reader_for(pdf)
    page = reader.root["/Pages"]["/Kids"][0]
    return [f.get_object() for f in page["/Resources"]["/Font"].values()]


def test_the_cjk_font_is_embedded_truetype(issued_permit):
    fonts = _fonts(bytes(issued_permit.document.pdf))
    descriptors = [f["/FontDescriptor"] for f in fonts if "/FontDescriptor" in f]
    assert any("/FontFile2" in d for d in descriptors), "the TrueType subset must be embedded"


@needs_poppler
def test_permit_text_extracts_in_chinese(issued_permit, tmp_path):
    path = tmp_path / "permit.pdf"
    path.write_bytes(bytes(issued_permit.document.pdf))
    text = subprocess.run(  # noqa: S603 - fixed tool, our own file
        [shutil.which("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        "许可证",
        "京华新材料有限公司",
        "建设项目环境影响评价文件审批",
        "测试生态环境局",
        issued_permit.number,
    ):
        assert expected in text


@needs_poppler
def test_the_printed_text_explains_both_ways_to_check(issued_permit, tmp_path):
    """Beside the two codes, in both languages: any phone camera opens the online record (code ①), the
    offline verifier checks the signed code (②) with no network."""
    path = tmp_path / "permit.pdf"
    path.write_bytes(bytes(issued_permit.document.pdf))
    text = subprocess.run(  # noqa: S603 - fixed tool, our own file
        [shutil.which("pdftotext"), str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    english, chinese = " ".join(text.split()), "".join(text.split())  # the note wraps in a narrow column
    assert "Any phone camera opens the online record." in english
    assert "The OneWindow offline verifier (/verify/scan/) checks the signature with no network." in english
    assert "①手机相机扫码，打开平台登记记录" in chinese
    assert "②用一窗通离线核验页扫码，无需联网核对签名" in chinese
    assert "①在线核验Online" in chinese and "②离线验签Offline" in chinese  # under each code


@needs_poppler
def test_qr_code_decodes_to_the_verification_url(issued_permit, tmp_path, settings):
    """Rasterises the sealed PDF with pdftoppm and decodes the QR code with zxing-cpp (a PyPI wheel)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    path = tmp_path / "permit.pdf"
    path.write_bytes(bytes(issued_permit.document.pdf))
    subprocess.run(  # noqa: S603 - fixed tool, our own file
        [shutil.which("pdftoppm"), "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    image = Image.open(tmp_path / "page.png")
    texts = sorted(r.text for r in zxingcpp.read_barcodes(image))
    # The link to the record, and the signed code for offline checks (tests/signing/test_offline_qr.py).
    assert len(texts) == 2 and texts[1] == f"{settings.PUBLIC_BASE_URL}/v/{issued_permit.token}"
    assert texts[0].startswith("OW1:")
    # The stamp is drawn in the seal's signature field: the stamp's red is present in that box.
    x1, y1, x2, y2 = rendering.STAMP_BOX
    scale = 150 / 72
    crop = image.convert("RGB").crop(
        (int(x1 * scale), int(image.height - y2 * scale), int(x2 * scale), int(image.height - y1 * scale))
    )
    reds = sum(1 for r, g, b in crop.get_flattened_data() if r > 150 and g < 90 and b < 90)
    assert reds > 500


def test_seal_field_covers_the_stamp_box(issued_permit):
    from .conftest import reader_for

    sig = reader_for(bytes(issued_permit.document.pdf)).embedded_signatures[0]
    rect = [float(v) for v in sig.sig_field["/Rect"]] if "/Rect" in sig.sig_field else None
    if rect is None:  # merged field/widget vs. separate widget
        rect = [float(v) for v in sig.sig_field["/Kids"][0]["/Rect"]]
    assert rect == pytest.approx(list(rendering.STAMP_BOX), abs=0.01)
    assert "/AP" in (sig.sig_field if "/AP" in sig.sig_field else sig.sig_field["/Kids"][0])
