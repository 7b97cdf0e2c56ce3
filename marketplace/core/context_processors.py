from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.functional import SimpleLazyObject

from marketplace.accounts.models import User

# Role -> the reverse relation from User to that organisation's membership table. Looked up by
# name so the site frame does not import every app that has members.
ROLE_MEMBERSHIPS = {
    "buyer": "enterprise_memberships",
    "provider": "provider_memberships",
    "officer": "authority_memberships",
}


def _roles(user) -> dict[str, bool]:
    """Which organisations the user acts for, in one query (the header needs it on every page)."""
    if not user.is_authenticated:
        return dict.fromkeys(ROLE_MEMBERSHIPS, False)
    annotations = {
        role: Exists(User._meta.get_field(relation).related_model.objects.filter(user=OuterRef("pk")))
        for role, relation in ROLE_MEMBERSHIPS.items()
    }
    return User.objects.filter(pk=user.pk).annotate(**annotations).values(*ROLE_MEMBERSHIPS).get()


def site(request):
    """What every page's frame needs: the public base URL and the user's roles (lazily)."""
    user = getattr(request, "user", None)
    return {
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "roles": SimpleLazyObject(lambda: _roles(user)) if user is not None else {},
    }
