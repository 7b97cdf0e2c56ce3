"""Server-side rendering of permits (reportlab) and of seal stamp images (Pillow).

Chinese text uses the committed subset of Noto Sans SC (fonts/, SIL OFL), embedded in every PDF,
so rendering needs no system font. The QR code is drawn as vector graphics by reportlab.

The font, the page and the paragraph helpers are shared with the apps that render their own
sealed documents (contracts in ``marketplace.hiring``, certificates in ``providers``).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

FONT_PATH = Path(__file__).with_name("fonts") / "NotoSansSC-Subset.ttf"
FONT = "OneWindowSans"

PAGE_W, PAGE_H = A4
# Where the seal goes on page 1 (PDF points, x1 y1 x2 y2): the signature field and its stamp.
STAMP_BOX = (PAGE_W - 75 * mm, 28 * mm, PAGE_W - 30 * mm, 73 * mm)


@functools.cache
def register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))
    return FONT


# What fits of a permit's citations above the issuer block (the registry record lists them all).
MAX_PRINTED_CITATIONS = 4


@dataclass(frozen=True)
class PermitContent:
    """Everything printed on a permit, already in the words to print."""

    number: str
    authority_name: str
    authority_name_zh: str
    holder_name: str
    holder_name_zh: str
    holder_credit_code: str
    matter: str
    scope: str
    conditions: str
    valid_from: dt.date
    valid_until: dt.date
    issued_on: dt.date
    verification_url: str
    verification_code: str = ""
    citations: tuple[tuple[str, str], ...] = ()  # (label, sha256 hex) of each document relied on
    signed_code: str = ""  # the permit's signed claims (signing.qr_payload), printed as a second QR code


def paragraph_style(text: str, size: float, leading: float | None = None, color=colors.black) -> ParagraphStyle:
    return ParagraphStyle(
        "p",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.45,
        wordWrap="CJK",
        alignment=TA_LEFT,
        textColor=color,
    )


def escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def render_permit(content: PermitContent) -> bytes:
    """An A4 permit, one page; the seal is applied afterwards into :data:`STAMP_BOX`."""
    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=0, pageCompression=1)
    c.setTitle(f"许可证 Permit {content.number}")
    c.setAuthor(content.authority_name)
    c.setSubject(content.matter)

    # Frame
    c.setStrokeColor(colors.HexColor("#b22222"))
    c.setLineWidth(2)
    c.rect(15 * mm, 15 * mm, PAGE_W - 30 * mm, PAGE_H - 30 * mm)
    c.setLineWidth(0.6)
    c.rect(17 * mm, 17 * mm, PAGE_W - 34 * mm, PAGE_H - 34 * mm)

    # Heading
    c.setFillColor(colors.HexColor("#b22222"))
    c.setFont(FONT, 30)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 45 * mm, "许 可 证")
    c.setFont(FONT, 13)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 53 * mm, "PERMIT")
    c.setFillColor(colors.black)
    c.setFont(FONT, 11)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 62 * mm, f"编号 No. {content.number}")

    rows = [
        (
            "持证单位",
            "Holder",
            f"{content.holder_name_zh or content.holder_name}\n{content.holder_name}"
            if content.holder_name_zh
            else content.holder_name,
        ),
        ("统一社会信用代码", "Credit code", content.holder_credit_code),
        ("许可事项", "Approval matter", content.matter),
        ("许可范围", "Scope", content.scope),
        ("许可条件", "Conditions", content.conditions or "—"),
        (
            "有效期限",
            "Validity",
            f"{content.valid_from:%Y年%m月%d日} 至 {content.valid_until:%Y年%m月%d日}\n"
            f"{content.valid_from.isoformat()} to {content.valid_until.isoformat()}",
        ),
    ]
    y = PAGE_H - 75 * mm
    label_w, value_x, value_w = 42 * mm, 70 * mm, PAGE_W - 70 * mm - 28 * mm
    for zh, en, value in rows:
        label = Paragraph(f"{zh}<br/><font size=8 color='#555555'>{en}</font>", paragraph_style("", 11))
        body = Paragraph(escape_markup(value), paragraph_style("", 11))
        _, lh = label.wrap(label_w, 100 * mm)
        _, bh = body.wrap(value_w, 100 * mm)
        h = max(lh, bh)
        label.drawOn(c, 28 * mm, y - lh)
        body.drawOn(c, value_x, y - bh)
        y -= h + 5 * mm
        c.setStrokeColor(colors.HexColor("#dddddd"))
        c.setLineWidth(0.4)
        c.line(28 * mm, y + 2.5 * mm, PAGE_W - 28 * mm, y + 2.5 * mm)

    if content.citations:
        # What the permit relies on, small: each document's label and SHA-256, checkable by anyone.
        shown = content.citations[:MAX_PRINTED_CITATIONS]
        lines = "<br/>".join(f"{escape_markup(label)}<br/>SHA-256 {escape_markup(sha256)}" for label, sha256 in shown)
        if len(content.citations) > len(shown):
            more = len(content.citations) - len(shown)
            lines += f"<br/>另有 {more} 项，见登记记录 / {more} more in the registry record"
        label = Paragraph("依据的中介成果<br/><font size=8 color='#555555'>Relied on</font>", paragraph_style("", 11))
        body = Paragraph(lines, paragraph_style("", 7.5))
        _, lh = label.wrap(label_w, 100 * mm)
        _, bh = body.wrap(value_w, 100 * mm)
        label.drawOn(c, 28 * mm, y - lh)
        body.drawOn(c, value_x, y - bh)

    # Issuer and date, above the row of codes and beside the stamp
    c.setFillColor(colors.black)
    right = STAMP_BOX[0] - 4 * mm
    issuer_y = STAMP_BOX[3] - 5 * mm
    c.setFont(FONT, 12)
    c.drawRightString(right, issuer_y, f"发证机关：{content.authority_name_zh or content.authority_name}")
    c.setFont(FONT, 9)
    c.drawRightString(right, issuer_y - 6 * mm, f"Issued by {content.authority_name}")
    c.setFont(FONT, 11)
    c.drawRightString(
        right, issuer_y - 14 * mm, f"发证日期 {content.issued_on:%Y年%m月%d日} / {content.issued_on.isoformat()}"
    )

    # The row of codes: ① the link to the public record, ② the signed code an offline verifier checks,
    # and beside them the verification code and how to use each
    y = 21.5 * mm
    size = 24 * mm  # a short link: a small code reads at any size
    widget = QrCodeWidget(content.verification_url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, 26 * mm, y)
    c.setFont(FONT, 7)
    c.drawString(26 * mm, y - 3 * mm, "① 在线核验 Online")
    column_x, top = 54 * mm, y + size
    if content.signed_code:
        signed_size = 30 * mm  # up to version 15: modules of 0.4 mm and more
        draw_qr_matrix(c, content.signed_code, x=53 * mm, y=y, size=signed_size)
        c.drawString(53 * mm, y - 3 * mm, "② 离线验签 Offline")
        column_x, top = 87 * mm, y + signed_size
    lines = []
    if content.verification_code:
        lines.append(f"<font size=8>核验码 Verification code: {content.verification_code}</font>")
        lines.append("凭编号和核验码可在线核验 / The number and this code check online.")
    if content.signed_code:
        lines.append("① 手机相机扫码，打开平台登记记录 / Any phone camera opens the online record.")
        lines.append(
            "② 用一窗通离线核验页扫码，无需联网核对签名 / The OneWindow offline verifier (/verify/scan/) "
            "checks the signature with no network."
        )
    if lines:
        note = Paragraph("<br/>".join(lines), paragraph_style("", 6.5, leading=8.5))
        _, height = note.wrap(STAMP_BOX[0] - 4 * mm - column_x, 40 * mm)
        note.drawOn(c, column_x, top - height)

    c.showPage()
    c.save()
    return buf.getvalue()


def draw_qr_matrix(c, text: str, *, x: float, y: float, size: float) -> int:
    """``text`` as a QR code at error correction M, drawn module by module from zxing-cpp's matrix
    (the smallest version that holds it; Base45 text goes in alphanumeric mode). Returns the version."""
    matrix = memoryview(
        zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
            scale=1, add_quiet_zones=False
        )
    )
    count = matrix.shape[0]
    module = size / count
    c.setFillColor(colors.black)
    for row in range(count):
        for column in range(count):
            if matrix[row, column] < 128:  # dark module
                c.rect(x + column * module, y + (count - 1 - row) * module, module, module, stroke=0, fill=1)
    return (count - 17) // 4


def render_stamp_png(*, name: str, size: int = 360) -> bytes:
    """A round red seal with ``name`` around the rim and a star in the middle, transparent background."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    red = (200, 16, 32, 235)
    margin = size * 0.04
    draw.ellipse([margin, margin, size - margin, size - margin], outline=red, width=int(size * 0.035))
    cx = cy = size / 2
    r_star, r_inner = size * 0.16, size * 0.065
    points = []
    for i in range(10):
        r = r_star if i % 2 == 0 else r_inner
        a = -math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    draw.polygon(points, fill=red)
    font = ImageFont.truetype(str(FONT_PATH), int(size * 0.1))
    text = name[:16]
    n = len(text)
    span = min(math.radians(250), math.radians(22) * n)
    radius = size * 0.36
    for i, ch in enumerate(text):
        a = -math.pi / 2 - span / 2 + (span * (i + 0.5) / n)
        glyph = Image.new("RGBA", (int(size * 0.14), int(size * 0.14)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=red, anchor="mm")
        glyph = glyph.rotate(-math.degrees(a + math.pi / 2), resample=Image.BICUBIC)
        gx = cx + radius * math.cos(a) - glyph.width / 2
        gy = cy + radius * math.sin(a) - glyph.height / 2
        img.alpha_composite(glyph, (int(gx), int(gy)))
    label_font = ImageFont.truetype(str(FONT_PATH), int(size * 0.075))
    draw.text((cx, cy + size * 0.26), "电子印章", font=label_font, fill=red, anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
