"""The service contract as a PDF (reportlab): bilingual terms, a QR code to the registry entry,
and three empty signature fields on its last page for the platform's, the buyer's and the
provider's seals."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from signing.rendering import FONT, PAGE_H, PAGE_W, escape_markup, paragraph_style, register_font

from .pdf_layout import Flow, draw_registry_qr, framed_heading

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
    # (stage name, amount "14,400.00", due day after the start) for an order paid in stages; empty otherwise
    milestones: tuple[tuple[str, str, int], ...] = ()


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
        )
        if not content.milestones
        else (
            f"二、服务费用为人民币 {content.price} 元（含税），按上列分期由甲方通过平台逐期支付；每期成果经甲方验收后"
            "该期款项结算给乙方，平台服务费从乙方结算款中扣除；下一期在上一期结算后开始。",
            f"2. The fee is CNY {content.price} including tax, paid by the buyer through the platform stage by stage "
            "as listed above; each stage's money is paid out to the provider once the buyer accepts that stage's "
            "work, less the platform's fee; the next stage starts after the previous one is settled.",
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

    frame = framed_heading(
        c,
        colour="#1f4e8c",
        title_zh="中介服务合同",
        title_en="INTERMEDIARY SERVICE CONTRACT",
        lines=[
            f"合同编号 Contract No. {content.number}",
            f"订单编号 Order No. {content.order_number}",
            f"签订日期 Date: {content.issued_on:%Y年%m月%d日} / {content.issued_on.isoformat()}",
        ],
    )
    draw_registry_qr(c, content.verification_url)

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
    # Paid in stages: each stage is funded, delivered, accepted and paid out in turn (term 2).
    rows += [
        (
            "分期付款" if n == 1 else "",
            "Stages" if n == 1 else "",
            f"{n}. {name} — 人民币 CNY {amount} — 开始后第 {due_day} 日 / due on day {due_day}",
        )
        for n, (name, amount, due_day) in enumerate(content.milestones, start=1)
    ]
    # The notes are part of what is agreed, so all of them are printed: one row per paragraph, in
    # pieces a page can hold, so the flow carries long notes onto further pages.
    notes = [
        line[start : start + _NOTE_PIECE]
        for line in content.notes.splitlines()
        if line.strip()
        for start in range(0, len(line), _NOTE_PIECE)
    ]
    rows += [("补充约定" if i == 0 else "", "Notes" if i == 0 else "", piece) for i, piece in enumerate(notes)]
    flow = Flow(c, top=PAGE_H - 72 * mm, floor=_CONTRACT_TEXT_FLOOR, frame=frame)
    flow.rows(rows, label_x=22 * mm, label_w=42 * mm, value_x=66 * mm, value_w=PAGE_W - 88 * mm)

    flow.y -= 2 * mm
    for zh, en in _contract_terms(content):
        paragraph = Paragraph(
            f"{escape_markup(zh)}<br/><font size=7 color='#444444'>{escape_markup(en)}</font>",
            paragraph_style("", 8.5, leading=11),
        )
        flow.paragraph(paragraph, x=22 * mm, width=width, gap=1.5 * mm)

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
