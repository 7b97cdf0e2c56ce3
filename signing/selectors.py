"""Read queries, always scoped to the acting user."""

from django.db.models import QuerySet

from marketplace.enterprises.selectors import enterprises_for_user

from .models import IssuingAuthority, Permit


def authorities_for_user(*, user) -> QuerySet[IssuingAuthority]:
    if not user.is_authenticated:
        return IssuingAuthority.objects.none()
    return IssuingAuthority.objects.filter(memberships__user=user)


def permits_held_by_user(*, user) -> QuerySet[Permit]:
    """Permits of the enterprises ``user`` acts for."""
    return Permit.objects.filter(holder__in=enterprises_for_user(user=user)).select_related("authority", "holder")


def permits_issued_by_user_authorities(*, user) -> QuerySet[Permit]:
    """Permits issued by the authorities ``user`` is an officer of."""
    return Permit.objects.filter(authority__in=authorities_for_user(user=user)).select_related("authority", "holder")


def permit_public(*, token: str) -> Permit | None:
    """The registry entry behind a QR code; the token is the only key the public has."""
    return Permit.objects.select_related("authority", "holder").filter(token=token).first()
