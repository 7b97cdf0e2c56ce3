"""A provider organisation: registration, profile, the certification workflow and its team."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User
from marketplace.core.conflicts import Act, records_conflicts, require_impartial
from marketplace.core.regions import validate_region_code
from marketplace.core.uploads import IMAGE_KINDS, validate_upload
from marketplace.core.validators import normalize_credit_code, validate_credit_code
from marketplace.partner.models import Partner
from signing import services as signing_services

from .. import emails
from ..models import LOGO_MAX_SIZE, Provider, ProviderEvent, ProviderMember, Qualification
from ._base import (
    PROFILE_FIELDS,
    NotPermitted,
    S,
    _event,
    _lock,
    _require_reason,
    _require_status,
    require_member,
    require_staff,
)

# --- Registration and profile --------------------------------------------------------------------


def _clean_profile(values: dict) -> dict:
    cleaned = {field: (values.get(field) or "").strip() for field in PROFILE_FIELDS}
    errors = {}
    for required in ("name", "name_zh", "legal_representative", "address", "region", "contact_name", "contact_phone"):
        if not cleaned[required]:
            errors[required] = _("This field is required.")
    if cleaned["region"]:
        try:
            validate_region_code(cleaned["region"])
        except ValidationError as error:
            errors["region"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def provider_register(*, user: User, credit_code: str, logo=None, **profile) -> Provider:
    """Create a draft provider with ``user`` as its owner, and its Oscar partner."""
    if not user.is_authenticated:
        raise NotPermitted(_("Please log in to register an organisation."), code="login_required")
    if ProviderMember.objects.filter(user=user).exists():
        raise ValidationError(
            _("You already belong to a provider organisation; one account acts for one organisation."),
            code="already_member",
        )
    code = normalize_credit_code(credit_code)
    validate_credit_code(code)
    if Provider.objects.filter(credit_code=code).exists():
        raise ValidationError(
            {"credit_code": _("An organisation with this unified social credit code is already registered.")},
            code="credit_code_taken",
        )
    cleaned = _clean_profile(profile)
    if not cleaned["contact_email"]:
        cleaned["contact_email"] = user.email
    partner = Partner.objects.create(name=cleaned["name"][:128], code=f"p-{code.lower()}")
    partner.users.add(user)
    provider = Provider(partner=partner, credit_code=code, **cleaned)
    if logo:
        validate_upload(logo, kinds=IMAGE_KINDS, max_size=LOGO_MAX_SIZE)
        provider.logo = logo
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        # Two registrations of the same code racing each other: the second loses cleanly.
        raise ValidationError(
            {"credit_code": _("An organisation with this unified social credit code is already registered.")}
        ) from None
    ProviderMember.objects.create(provider=provider, user=user, role=ProviderMember.Role.OWNER)
    _event(provider, ProviderEvent.Kind.REGISTERED, actor=user, to_status=provider.status)
    emails.notify_on_commit(provider, "registered")
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, user: User, logo=None, **profile) -> Provider:
    """Edit the organisation's profile; the credit code is its identity and cannot change."""
    require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT, S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("edited"))
    cleaned = _clean_profile({**{f: getattr(provider, f) for f in PROFILE_FIELDS}, **profile})
    if not cleaned["contact_email"]:
        raise ValidationError({"contact_email": _("This field is required.")})
    changed = [field for field, value in cleaned.items() if getattr(provider, field) != value]
    for field in changed:
        setattr(provider, field, cleaned[field])
    if logo:
        validate_upload(logo, kinds=IMAGE_KINDS, max_size=LOGO_MAX_SIZE)
        provider.logo = logo
        changed.append("logo")
    provider.save()
    if "name" in changed:
        Partner.objects.filter(pk=provider.partner_id).update(name=provider.name[:128])
    if changed:
        _event(provider, ProviderEvent.Kind.UPDATED, actor=user, fields=changed)
    return provider


# --- Certification workflow ----------------------------------------------------------------------


@transaction.atomic
def provider_submit(*, provider: Provider, user: User) -> Provider:
    """draft → pending_review, once at least one qualification awaits review or is approved."""
    require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT,), _("submitted for review"))
    usable = provider.qualifications.filter(status__in=[Qualification.Status.PENDING, Qualification.Status.APPROVED])
    if not usable.exists():
        raise ValidationError(
            _("Upload at least one qualification certificate before submitting for review."),
            code="no_qualification",
        )
    return _transition(provider, S.PENDING_REVIEW, ProviderEvent.Kind.SUBMITTED, actor=user, submitted=True)


@records_conflicts
@transaction.atomic
def provider_certify(*, provider: Provider, reviewer: User) -> Provider:
    """pending_review → certified; needs at least one approved, unexpired qualification."""
    require_staff(reviewer)
    provider = _lock(provider)
    require_impartial(user=reviewer, act=Act.DECIDE_CERTIFICATION, provider=provider, subject=str(provider))
    _require_status(provider, (S.PENDING_REVIEW,), _("certified"))
    if not Qualification.objects.in_force().filter(provider=provider).exists():
        raise ValidationError(
            _("Approve at least one unexpired qualification before certifying this provider."),
            code="no_approved_qualification",
        )
    provider = _transition(provider, S.CERTIFIED, ProviderEvent.Kind.CERTIFIED, actor=reviewer, certified=True)
    # The platform seals a certificate of certification once the certification is committed.
    from .. import tasks  # tasks imports this package: resolved at call time

    transaction.on_commit(lambda: tasks.provider_certificate_issue.delay(provider.pk))
    return provider


@records_conflicts
@transaction.atomic
def provider_send_back(*, provider: Provider, reviewer: User, reason: str) -> Provider:
    """pending_review → draft, with what the provider must change."""
    require_staff(reviewer)
    require_impartial(user=reviewer, act=Act.DECIDE_CERTIFICATION, provider=provider, subject=str(provider))
    reason = _require_reason(reason)
    provider = _lock(provider)
    _require_status(provider, (S.PENDING_REVIEW,), _("sent back"))
    return _transition(provider, S.DRAFT, ProviderEvent.Kind.SENT_BACK, actor=reviewer, reason=reason)


@transaction.atomic
def provider_suspend(*, provider: Provider, reviewer: User, reason: str) -> Provider:
    """certified → suspended: its listings leave the market until reinstated."""
    require_staff(reviewer)
    reason = _require_reason(reason)
    provider = _lock(provider)
    _require_status(provider, (S.CERTIFIED,), _("suspended"))
    return _transition(provider, S.SUSPENDED, ProviderEvent.Kind.SUSPENDED, actor=reviewer, reason=reason)


@transaction.atomic
def provider_reinstate(*, provider: Provider, reviewer: User) -> Provider:
    """suspended → certified."""
    require_staff(reviewer)
    provider = _lock(provider)
    _require_status(provider, (S.SUSPENDED,), _("reinstated"))
    return _transition(provider, S.CERTIFIED, ProviderEvent.Kind.REINSTATED, actor=reviewer)


@transaction.atomic
def provider_revoke(*, provider: Provider, reviewer: User, reason: str) -> Provider:
    """pending_review / certified / suspended → revoked; final."""
    require_staff(reviewer)
    reason = _require_reason(reason)
    provider = _lock(provider)
    _require_status(provider, (S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("revoked"))
    return _transition(provider, S.REVOKED, ProviderEvent.Kind.REVOKED, actor=reviewer, reason=reason)


def _transition(provider, to_status, kind, *, actor, reason="", submitted=False, certified=False) -> Provider:
    from_status = provider.status
    provider.status = to_status
    provider.status_reason = reason
    now = timezone.now()
    if submitted:
        provider.submitted_at = now
    if certified and provider.certified_at is None:
        provider.certified_at = now
    provider.save(update_fields=["status", "status_reason", "submitted_at", "certified_at", "updated_at"])
    _event(provider, kind, actor=actor, from_status=from_status, to_status=to_status, reason=reason)
    if {from_status, to_status} & {S.SUSPENDED, S.REVOKED}:
        signing_services.trust_list_invalidate()  # the offline trust list names its certificate
    emails.notify_on_commit(provider, kind, reason=reason)
    return provider


# --- Team ----------------------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *, provider: Provider, actor: User, email: str, role: str = ProviderMember.Role.MEMBER
) -> ProviderMember:
    """An owner adds a person who already has an account; they are told by email."""
    require_member(provider, actor, owner=True)
    if role not in ProviderMember.Role.values:
        raise ValidationError({"role": _("Choose owner or member.")})
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise ValidationError(
            {"email": _("No account uses this email address; ask them to sign up first, then add them.")},
            code="no_such_user",
        )
    existing = ProviderMember.objects.filter(user=user).select_related("provider").first()
    if existing is not None:
        message = (
            _("This person is already in your team.")
            if existing.provider_id == provider.pk
            else _("This person already acts for another provider.")
        )
        raise ValidationError({"email": message}, code="already_member")
    membership = ProviderMember.objects.create(provider=provider, user=user, role=role)
    provider.partner.users.add(user)
    _event(provider, ProviderEvent.Kind.MEMBER_ADDED, actor=actor, member=user.email, role=role)
    emails.notify_member_added_on_commit(provider, user)
    return membership


@transaction.atomic
def member_remove(*, provider: Provider, actor: User, membership: ProviderMember) -> None:
    """An owner removes a member (or themselves); the last owner cannot leave."""
    require_member(provider, actor, owner=True)
    if membership.provider_id != provider.pk:
        raise NotPermitted(_("This person is not in your team."), code="not_in_team")
    owners = ProviderMember.objects.select_for_update().filter(provider=provider, role=ProviderMember.Role.OWNER)
    if membership.is_owner and owners.count() <= 1:
        raise ValidationError(
            _("A provider needs at least one owner; make someone else an owner first."), code="last_owner"
        )
    user = membership.user
    membership.delete()
    provider.partner.users.remove(user)
    _event(provider, ProviderEvent.Kind.MEMBER_REMOVED, actor=actor, member=user.email)


@transaction.atomic
def member_set_role(*, provider: Provider, actor: User, membership: ProviderMember, role: str) -> ProviderMember:
    """An owner makes a member an owner, or an owner a member; the last owner stays an owner."""
    require_member(provider, actor, owner=True)
    if membership.provider_id != provider.pk:
        raise NotPermitted(_("This person is not in your team."), code="not_in_team")
    if role not in ProviderMember.Role.values:
        raise ValidationError({"role": _("Choose owner or member.")})
    owners = ProviderMember.objects.select_for_update().filter(provider=provider, role=ProviderMember.Role.OWNER)
    if membership.is_owner and role != ProviderMember.Role.OWNER and owners.count() <= 1:
        raise ValidationError(
            _("A provider needs at least one owner; make someone else an owner first."), code="last_owner"
        )
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        _event(provider, ProviderEvent.Kind.MEMBER_ROLE_CHANGED, actor=actor, member=membership.user.email, role=role)
    return membership
