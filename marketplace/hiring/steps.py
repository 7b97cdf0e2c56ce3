"""What every step of the service lifecycle shares: who the acting party is, the checks each step makes,
the order row lock, and the event and notice each step leaves. ``services`` and ``extensions`` build on it."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from oscar.apps.order.models import Order

from marketplace.core import notify
from marketplace.core.conflicts import require_no_conflict

from .models import OrderEvent, ServiceOrder

BUYER, PROVIDER, STAFF, SYSTEM = "buyer", "provider", "staff", "system"


class NotPermitted(ValidationError):
    """The acting user is not a party allowed to take this step."""


class TransitionNotAllowed(ValidationError):
    """The order is not in a status that allows this step."""


# --- helpers -------------------------------------------------------------------------------------


def party_of(service_order: ServiceOrder, user) -> str | None:
    """``buyer`` / ``provider`` / ``staff`` / None: the acting user's side of this order."""
    if user is None or not user.is_authenticated:
        return None
    if service_order.enterprise.memberships.filter(user=user).exists():
        return BUYER
    if service_order.provider.memberships.filter(user=user).exists():
        return PROVIDER
    if user.is_staff:
        return STAFF
    return None


def _require(service_order, user, parties: tuple[str, ...]) -> str:
    party = party_of(service_order, user)
    if party not in parties:
        raise NotPermitted(_("You may not take this step on this order."), code="not_permitted")
    return party


def _require_fair(service_order, user, act: str) -> None:
    """A party acting on the other side must not sit on both (``core.conflicts``)."""
    require_no_conflict(
        user=user,
        act=act,
        enterprise=service_order.enterprise,
        provider=service_order.provider,
        subject=f"order {service_order.order.number}",
    )


def _require_status(service_order, allowed) -> None:
    if service_order.order.status not in allowed:
        raise TransitionNotAllowed(
            _("This cannot be done while the order is “%(status)s”."),
            code="transition_not_allowed",
            params={"status": service_order.get_status_display()},
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give a reason; the other party will see it."), code="reason_required")
    return reason


def _lock(service_order: ServiceOrder) -> ServiceOrder:
    locked = ServiceOrder.objects.select_for_update().get(pk=service_order.pk)
    locked.order = Order.objects.select_for_update().get(pk=locked.order_id)
    return locked


def _actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _move(service_order, to_status, *, actor=None, kind, reason="", **data) -> OrderEvent:
    from_status = service_order.order.status
    service_order.order.set_status(to_status)
    return OrderEvent.objects.create(
        service_order=service_order,
        kind=kind,
        actor=_actor(actor),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data,
    )


def _note(service_order, kind, *, actor=None, reason="", **data) -> OrderEvent:
    status = service_order.order.status
    return OrderEvent.objects.create(
        service_order=service_order,
        kind=kind,
        actor=_actor(actor),
        from_status=status,
        to_status=status,
        reason=reason,
        data=data,
    )


def _tell(service_order, *, to: str, subject, body, **params) -> None:
    recipients = (
        notify.organisation_recipients(service_order.enterprise)
        if to == BUYER
        else notify.organisation_recipients(service_order.provider)
    )
    notify.notify(
        recipients=recipients,
        subject=subject,
        body=body,
        url=service_order.get_absolute_url(),
        params={"number": service_order.order.number, "title": service_order.title, **params},
    )


def _other(party: str) -> str:
    return PROVIDER if party == BUYER else BUYER
