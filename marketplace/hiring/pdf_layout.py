"""Layout the order documents share (the service contract, the delivery note): the QR code to the
registry entry at the top right, and a cursor that runs bilingual label/value rows down the page,
starting a new framed page when the next piece does not fit."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from signing.rendering import FONT, PAGE_H, PAGE_W, escape_markup, paragraph_style

QR_SIZE = 24 * mm


def order_parties(service_order) -> dict:
    """The two parties of an order as its documents print them (the content's keyword arguments)."""
    enterprise, provider = service_order.enterprise, service_order.provider
    return {
        "buyer_name": enterprise.name,
        "buyer_name_zh": enterprise.name_zh,
        "buyer_credit_code": enterprise.credit_code,
        "provider_name": provider.name,
        "provider_name_zh": provider.name_zh,
        "provider_credit_code": provider.credit_code,
    }


def framed_heading(c, *, colour: str, title_zh: str, title_en: str, lines: list[str]) -> Callable[[], None]:
    """Draw the page's frame and the document's heading (title, then ``lines`` such as its numbers);
    returns the frame, for the pages that follow."""

    def frame():
        c.setStrokeColor(colors.HexColor(colour))
        c.setLineWidth(1.2)
        c.rect(15 * mm, 15 * mm, PAGE_W - 30 * mm, PAGE_H - 30 * mm)

    frame()
    c.setFillColor(colors.HexColor(colour))
    c.setFont(FONT, 22)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 36 * mm, title_zh)
    c.setFont(FONT, 11)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 43 * mm, title_en)
    c.setFillColor(colors.black)
    c.setFont(FONT, 9)
    for index, line in enumerate(lines):
        c.drawString(22 * mm, PAGE_H - (52 + 5 * index) * mm, line)
    return frame


def draw_registry_qr(c, url: str) -> None:
    """The QR code to ``url`` (the document's registry entry), top right, with its caption."""
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x2 - x1), 0, 0, QR_SIZE / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, PAGE_W - 22 * mm - QR_SIZE, PAGE_H - 66 * mm)
    c.setFont(FONT, 7)
    c.drawRightString(PAGE_W - 22 * mm, PAGE_H - 69 * mm, "扫码核验 Scan to verify")


class Flow:
    """Where the next piece goes on the canvas ``c`` (``y``, PDF points from the bottom). ``frame``
    draws a new page's border; nothing runs below ``floor`` unless a lower one is given."""

    def __init__(self, c, *, top: float, floor: float, frame: Callable[[], None]):
        self.c, self.y, self.floor, self.frame = c, top, floor, frame

    def room(self, height: float, floor: float | None = None) -> None:
        if self.y - height < (self.floor if floor is None else floor):
            self.c.showPage()
            self.frame()
            self.y = PAGE_H - 25 * mm

    def rows(self, rows, *, label_x: float, label_w: float, value_x: float, value_w: float) -> None:
        """(Chinese label, English label, value) rows; a row never splits across pages."""
        for zh, en, value in rows:
            label = Paragraph(f"{zh} <font size=7 color='#555555'>{en}</font>", paragraph_style("", 9, leading=12))
            body = Paragraph(escape_markup(value), paragraph_style("", 9, leading=12))
            _, lh = label.wrap(label_w, 100 * mm)
            _, bh = body.wrap(value_w, 100 * mm)
            self.room(max(lh, bh))
            label.drawOn(self.c, label_x, self.y - lh)
            body.drawOn(self.c, value_x, self.y - bh)
            self.y -= max(lh, bh) + 1.8 * mm

    def paragraph(
        self, paragraph: Paragraph, *, x: float, width: float, gap: float, floor: float | None = None
    ) -> None:
        _, height = paragraph.wrap(width, 60 * mm)
        self.room(height, floor)
        paragraph.drawOn(self.c, x, self.y - height)
        self.y -= height + gap
