from .models import Enterprise


def enterprises_for_user(*, user) -> "list[Enterprise]":
    """The enterprises a user acts for; empty for anonymous users."""
    if not user.is_authenticated:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(memberships__user=user)


def enterprise_for_user(*, user, pk: int) -> "Enterprise":
    """One of the user's enterprises; ``DoesNotExist`` for anyone else's."""
    return enterprises_for_user(user=user).get(pk=pk)


def memberships_for_user(*, user):
    """The user's memberships with their enterprise, every member and its invoice titles, in four queries."""
    from django.db.models import Prefetch

    from .models import EnterpriseMember

    if not user.is_authenticated:
        return EnterpriseMember.objects.none()
    return (
        EnterpriseMember.objects.filter(user=user)
        .select_related("enterprise")
        .prefetch_related(
            Prefetch(
                "enterprise__memberships", queryset=EnterpriseMember.objects.select_related("user").order_by("pk")
            ),
            "enterprise__invoice_titles",
        )
    )


def enterprise_membership(*, user, enterprise_pk: int, member_pk: int):
    """A member row of one of the user's enterprises; ``DoesNotExist`` for anyone else's."""
    from .models import EnterpriseMember

    return EnterpriseMember.objects.select_related("enterprise").get(
        pk=member_pk, enterprise_id=enterprise_pk, enterprise__in=enterprises_for_user(user=user)
    )


def invoice_title_for_user(*, user, pk: int):
    """One invoice title of the user's enterprises; ``DoesNotExist`` for anyone else's."""
    from .models import InvoiceTitle

    return InvoiceTitle.objects.select_related("enterprise").get(pk=pk, enterprise__in=enterprises_for_user(user=user))


def invoice_titles(*, enterprise_ids):
    """The invoice titles of the given enterprises (the acting person's), by name."""
    from .models import InvoiceTitle

    return InvoiceTitle.objects.filter(enterprise_id__in=enterprise_ids).select_related("enterprise")
