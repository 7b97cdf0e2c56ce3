"""Delivery notes: each delivery of an order, attested with the provider's organisation seal.

``services.service_order_deliver`` calls :func:`delivery_note_authorise` before its transaction (a
refused sealing stays in the seal-use log) and :func:`delivery_note_seal` inside it, so an order is
delivered with its sealed note or not at all. Both refuse with a ``ValidationError`` the provider
can act on. The registry and the QR landing page ask this module
about notes (:func:`verification_source_register`); apps above hiring add what else an order
belongs to, printed on the note (:func:`order_reference_register`: an approval case).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.storage import pdf_download_response
from signing import services as signing_services
from signing.engine import SealAppearance
from signing.exceptions import GrantRequired, SealNotUsable, SigningError
from signing.models import DocumentKind, IssuingAuthority, SealedDocument, new_verification_token
from signing.verification import RegistryRecord
from signing.verification_sources import DocumentSource, document_source_register

from . import delivery_note_pdf
from .models import DeliveryNote, ServiceOrder
from .pdf_layout import order_parties

logger = logging.getLogger(__name__)

_REFERENCES: list[Callable[[ServiceOrder], Sequence[str]]] = []


def order_reference_register(references: Callable[[ServiceOrder], Sequence[str]]) -> None:
    """``references(service_order)`` returns lines to print on the order's delivery notes (AppConfig.ready)."""
    if references not in _REFERENCES:
        _REFERENCES.append(references)


def order_references(service_order: ServiceOrder) -> tuple[str, ...]:
    return tuple(line for references in _REFERENCES for line in references(service_order))


def delivery_note_authorise(*, service_order: ServiceOrder, user) -> signing_services.SealAuthorisation:
    """The provider's seal, and ``user``'s grant to apply it to delivery notes; refused (the refusal
    logged) with a message the provider can act on."""
    provider = service_order.provider
    name = provider.localized("name")
    seal = signing_services.organisation_seal_for(provider=provider)
    if seal is None:
        raise ValidationError(
            _(
                "Delivering seals a delivery note with %(name)s's electronic seal, and it has none yet: "
                "an owner can create it on the order's contract section."
            )
            % {"name": name},
            code="no_seal",
        )
    try:
        return signing_services.seal_authorise(
            seal=seal, actor=user, document_kind=DocumentKind.DELIVERY_NOTE, document_number=service_order.order.number
        )
    except SealNotUsable as exc:
        raise ValidationError(str(exc), code="seal_not_usable") from exc
    except GrantRequired as exc:
        raise ValidationError(
            _(
                "Delivering seals a delivery note with %(name)s's electronic seal, and you hold no grant to apply "
                "it to delivery notes: ask an owner of %(name)s to deliver, or to grant you the seal."
            )
            % {"name": name},
            code="no_grant",
        ) from exc


def _signed_code(service_order: ServiceOrder, *, number: str, delivered_at) -> str:
    """The platform's signed statement of the note (who delivered what, when) for offline checks; none
    before the platform has its keys (``init_pki``)."""
    platform = IssuingAuthority.objects.filter(is_platform=True).first()
    if platform is None:
        return ""
    provider = service_order.provider
    return signing_services.document_signed_code(
        authority=platform,
        kind="delivery_note",
        number=number,
        holder=provider.name_zh or provider.name,
        credit_code=provider.credit_code,
        matter=service_order.title_zh or service_order.title,
        valid_from=timezone.localdate(delivered_at),
    )


def _content(service_order: ServiceOrder, *, number: str, sequence: int, files, token: str, delivered_at):
    return delivery_note_pdf.NoteContent(
        number=number,
        order_number=service_order.order.number,
        service=service_order.title,
        **order_parties(service_order),
        project_name=service_order.project_name,
        delivered_at=timezone.localtime(delivered_at),
        sequence=sequence,
        files=tuple(delivery_note_pdf.NoteFile(name=f.name, size=f.size or 0, sha256=f.sha256) for f in files),
        references=order_references(service_order),
        platform_name=settings.OSCAR_SHOP_NAME,
        verification_url=f"{settings.PUBLIC_BASE_URL}/v/{token}",
        signed_code=_signed_code(service_order, number=number, delivered_at=delivered_at),
    )


def delivery_note_seal(
    *, service_order: ServiceOrder, authorisation: signing_services.SealAuthorisation, files, delivered_at
) -> DeliveryNote:
    """Render, seal and keep the note of this delivery. Call inside the transaction that marks the
    order delivered, with the order locked: a failure anywhere (rendering, key store, TSA) rolls the
    delivery back with it."""
    sequence = service_order.delivery_notes.count() + 1
    number = f"JF-{service_order.order.number}-{sequence}"
    token = new_verification_token()
    pdf, last_page = delivery_note_pdf.render_note(
        _content(service_order, number=number, sequence=sequence, files=files, token=token, delivered_at=delivered_at)
    )
    seal = authorisation.seal
    try:
        with signing_services.sealing_session(seal=seal) as sealer:
            result = signing_services.seal_apply(
                authorisation=authorisation,
                document_number=number,
                pdf=pdf,
                sealer=sealer,
                appearance=SealAppearance(
                    box=delivery_note_pdf.NOTE_STAMP_BOX, page=last_page, stamp_png=bytes(seal.stamp_png)
                ),
                reason=_("Delivered by %(name)s") % {"name": service_order.provider.name},
                log_detail="delivery note",
            )
    except SigningError as exc:  # the key store or the TSA: the caller's transaction rolls back
        logger.exception("Delivery note %s could not be sealed", number)
        raise ValidationError(
            _("The delivery note could not be sealed, so nothing was delivered; please try again. (%(error)s)")
            % {"error": exc},
            code="sealing_failed",
        ) from exc
    document = signing_services.sealed_document_record(
        kind=DocumentKind.DELIVERY_NOTE, number=number, seal=seal, result=result
    )
    return DeliveryNote.objects.create(
        service_order=service_order,
        sequence=sequence,
        document=document,
        files=[{"deliverable": f.pk, "name": f.name, "size": f.size, "sha256": f.sha256} for f in files],
        token=token,
        sealed_by=authorisation.actor,
        sealed_at=result.sealed_at,
    )


# --- the registry's view of delivery notes --------------------------------------------------------


def delivery_note_record(note: DeliveryNote) -> RegistryRecord:
    """A note stands for what it lists: valid from its sealing, whether or not it was accepted (the
    status reason says which)."""
    order = note.service_order
    return RegistryRecord(
        number=note.document.number,
        kind=DocumentKind.DELIVERY_NOTE,
        status="valid",
        holder=order.enterprise.display_name,
        issuer=order.provider.display_name,
        valid_from=None,
        valid_until=None,
        sha256=note.document.sha256,
        token=note.token,
        status_reason=(
            _("Accepted by the buyer on %(date)s.") % {"date": timezone.localdate(note.accepted_at).isoformat()}
            if note.accepted_at
            else _("Not accepted by the buyer (yet).")
        ),
        files=tuple({"name": f["name"], "size": f["size"], "sha256": f["sha256"]} for f in note.files),
    )


def _notes():
    return DeliveryNote.objects.select_related(
        "document", "service_order__order", "service_order__enterprise", "service_order__provider"
    )


def _record_of_document(document: SealedDocument) -> RegistryRecord | None:
    note = _notes().filter(document=document).first()
    return delivery_note_record(note) if note is not None else None


def note_by_token(token: str) -> DeliveryNote | None:
    return _notes().filter(token=token).first() if token else None


def _record_by_token(token: str) -> RegistryRecord | None:
    note = note_by_token(token)
    return delivery_note_record(note) if note is not None else None


def delivery_note_download(note: DeliveryNote):
    """The note as sealed, as a download; the caller has checked who asks."""
    return pdf_download_response(bytes(note.document.pdf), filename=f"delivery-note-{note.number}.pdf")


def verification_source_register(*, landing: Callable) -> None:
    """Let the signing app's registry and QR landing page answer for delivery notes (AppConfig.ready)."""
    document_source_register(
        DocumentSource(
            kind=DocumentKind.DELIVERY_NOTE, record=_record_of_document, find_by_token=_record_by_token, landing=landing
        )
    )
