"""Qualification certificates: upload, review, expiry warnings and expiry."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User
from marketplace.catalogue.models import Category
from marketplace.core.uploads import DOCUMENT_KINDS, validate_upload

from .. import emails, selectors
from ..models import Provider, ProviderEvent, Qualification, QualificationNotice
from ._base import (
    EXPIRY_WARNING_DAYS,
    SCAN_MAX_SIZE,
    S,
    TransitionNotAllowed,
    _event,
    _lock,
    _require_reason,
    _require_status,
    require_member,
    require_staff,
)

# --- Qualifications ------------------------------------------------------------------------------


@transaction.atomic
def qualification_upload(
    *,
    provider: Provider,
    user: User,
    category: Category,
    certificate_number: str,
    issuer: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    scan,
    grade: str = "",
) -> Qualification:
    """Add a qualification for review; the scan is checked by content and stored privately."""
    require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT, S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("given new qualifications"))
    errors = {}
    if not (certificate_number or "").strip():
        errors["certificate_number"] = _("This field is required.")
    if not (issuer or "").strip():
        errors["issuer"] = _("This field is required.")
    if valid_until < valid_from:
        errors["valid_until"] = _("The end of validity cannot be before its start.")
    elif valid_until < timezone.localdate():
        errors["valid_until"] = _("This certificate has already expired; upload a current one.")
    try:
        validate_upload(scan, kinds=DOCUMENT_KINDS, max_size=SCAN_MAX_SIZE)
    except ValidationError as error:
        errors["scan"] = error.messages
    if errors:
        raise ValidationError(errors)
    qualification = Qualification.objects.create(
        provider=provider,
        category=category,
        certificate_number=certificate_number.strip(),
        grade=(grade or "").strip(),
        issuer=issuer.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        scan=scan,
        uploaded_by=user,
    )
    _event(provider, ProviderEvent.Kind.QUALIFICATION_UPLOADED, actor=user, qualification=qualification)
    return qualification


def _lock_qualification(qualification: Qualification) -> Qualification:
    return Qualification.objects.select_for_update().select_related("provider", "category").get(pk=qualification.pk)


@transaction.atomic
def qualification_approve(*, qualification: Qualification, reviewer: User) -> Qualification:
    """pending → approved."""
    require_staff(reviewer)
    qualification = _lock_qualification(qualification)
    if qualification.status != Qualification.Status.PENDING:
        raise TransitionNotAllowed(_("Only a qualification pending review can be approved."), code="not_pending")
    if qualification.valid_until < timezone.localdate():
        raise ValidationError(_("This qualification has expired; it cannot be approved."), code="expired")
    return _review(qualification, Qualification.Status.APPROVED, ProviderEvent.Kind.QUALIFICATION_APPROVED, reviewer)


@transaction.atomic
def qualification_reject(*, qualification: Qualification, reviewer: User, reason: str) -> Qualification:
    """pending → rejected, with a reason the provider sees."""
    require_staff(reviewer)
    reason = _require_reason(reason)
    qualification = _lock_qualification(qualification)
    if qualification.status != Qualification.Status.PENDING:
        raise TransitionNotAllowed(_("Only a qualification pending review can be rejected."), code="not_pending")
    return _review(
        qualification, Qualification.Status.REJECTED, ProviderEvent.Kind.QUALIFICATION_REJECTED, reviewer, reason
    )


def _review(qualification, status, kind, reviewer, reason="") -> Qualification:
    from_status = qualification.status
    qualification.status = status
    qualification.review_reason = reason
    qualification.reviewed_by = reviewer
    qualification.reviewed_at = timezone.now()
    qualification.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at"])
    _event(
        qualification.provider,
        kind,
        actor=reviewer,
        from_status=from_status,
        to_status=status,
        reason=reason,
        qualification=qualification,
    )
    emails.notify_on_commit(qualification.provider, kind, reason=reason, qualification=qualification)
    return qualification


@dataclass(frozen=True)
class ExpiryResult:
    warned: int
    expired: int
    listings_off_sale: int


@transaction.atomic
def qualification_expire_due(*, today: datetime.date | None = None) -> ExpiryResult:
    """Warn 30 days ahead and on the last valid day; mark lapsed qualifications expired.

    Safe to run any number of times a day: each notice is recorded and never sent twice for the
    same expiry date, and only approved qualifications past their end change state.
    """
    today = today or timezone.localdate()
    warned = expired = off_sale = 0
    warn_on = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    approved = Qualification.objects.filter(status=Qualification.Status.APPROVED).select_related("provider", "category")

    for qualification in approved.filter(valid_until__gt=today, valid_until__lte=warn_on):
        if _record_notice(qualification, QualificationNotice.Kind.WARNING_30_DAYS):
            _event(qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRING, qualification=qualification)
            emails.notify_on_commit(
                qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRING, qualification=qualification
            )
            warned += 1

    for qualification in approved.filter(valid_until=today):
        # The last valid day: listings still sell today, and tomorrow they stop.
        if _record_notice(qualification, QualificationNotice.Kind.DUE_TODAY):
            _event(qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRING, qualification=qualification)
            emails.notify_on_commit(qualification.provider, "qualification_expires_today", qualification=qualification)
            warned += 1

    for qualification in approved.select_for_update(of=("self",)).filter(valid_until__lt=today):
        listings = selectors.purchasable_listings(today=qualification.valid_until).filter(
            stockrecords__partner_id=qualification.provider.partner_id, categories=qualification.category_id
        )
        count = listings.count()
        qualification.status = Qualification.Status.EXPIRED
        qualification.save(update_fields=["status"])
        _event(
            qualification.provider,
            ProviderEvent.Kind.QUALIFICATION_EXPIRED,
            from_status=Qualification.Status.APPROVED,
            to_status=Qualification.Status.EXPIRED,
            qualification=qualification,
            listings_off_sale=count,
        )
        if _record_notice(qualification, QualificationNotice.Kind.EXPIRED):
            emails.notify_on_commit(
                qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRED, qualification=qualification
            )
        expired += 1
        off_sale += count
    return ExpiryResult(warned=warned, expired=expired, listings_off_sale=off_sale)


def _record_notice(qualification, kind) -> bool:
    _notice, created = QualificationNotice.objects.get_or_create(
        qualification=qualification, kind=kind, valid_until=qualification.valid_until
    )
    return created
