"""Server-side rendering of permits (reportlab) and of seal stamp images (Pillow).

Chinese text uses the committed subset of Noto Sans SC (fonts/, SIL OFL), embedded in every PDF,
so rendering needs no system font. The QR code is drawn as vector graphics by reportlab.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

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


def _para(text: str, size: float, leading: float | None = None, color=colors.black) -> ParagraphStyle:
    return ParagraphStyle(
        "p",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.45,
        wordWrap="CJK",
        alignment=TA_LEFT,
        textColor=color,
    )


def _escape(text: str) -> str:
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
        label = Paragraph(f"{zh}<br/><font size=8 color='#555555'>{en}</font>", _para("", 11))
        body = Paragraph(_escape(value), _para("", 11))
        _, lh = label.wrap(label_w, 100 * mm)
        _, bh = body.wrap(value_w, 100 * mm)
        h = max(lh, bh)
        label.drawOn(c, 28 * mm, y - lh)
        body.drawOn(c, value_x, y - bh)
        y -= h + 5 * mm
        c.setStrokeColor(colors.HexColor("#dddddd"))
        c.setLineWidth(0.4)
        c.line(28 * mm, y + 2.5 * mm, PAGE_W - 28 * mm, y + 2.5 * mm)

    # Issuer and date, beside the stamp
    c.setFillColor(colors.black)
    c.setFont(FONT, 12)
    issuer_y = STAMP_BOX[3] - 12 * mm
    c.drawRightString(
        STAMP_BOX[0] - 4 * mm, issuer_y, f"发证机关：{content.authority_name_zh or content.authority_name}"
    )
    c.setFont(FONT, 9)
    c.drawRightString(STAMP_BOX[0] - 4 * mm, issuer_y - 6 * mm, f"Issued by {content.authority_name}")
    c.setFont(FONT, 11)
    c.drawRightString(
        STAMP_BOX[0] - 4 * mm,
        issuer_y - 14 * mm,
        f"发证日期 {content.issued_on:%Y年%m月%d日} / {content.issued_on.isoformat()}",
    )

    # QR code to the public registry entry
    size = 32 * mm
    widget = QrCodeWidget(content.verification_url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, 26 * mm, 24 * mm)
    c.setFont(FONT, 7.5)
    c.drawString(26 * mm, 21 * mm, "扫码核验 Scan to verify")
    if content.verification_code:
        c.setFont(FONT, 9)
        c.drawString(62 * mm, 30 * mm, f"核验码 Verification code: {content.verification_code}")
        c.setFont(FONT, 7.5)
        c.drawString(62 * mm, 25 * mm, "凭证照编号和核验码可在平台核验 / Check with the number and code online")

    c.showPage()
    c.save()
    return buf.getvalue()


@dataclass(frozen=True)
class ProviderCertificateContent:
    number: str
    provider_name: str
    provider_name_zh: str
    credit_code: str
    service_items: tuple[str, ...]  # "环境影响评价 Environmental impact assessment", ...
    certified_on: dt.date
    profile_url: str
    issuer_name: str
    issuer_name_zh: str


def render_provider_certificate(content: ProviderCertificateContent) -> bytes:
    """An A4 certificate of certification, one page; the platform seals it into :data:`STAMP_BOX`."""
    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=0, pageCompression=1)
    c.setTitle(f"入驻认证证书 Certificate {content.number}")
    c.setAuthor(content.issuer_name)
    c.setStrokeColor(colors.HexColor("#1f4e8c"))
    c.setLineWidth(2)
    c.rect(15 * mm, 15 * mm, PAGE_W - 30 * mm, PAGE_H - 30 * mm)
    c.setFillColor(colors.HexColor("#1f4e8c"))
    c.setFont(FONT, 26)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 45 * mm, "中介服务机构入驻认证证书")
    c.setFont(FONT, 12)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 53 * mm, "CERTIFICATE OF CERTIFICATION — INTERMEDIARY SERVICE PROVIDER")
    c.setFillColor(colors.black)
    c.setFont(FONT, 10)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 62 * mm, f"证书编号 No. {content.number}")

    body = [
        f"<b>{_escape(content.provider_name_zh or content.provider_name)}</b>",
        _escape(content.provider_name),
        _escape(f"统一社会信用代码 Unified social credit code: {content.credit_code}"),
        "",
        _escape("经审核，该机构已获一窗通中介服务超市入驻认证，可提供以下服务事项："),
        _escape("Having been reviewed, this organisation is certified on OneWindow for these service items:"),
    ]
    body += [_escape(f"• {item}") for item in content.service_items]
    body += [
        "",
        _escape(f"认证日期 Certified on: {content.certified_on:%Y年%m月%d日} / {content.certified_on.isoformat()}"),
        _escape(f"认证状态以平台公示为准 Current status: {content.profile_url}"),
    ]
    frame_top = PAGE_H - 75 * mm
    for line in body:
        paragraph = Paragraph(line or "&nbsp;", _para("", 11.5))
        _, height = paragraph.wrap(PAGE_W - 50 * mm, 40 * mm)
        paragraph.drawOn(c, 25 * mm, frame_top - height)
        frame_top -= height + 1.5 * mm
    c.setFont(FONT, 11)
    c.drawRightString(STAMP_BOX[0] - 4 * mm, STAMP_BOX[1] + 20 * mm, content.issuer_name_zh or content.issuer_name)
    c.setFont(FONT, 9)
    c.drawRightString(STAMP_BOX[0] - 4 * mm, STAMP_BOX[1] + 14 * mm, content.issuer_name)
    c.showPage()
    c.save()
    return buf.getvalue()


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


# --- service contracts ------------------------------------------------------------------------

# The three signature fields of a contract (PDF points, on its last page): the platform's
# certification, then the buyer's and the provider's seals, side by side at the foot.
_SEAL_W, _SEAL_Y1, _SEAL_Y2 = 42 * mm, 24 * mm, 66 * mm
CONTRACT_FIELDS = (
    ("PlatformSeal", (22 * mm, _SEAL_Y1, 22 * mm + _SEAL_W, _SEAL_Y2)),
    ("BuyerSeal", ((PAGE_W - _SEAL_W) / 2, _SEAL_Y1, (PAGE_W + _SEAL_W) / 2, _SEAL_Y2)),
    ("ProviderSeal", (PAGE_W - 22 * mm - _SEAL_W, _SEAL_Y1, PAGE_W - 22 * mm, _SEAL_Y2)),
)
CONTRACT_FIELD_LABELS = (
    ("平台（鉴证）", "Platform (certifies)"),
    ("甲方（委托方）", "Buyer (client)"),
    ("乙方（服务机构）", "Provider"),
)
# Below this the text must not run: the labels and signature fields take the page's foot.
_CONTRACT_TEXT_FLOOR = _SEAL_Y2 + 14 * mm


# Characters of notes per printed row: a row never outgrows a page (rows do not split).
_NOTE_PIECE = 600


@dataclass(frozen=True)
class ContractContent:
    """Everything printed on a service contract, already in the words to print."""

    number: str
    order_number: str
    buyer_name: str
    buyer_name_zh: str
    buyer_credit_code: str
    provider_name: str
    provider_name_zh: str
    provider_credit_code: str
    service: str
    service_item: str
    project_name: str
    site_location: str
    price: str  # "48,000.00"
    service_days: int
    review_days: int
    notes: str
    issued_on: dt.date
    platform_name: str
    platform_name_zh: str
    verification_url: str


@dataclass(frozen=True)
class RenderedContract:
    pdf: bytes
    signature_page: int  # index of the page that carries the three signature fields


def _bilingual_name(zh: str, en: str) -> str:
    return f"{zh}\n{en}" if zh and zh != en else en


def _contract_terms(content: ContractContent) -> list[tuple[str, str]]:
    return [
        (
            "一、乙方按本合同约定的服务事项，为甲方上述项目提供中介服务，并对其出具成果的真实性、合法性负责。",
            "1. The provider performs the service above for the buyer's project and answers for the truth "
            "and lawfulness of what it delivers.",
        ),
        (
            f"二、服务费用为人民币 {content.price} 元（含税），由甲方通过平台支付；平台服务费从乙方结算款中扣除。",
            f"2. The fee is CNY {content.price} including tax, paid by the buyer through the platform; the "
            "platform's fee is deducted from the provider's payout.",
        ),
        (
            f"三、服务期限为 {content.service_days} 日，自平台确认收款之日起计算；延期须经甲方在平台上同意。",
            f"3. The service takes {content.service_days} days from the day the platform records the payment; "
            "the deadline moves only by an extension the buyer grants on the platform.",
        ),
        (
            f"四、乙方交付成果后，甲方应在 {content.review_days} 日内验收或提出修改意见，逾期视为验收通过。",
            f"4. After delivery the buyer accepts or asks for a revision within {content.review_days} days; "
            "silence after that counts as acceptance.",
        ),
        (
            "五、履约争议先行协商；协商不成的，可在平台提起争议，由平台依据双方提交的材料作出处理决定。",
            "5. Disputes are first negotiated; failing that, either party may open a dispute on the platform, "
            "which decides on the evidence both parties submit.",
        ),
        (
            "六、本合同经平台鉴证并经甲乙双方加盖电子印章后生效，与纸质合同具有同等效力。",
            "6. This contract takes effect once certified by the platform and sealed by both parties with "
            "their electronic seals; it has the force of a signed paper contract.",
        ),
    ]


def render_contract(content: ContractContent) -> RenderedContract:
    """An A4 bilingual service contract; its seals go into :data:`CONTRACT_FIELDS` on the last page."""
    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=0, pageCompression=1)
    c.setTitle(f"中介服务合同 Service contract {content.number}")
    c.setAuthor(content.platform_name)
    c.setSubject(content.service)
    width = PAGE_W - 44 * mm

    def frame():
        c.setStrokeColor(colors.HexColor("#1f4e8c"))
        c.setLineWidth(1.2)
        c.rect(15 * mm, 15 * mm, PAGE_W - 30 * mm, PAGE_H - 30 * mm)

    frame()
    c.setFillColor(colors.HexColor("#1f4e8c"))
    c.setFont(FONT, 22)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 36 * mm, "中介服务合同")
    c.setFont(FONT, 11)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 43 * mm, "INTERMEDIARY SERVICE CONTRACT")
    c.setFillColor(colors.black)
    c.setFont(FONT, 9)
    c.drawString(22 * mm, PAGE_H - 52 * mm, f"合同编号 Contract No. {content.number}")
    c.drawString(22 * mm, PAGE_H - 57 * mm, f"订单编号 Order No. {content.order_number}")
    c.drawString(
        22 * mm, PAGE_H - 62 * mm, f"签订日期 Date: {content.issued_on:%Y年%m月%d日} / {content.issued_on.isoformat()}"
    )

    # QR code to the public registry entry, top right
    size = 24 * mm
    widget = QrCodeWidget(content.verification_url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, PAGE_W - 22 * mm - size, PAGE_H - 66 * mm)
    c.setFont(FONT, 7)
    c.drawRightString(PAGE_W - 22 * mm, PAGE_H - 69 * mm, "扫码核验 Scan to verify")

    rows = [
        (
            "甲方（委托方）",
            "Buyer",
            f"{_bilingual_name(content.buyer_name_zh, content.buyer_name)}\n"
            f"统一社会信用代码 Credit code: {content.buyer_credit_code}",
        ),
        (
            "乙方（服务机构）",
            "Provider",
            f"{_bilingual_name(content.provider_name_zh, content.provider_name)}\n"
            f"统一社会信用代码 Credit code: {content.provider_credit_code}",
        ),
        ("服务事项", "Service item", content.service_item or "—"),
        ("服务内容", "Service", content.service),
        ("项目名称", "Project", content.project_name),
        ("项目地点", "Site", content.site_location or "—"),
        ("服务费用", "Price", f"人民币 CNY {content.price}"),
        ("服务期限", "Promised days", f"{content.service_days} 日 / days"),
    ]
    # The notes are part of what is agreed, so all of them are printed: one row per paragraph, in
    # pieces a page can hold, so ``room`` below carries long notes onto further pages.
    notes = [
        line[start : start + _NOTE_PIECE]
        for line in content.notes.splitlines()
        if line.strip()
        for start in range(0, len(line), _NOTE_PIECE)
    ]
    rows += [("补充约定" if i == 0 else "", "Notes" if i == 0 else "", piece) for i, piece in enumerate(notes)]
    y = PAGE_H - 72 * mm
    label_w, value_x = 42 * mm, 66 * mm
    value_w = PAGE_W - value_x - 22 * mm

    def room(height: float) -> None:
        nonlocal y
        if y - height < _CONTRACT_TEXT_FLOOR:
            c.showPage()
            frame()
            y = PAGE_H - 25 * mm

    for zh, en, value in rows:
        label = Paragraph(f"{zh} <font size=7 color='#555555'>{en}</font>", _para("", 9, leading=12))
        body = Paragraph(_escape(value), _para("", 9, leading=12))
        _, lh = label.wrap(label_w, 100 * mm)
        _, bh = body.wrap(value_w, 100 * mm)
        room(max(lh, bh))
        label.drawOn(c, 22 * mm, y - lh)
        body.drawOn(c, value_x, y - bh)
        y -= max(lh, bh) + 1.8 * mm

    y -= 2 * mm
    for zh, en in _contract_terms(content):
        paragraph = Paragraph(
            f"{_escape(zh)}<br/><font size=7 color='#444444'>{_escape(en)}</font>", _para("", 8.5, leading=11)
        )
        _, height = paragraph.wrap(width, 60 * mm)
        room(height)
        paragraph.drawOn(c, 22 * mm, y - height)
        y -= height + 1.5 * mm

    # Signature block: labels above the three fields the seals go into.
    for (zh, en), (_name, box) in zip(CONTRACT_FIELD_LABELS, CONTRACT_FIELDS, strict=True):
        cx = (box[0] + box[2]) / 2
        c.setFont(FONT, 9.5)
        c.drawCentredString(cx, box[3] + 8 * mm, zh)
        c.setFont(FONT, 7.5)
        c.drawCentredString(cx, box[3] + 4 * mm, en)
        c.setStrokeColor(colors.HexColor("#bbbbbb"))
        c.setDash(2, 2)
        c.rect(box[0], box[1], box[2] - box[0], box[3] - box[1])
        c.setDash()
    c.setFont(FONT, 7.5)
    c.drawString(22 * mm, 19 * mm, f"{content.platform_name_zh} {content.platform_name} — {content.verification_url}")
    signature_page = c.getPageNumber() - 1
    c.showPage()
    c.save()
    return RenderedContract(pdf=buf.getvalue(), signature_page=signature_page)
