"""Certified providers' certificates: rendered here, sealed and kept by the signing app.

A certificate's standing in the public registry follows its provider's: valid while certified,
suspended or revoked with it.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from signing import services as signing_services
from signing.exceptions import PermitError
from signing.models import DocumentKind, IssuingAuthority, SealedDocument
from signing.rendering import (
    FONT,
    PAGE_H,
    PAGE_W,
    STAMP_BOX,
    draw_qr_matrix,
    escape_markup,
    paragraph_style,
    register_font,
)
from signing.verification import RegistryRecord
from signing.verification_sources import DocumentSource, document_record, document_source_register

from .models import Provider, ProviderCertificate, ProviderEvent
from .selectors import qualified_categories


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
    # The platform-signed code an offline verifier checks (signing.qr_payload); empty: none printed.
    signed_code: str = ""


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
        f"<b>{escape_markup(content.provider_name_zh or content.provider_name)}</b>",
        escape_markup(content.provider_name),
        escape_markup(f"统一社会信用代码 Unified social credit code: {content.credit_code}"),
        "",
        escape_markup("经审核，该机构已获一窗通中介服务超市入驻认证，可提供以下服务事项："),
        escape_markup("Having been reviewed, this organisation is certified on OneWindow for these service items:"),
    ]
    body += [escape_markup(f"• {item}") for item in content.service_items]
    body += [
        "",
        escape_markup(
            f"认证日期 Certified on: {content.certified_on:%Y年%m月%d日} / {content.certified_on.isoformat()}"
        ),
        escape_markup(f"认证状态以平台公示为准 Current status: {content.profile_url}"),
    ]
    frame_top = PAGE_H - 75 * mm
    for line in body:
        paragraph = Paragraph(line or "&nbsp;", paragraph_style("", 11.5))
        _, height = paragraph.wrap(PAGE_W - 50 * mm, 40 * mm)
        paragraph.drawOn(c, 25 * mm, frame_top - height)
        frame_top -= height + 1.5 * mm
    if content.signed_code:
        size = 30 * mm  # as on permits: version 15 at most, modules of 0.4 mm and more
        draw_qr_matrix(c, content.signed_code, x=25 * mm, y=25 * mm, size=size)
        note = Paragraph(
            "离线验签：用一窗通离线核验页 (/verify/scan/) 扫码，无需联网即可核对签名。<br/>"
            "Offline check: the OneWindow offline verifier (/verify/scan/) checks this code's signature with no "
            "network.<br/>"
            "在线核验：打开证书上印的网址查看平台登记记录。/ Online check: open the address printed on this "
            "certificate for the platform's record.",
            paragraph_style("", 7, leading=9),
        )
        _, height = note.wrap(STAMP_BOX[0] - 30 * mm - 58 * mm, 30 * mm)
        note.drawOn(c, 58 * mm, 25 * mm + size - height)
    c.setFont(FONT, 11)
    c.drawRightString(STAMP_BOX[0] - 4 * mm, STAMP_BOX[1] + 20 * mm, content.issuer_name_zh or content.issuer_name)
    c.setFont(FONT, 9)
    c.drawRightString(STAMP_BOX[0] - 4 * mm, STAMP_BOX[1] + 14 * mm, content.issuer_name)
    c.showPage()
    c.save()
    return buf.getvalue()


def provider_certificate_issue(*, provider: Provider) -> ProviderCertificate:
    """Render and seal a certified provider's certificate with the platform seal, and record it."""
    if provider.status != "certified":
        raise PermitError(_("Only a certified provider receives a certificate."))
    platform = IssuingAuthority.objects.filter(is_platform=True).first()
    year = timezone.localdate().year
    sequence = ProviderCertificate.objects.filter(provider=provider).count() + 1
    number = f"OW-C-{year}-{provider.pk:06d}-{sequence:02d}"
    certified_on = timezone.localdate(provider.certified_at or timezone.now())
    service_items = tuple(
        f"{category.name_zh} {category.name}".strip() for category in qualified_categories(provider=provider)
    )
    signed_code = (
        signing_services.document_signed_code(
            authority=platform,
            kind="provider_certificate",
            number=number,
            holder=provider.name_zh or provider.name,
            credit_code=provider.credit_code,
            matter="、".join(item.split(" ")[0] for item in service_items),
            valid_from=certified_on,
        )
        if platform
        else ""
    )
    content = ProviderCertificateContent(
        number=number,
        provider_name=provider.name,
        provider_name_zh=provider.name_zh,
        credit_code=provider.credit_code,
        service_items=service_items,
        certified_on=certified_on,
        signed_code=signed_code,
        profile_url=f"{settings.PUBLIC_BASE_URL}/providers/{provider.pk}/",
        issuer_name=platform.name if platform else "OneWindow",
        issuer_name_zh=platform.name_zh if platform else "",
    )
    document = signing_services.platform_seal_document(
        document_kind=DocumentKind.PROVIDER_CERTIFICATE,
        document_number=number,
        pdf=render_provider_certificate(content),
        reason=_("Certificate of certification %(number)s") % {"number": number},
        stamp_box=STAMP_BOX,
    )
    return ProviderCertificate.objects.create(provider=provider, document=document)


def provider_certificates_backfill() -> int:
    """Certificates for certified providers that have none (certified before the platform had a
    seal, or loaded as data). Idempotent; returns how many were issued."""
    missing = Provider.objects.filter(status="certified", certificates__isnull=True)
    issued = 0
    for provider in missing:
        provider_certificate_issue(provider=provider)
        issued += 1
    return issued


# --- the registry's view of certificates -------------------------------------------------------

# A provider's standing, as the registry status of its certificate.
CERTIFICATE_STATUS = {"certified": "valid", "suspended": "suspended", "revoked": "revoked"}


def certificate_record(document: SealedDocument) -> RegistryRecord:
    provider = document.provider_certificate.provider
    status = CERTIFICATE_STATUS.get(provider.status, "revoked")
    reason = provider.status_reason if status != "valid" else ""
    return document_record(document, status=status, holder=provider.display_name, reason=reason)


def certificates_not_in_force():
    """(number, status, since) of every certificate whose provider is suspended or revoked, since
    the provider's change to that status: for the offline trust list."""
    since = (
        ProviderEvent.objects.filter(provider=OuterRef("provider"), to_status=OuterRef("provider__status"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    rows = (
        ProviderCertificate.objects.filter(provider__status__in=("suspended", "revoked"))
        .annotate(since=Subquery(since))
        .values_list("document__number", "provider__status", "since", "provider__updated_at")
        .order_by("document__number")
    )
    return [(number, status, since or updated_at) for number, status, since, updated_at in rows]


def verification_source_register() -> None:
    """Let the signing app's registry vouch for certificates by their provider's standing."""
    document_source_register(
        DocumentSource(
            kind=DocumentKind.PROVIDER_CERTIFICATE,
            record=certificate_record,
            not_in_force=certificates_not_in_force,
        )
    )
