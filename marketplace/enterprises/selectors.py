from .models import Enterprise


def enterprises_for_user(*, user) -> "list[Enterprise]":
    """The enterprises a user acts for; empty for anonymous users."""
    if not user.is_authenticated:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(memberships__user=user)
