"""The verification report a verifier can download: the verdict, the details and the time of the
check, on one A4 page in the reader's language, sealed by the platform afterwards."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .rendering import FONT, escape_markup, paragraph_style, register_font
from .verification import VerificationReport

VERDICT_COLOURS = {
    "valid": colors.HexColor("#1e7b3a"),
    "tampered": colors.HexColor("#b8232f"),
    "untrusted": colors.HexColor("#b8232f"),
    "revoked": colors.HexColor("#b8232f"),
}

MUTED = colors.HexColor("#5b6776")


def _grouped(hex_digest: str) -> str:
    """A digest in groups of 16 so a table cell can wrap it."""
    return " ".join(hex_digest[i : i + 16] for i in range(0, len(hex_digest), 16))


def _row(label: str, value, note: str = "") -> list:
    """A label and its value; ``note`` (a machine code, a reason) goes on a smaller second line."""
    text = escape_markup(str(value))
    if note:
        text += f'<br/><font size="7.5" color="#5b6776">{escape_markup(note)}</font>'
    return [
        Paragraph(escape_markup(label), paragraph_style("", 9, color=MUTED)),
        Paragraph(text, paragraph_style("", 9)),
    ]


def _local_time(value: dt.datetime | None) -> str:
    """A time as the verification page shows it: local (settings.TIME_ZONE), to the second; with the
    UTC offset, because a sealed report outlives the page that explained the time zone."""
    if value is None:
        return "—"
    if timezone.is_naive(value):  # pyHanko's times are aware; a naive one can only be UTC (never crash)
        value = value.replace(tzinfo=dt.UTC)
    local = timezone.localtime(value)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"


def render_verification_report(*, report: VerificationReport, reference: str, language: str) -> bytes:
    """One A4 page in ``language``; the platform seals it afterwards."""
    register_font()
    with translation.override(language):
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=18 * mm,
            bottomMargin=20 * mm,
            title=_("Verification report"),
            author="OneWindow",
        )
        colour = VERDICT_COLOURS.get(report.verdict.value, colors.HexColor("#a35a00"))
        story = [
            Paragraph(escape_markup(_("Verification report")), paragraph_style("", 18)),
            Paragraph(escape_markup(_("Reference %(reference)s") % {"reference": reference}), paragraph_style("", 9)),
            Spacer(1, 6 * mm),
            Paragraph(escape_markup(str(report.label)), paragraph_style("", 16, color=colour)),
            Paragraph(escape_markup(str(report.message)), paragraph_style("", 10.5)),
            *([Paragraph(escape_markup(report.detail), paragraph_style("", 10))] if report.detail else []),
            Spacer(1, 5 * mm),
        ]
        facts = [
            _row(_("Verdict (code)"), report.label, f"({report.verdict.value} / {report.reason})"),
            _row(_("Checked at"), _local_time(report.checked_at)),
            _row(_("Document SHA-256"), report.document.sha256),
            _row(_("Pages"), report.document.pages if report.document.pages is not None else "—"),
        ]
        if report.permit is not None:
            permit = report.permit
            facts += [
                _row(_("Permit number") if permit.kind == "permit" else _("Number"), permit.number),
                _row(_("Holder"), permit.holder),
                _row(_("Issued by"), permit.issuer),
            ]
            if permit.valid_from or permit.valid_until:
                facts.append(_row(_("Valid"), f"{permit.valid_from or '—'} – {permit.valid_until or '—'}"))
            facts.append(_row(_("Registry status"), permit.status_label, permit.status_reason))
            for cited in permit.citations:  # the chain it relies on, each kept document checked
                check = f" — {cited['check_label']}" if cited.get("check") else ""
                facts.append(_row(_("Relies on"), cited["label"], f"SHA-256 {cited['sha256']}{check}"))
            for file in permit.files:  # what a delivery note lists
                facts.append(_row(_("Files delivered"), file["name"], f"SHA-256 {file['sha256']}"))
            if permit.log_proof:
                head = permit.log_proof["head"]
                facts.append(
                    _row(
                        _("Transparency log"),
                        _("Record %(index)s of the signed tree of %(size)s, root %(root)s")
                        % {
                            "index": permit.log_proof["leaf"]["index"],
                            "size": head["tree_size"],
                            "root": head["root_hash"],
                        },
                        _("Inclusion path: %(path)s")
                        % {"path": " ".join(permit.log_proof["inclusion"]["inclusion_path"])},
                    )
                )
        story.append(_table(facts))
        for sig in report.signatures:
            story += [
                Spacer(1, 5 * mm),
                Paragraph(
                    escape_markup(f"{_('Seal') if sig.kind == 'seal' else _('Document timestamp')} {sig.field_name}"),
                    paragraph_style("", 11),
                ),
            ]
            rows = [
                _row(_("Signer"), sig.signer),
                _row(_("Organisation"), sig.organisation or "—"),
                _row(_("Certificate chain"), " → ".join(sig.certificate_chain)),
                _row(_("Indication"), sig.indication + (f" / {sig.sub_indication}" if sig.sub_indication else "")),
                _row(_("PAdES level"), sig.pades_level or "—"),
            ]
            if sig.signing_time:
                rows.append(_row(_("Signing time (claimed)"), _local_time(sig.signing_time)))
            rows += [
                _row(_("Timestamp"), _local_time(sig.timestamp_time)),
                _row(_("Coverage"), sig.coverage or "—"),
                _row(_("Changes after it"), sig.modification_level or "—"),
            ]
            if sig.certification:
                rows.append(_row(_("Certification"), sig.certification))
            story.append(_table(rows))
        story += [
            Spacer(1, 8 * mm),
            Paragraph(
                escape_markup(
                    _(
                        "This report states what OneWindow's verifier found at the time above. It is sealed by the platform; check it like any sealed document."  # noqa: E501 - one translatable sentence
                    )
                ),
                paragraph_style("", 8.5, color=MUTED),
            ),
        ]
        doc.build(story)
        return buffer.getvalue()


def _table(rows: list) -> Table:
    table = Table(rows, colWidths=[42 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d8dee6")),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
