"""The delivery note as a PDF (reportlab): who delivered what to whom, each file's name, size and
SHA-256, a QR code to the registry entry, and room at the foot of the last page for the provider's
seal (:data:`NOTE_STAMP_BOX`)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from signing.rendering import FONT, PAGE_H, PAGE_W, draw_qr_matrix, escape_markup, paragraph_style, register_font

from .pdf_layout import Flow, draw_registry_qr, framed_heading

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
    # The platform-signed code an offline verifier checks (signing.qr_payload); empty: none printed.
    signed_code: str = ""


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

    local = content.delivered_at
    frame = framed_heading(
        c,
        colour="#2f6b3a",
        title_zh="中介服务成果交付单",
        title_en="DELIVERY NOTE",
        lines=[
            f"交付单编号 Note No. {content.number}",
            f"订单编号 Order No. {content.order_number}",
            f"交付时间 Delivered: {local:%Y-%m-%d %H:%M} (UTC{local:%z})",
        ],
    )
    draw_registry_qr(c, content.verification_url)

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
    flow = Flow(c, top=PAGE_H - 74 * mm, floor=22 * mm, frame=frame)
    flow.rows(rows, label_x=22 * mm, label_w=36 * mm, value_x=60 * mm, value_w=PAGE_W - 82 * mm)

    flow.y -= 3 * mm
    width = PAGE_W - 44 * mm
    heading = Paragraph(
        "交付文件 <font size=7 color='#555555'>Files delivered (name, size in bytes, SHA-256)</font>",
        paragraph_style("", 10),
    )
    flow.room(24 * mm)  # the heading never ends a page alone
    flow.paragraph(heading, x=22 * mm, width=width, gap=2 * mm)
    for index, file in enumerate(content.files, start=1):
        entry = Paragraph(
            f"{index}. {escape_markup(file.name)} <font color='#555555'>({file.size:,} bytes)</font><br/>"
            f"<font size=7.5>SHA-256 {file.sha256}</font>",
            paragraph_style("", 8.5, leading=11),
        )
        flow.paragraph(entry, x=22 * mm, width=width, gap=1.5 * mm)

    statement = Paragraph(
        "服务机构确认上列文件为本次交付的全部成果，并对其真实性负责。任何人可计算文件的 SHA-256 与本交付单核对。<br/>"
        "<font size=7 color='#444444'>The provider declares the files above to be the whole of this delivery and "
        "answers for their truth. Anyone can compute a file's SHA-256 and compare it with this note.</font>",
        paragraph_style("", 8.5, leading=11),
    )
    flow.paragraph(statement, x=22 * mm, width=width, gap=0, floor=_TEXT_FLOOR)  # the seal's corner stays free

    c.setFont(FONT, 9)
    c.drawCentredString(
        (NOTE_STAMP_BOX[0] + NOTE_STAMP_BOX[2]) / 2, NOTE_STAMP_BOX[3] + 3 * mm, "服务机构（盖章）Provider"
    )
    if content.signed_code:  # bottom left of the last page, beside the seal
        size = 30 * mm  # as on permits: version 15 at most, modules of 0.4 mm and more
        draw_qr_matrix(c, content.signed_code, x=22 * mm, y=NOTE_STAMP_BOX[1] + 3 * mm, size=size)
        note = Paragraph(
            "离线验签：用一窗通离线核验页 (/verify/scan/) 扫码，无需联网。<br/>"
            "Offline check: the OneWindow offline verifier (/verify/scan/) checks this code with no network.<br/>"
            "在线核验：用手机相机扫右上角二维码或打开页脚网址。/ Online check: scan the code at the top right with "
            "any phone camera, or open the address below.",
            paragraph_style("", 7, leading=9),
        )
        _, height = note.wrap(NOTE_STAMP_BOX[0] - 60 * mm, 30 * mm)
        note.drawOn(c, 55 * mm, NOTE_STAMP_BOX[1] + 3 * mm + size - height)
    c.setFont(FONT, 7.5)
    c.drawString(22 * mm, 19 * mm, f"{content.platform_name} — {content.verification_url}")
    last_page = c.getPageNumber() - 1
    c.showPage()
    c.save()
    return buf.getvalue(), last_page
