"""The one organisation concept: enterprises, providers and issuing authorities all have members.

Core stores nothing itself; the three membership tables (``enterprises.EnterpriseMember``,
``providers.ProviderMember``, ``signing.AuthorityMember``) extend ``Membership`` so every app asks
the same questions of them (whose organisation, is this person its owner) in the same words.
"""

from typing import ClassVar

from django.db import models


class Membership(models.Model):
    """A person's place in one organisation.

    Subclasses declare the foreign key to their organisation (named by ``organisation_field``),
    the ``user`` foreign key (each with its own reverse name, ``user.enterprise_memberships`` …)
    and the ``role`` field with their organisation's roles; ``owner_roles`` says which roles
    manage the organisation (its members, its seal).
    """

    kind: ClassVar[str]  # "enterprise" | "provider" | "authority"
    organisation_field: ClassVar[str]
    owner_roles: ClassVar[frozenset[str]] = frozenset({"owner"})

    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.user} @ {self.organisation}"

    @property
    def organisation(self):
        return getattr(self, self.organisation_field)

    @property
    def is_owner(self) -> bool:
        return self.role in self.owner_roles
