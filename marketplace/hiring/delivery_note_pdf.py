"""The delivery note as a PDF (reportlab): who delivered what to whom, each file's name, size and
SHA-256, a QR code to the registry entry, and room at the foot of the last page for the provider's
seal (:data:`NOTE_STAMP_BOX`)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from signing.rendering import FONT, PAGE_H, PAGE_W, escape_markup, paragraph_style, register_font

# The provider's seal, bottom right of the last page (PDF points, x1 y1 x2 y2).
NOTE_STAMP_BOX = (PAGE_W - 70 * mm, 22 * mm, PAGE_W - 25 * mm, 67 * mm)
# Below this no text runs on the last page: the seal and the platform line take the foot.
_TEXT_FLOOR = NOTE_STAMP_BOX[3] + 8 * mm


@dataclass(frozen=True)
class NoteFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class NoteContent:
    """Everything printed on a delivery note, already in the words to print."""

    number: str
    order_number: str
    service: str
    buyer_name: str
    buyer_name_zh: str
    buyer_credit_code: str
    provider_name: str
    provider_name_zh: str
    provider_credit_code: str
    project_name: str
    delivered_at: dt.datetime
    sequence: int
    files: tuple[NoteFile, ...]
    # What else the order belongs to (an approval case), one printed line each.
    references: tuple[str, ...]
    platform_name: str
    verification_url: str


def _name(zh: str, en: str) -> str:
    return f"{zh}\n{en}" if zh and zh != en else en


def render_note(content: NoteContent) -> tuple[bytes, int]:
    """An A4 delivery note and the index of its last page (where the seal goes); the file table
    runs onto further pages when it must."""
    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=0, pageCompression=1)
    c.setTitle(f"成果交付单 Delivery note {content.number}")
    c.setAuthor(content.provider_name)
    c.setSubject(content.service)

    def frame():
        c.setStrokeColor(colors.HexColor("#2f6b3a"))
        c.setLineWidth(1.2)
        c.rect(15 * mm, 15 * mm, PAGE_W - 30 * mm, PAGE_H - 30 * mm)

    frame()
    c.setFillColor(colors.HexColor("#2f6b3a"))
    c.setFont(FONT, 22)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 36 * mm, "中介服务成果交付单")
    c.setFont(FONT, 11)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 43 * mm, "DELIVERY NOTE")
    c.setFillColor(colors.black)
    c.setFont(FONT, 9)
    c.drawString(22 * mm, PAGE_H - 52 * mm, f"交付单编号 Note No. {content.number}")
    c.drawString(22 * mm, PAGE_H - 57 * mm, f"订单编号 Order No. {content.order_number}")
    local = content.delivered_at
    c.drawString(22 * mm, PAGE_H - 62 * mm, f"交付时间 Delivered: {local:%Y-%m-%d %H:%M} (UTC{local:%z})")

    size = 24 * mm
    widget = QrCodeWidget(content.verification_url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, PAGE_W - 22 * mm - size, PAGE_H - 66 * mm)
    c.setFont(FONT, 7)
    c.drawRightString(PAGE_W - 22 * mm, PAGE_H - 69 * mm, "扫码核验 Scan to verify")

    rows = [
        ("委托方", "Buyer", f"{_name(content.buyer_name_zh, content.buyer_name)}\n{content.buyer_credit_code}"),
        (
            "服务机构",
            "Provider",
            f"{_name(content.provider_name_zh, content.provider_name)}\n{content.provider_credit_code}",
        ),
        ("服务内容", "Service", content.service),
        ("项目名称", "Project", content.project_name or "—"),
        ("交付次数", "Delivery", f"第 {content.sequence} 次 / no. {content.sequence}"),
    ]
    rows += [
        ("关联事项" if i == 0 else "", "Part of" if i == 0 else "", ref) for i, ref in enumerate(content.references)
    ]
    y = PAGE_H - 74 * mm
    label_w, value_x = 36 * mm, 60 * mm
    value_w = PAGE_W - value_x - 22 * mm

    def room(height: float, floor: float = 22 * mm) -> None:
        nonlocal y
        if y - height < floor:
            c.showPage()
            frame()
            y = PAGE_H - 25 * mm

    for zh, en, value in rows:
        label = Paragraph(f"{zh} <font size=7 color='#555555'>{en}</font>", paragraph_style("", 9, leading=12))
        body = Paragraph(escape_markup(value), paragraph_style("", 9, leading=12))
        _, lh = label.wrap(label_w, 100 * mm)
        _, bh = body.wrap(value_w, 100 * mm)
        room(max(lh, bh))
        label.drawOn(c, 22 * mm, y - lh)
        body.drawOn(c, value_x, y - bh)
        y -= max(lh, bh) + 1.8 * mm

    y -= 3 * mm
    heading = Paragraph(
        "交付文件 <font size=7 color='#555555'>Files delivered (name, size in bytes, SHA-256)</font>",
        paragraph_style("", 10),
    )
    _, hh = heading.wrap(PAGE_W - 44 * mm, 20 * mm)
    room(hh + 12 * mm)
    heading.drawOn(c, 22 * mm, y - hh)
    y -= hh + 2 * mm
    for index, file in enumerate(content.files, start=1):
        entry = Paragraph(
            f"{index}. {escape_markup(file.name)} <font color='#555555'>({file.size:,} bytes)</font><br/>"
            f"<font size=7.5>SHA-256 {file.sha256}</font>",
            paragraph_style("", 8.5, leading=11),
        )
        _, eh = entry.wrap(PAGE_W - 44 * mm, 60 * mm)
        room(eh)
        entry.drawOn(c, 22 * mm, y - eh)
        y -= eh + 1.5 * mm

    statement = Paragraph(
        "服务机构确认上列文件为本次交付的全部成果，并对其真实性负责。任何人可计算文件的 SHA-256 与本交付单核对。<br/>"
        "<font size=7 color='#444444'>The provider declares the files above to be the whole of this delivery and "
        "answers for their truth. Anyone can compute a file's SHA-256 and compare it with this note.</font>",
        paragraph_style("", 8.5, leading=11),
    )
    _, sh = statement.wrap(PAGE_W - 44 * mm, 40 * mm)
    room(sh, floor=_TEXT_FLOOR)  # the seal's corner of the last page stays free
    statement.drawOn(c, 22 * mm, y - sh)

    c.setFont(FONT, 9)
    c.drawCentredString(
        (NOTE_STAMP_BOX[0] + NOTE_STAMP_BOX[2]) / 2, NOTE_STAMP_BOX[3] + 3 * mm, "服务机构（盖章）Provider"
    )
    c.setFont(FONT, 7.5)
    c.drawString(22 * mm, 19 * mm, f"{content.platform_name} — {content.verification_url}")
    last_page = c.getPageNumber() - 1
    c.showPage()
    c.save()
    return buf.getvalue(), last_page
