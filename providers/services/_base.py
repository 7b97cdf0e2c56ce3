"""What every provider service shares: exceptions, constants, the event row and the checks."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import Provider, ProviderEvent, ProviderMember

S = Provider.Status
CURRENCY = "CNY"
SCAN_MAX_SIZE = 10 * 1024 * 1024
EXPIRY_WARNING_DAYS = 30

PROFILE_FIELDS = (
    "name",
    "name_zh",
    "legal_representative",
    "address",
    "region",
    "contact_name",
    "contact_phone",
    "contact_email",
    "description",
    "description_zh",
)


class TransitionNotAllowed(ValidationError):
    """A state change asked for from a state that does not allow it."""


class NotPermitted(ValidationError):
    """The acting user may not do this (for example a member trying an owner's action)."""


def _event(provider, kind, *, actor=None, from_status="", to_status="", reason="", qualification=None, **data):
    return ProviderEvent.objects.create(
        provider=provider,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        qualification=qualification,
        data=data,
    )


def _lock(provider: Provider) -> Provider:
    return Provider.objects.select_for_update().get(pk=provider.pk)


def _require_status(provider: Provider, allowed: tuple[str, ...], action: str) -> None:
    if provider.status not in allowed:
        raise TransitionNotAllowed(
            _("A provider that is %(status)s cannot be %(action)s."),
            code="transition_not_allowed",
            params={"status": provider.get_status_display().lower(), "action": action},
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give a reason; the provider will see it."), code="reason_required")
    return reason


def require_staff(user) -> None:
    if not (user and user.is_authenticated and user.is_staff):
        raise NotPermitted(_("Only platform staff may do this."), code="staff_only")


def require_member(provider: Provider, user, *, owner: bool = False) -> ProviderMember:
    membership = ProviderMember.objects.filter(provider=provider, user=user).first() if user.is_authenticated else None
    if membership is None:
        raise NotPermitted(_("You are not a member of this provider."), code="not_member")
    if owner and not membership.is_owner:
        raise NotPermitted(_("Only an owner of this provider may do this."), code="owner_only")
    return membership
