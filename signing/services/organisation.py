"""Organisation seals: an enterprise's or a provider's own seal, for its side of a contract.

An organisation here is anything with ``name``, ``name_zh`` and ``memberships`` (user, role): the
seal service names no app above it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from ..engine import NotPermitted, SigningError
from ..keystores import ENCRYPTED
from ..models import DocumentKind, Seal
from ..pki import Pki
from .sealing import current_grants, may_apply_seal
from .seals import _owner_label, _seal_from_chain, grant_create

logger = logging.getLogger(__name__)

# Members in these roles of an enterprise or provider may create its seal and receive a grant to
# seal contracts with it when it is made (an owner may grant other members later, see grant_create).
SEALING_ROLES = ("owner",)


def organisation_document_kinds(*, enterprise=None, provider=None) -> tuple[str, ...]:
    """What an organisation's seal is for: both sides seal contracts; a provider also seals the
    delivery notes of its work."""
    if provider is not None:
        return (DocumentKind.SERVICE_CONTRACT, DocumentKind.DELIVERY_NOTE)
    return (DocumentKind.SERVICE_CONTRACT,)


def _organisation(*, enterprise=None, provider=None):
    if (enterprise is None) == (provider is None):
        raise SigningError(_("Name exactly one enterprise or provider."))
    return {"enterprise": enterprise} if enterprise is not None else {"provider": provider}


def _usable_seals(*, enterprise=None, provider=None):
    """The organisation's usable seals, newest first."""
    owner = _organisation(enterprise=enterprise, provider=provider)
    now = timezone.now()
    return Seal.objects.filter(**owner, status=Seal.Status.ACTIVE, not_before__lte=now, not_after__gte=now).order_by(
        "-created_at", "-pk"
    )


def organisation_seal_for(*, enterprise=None, provider=None) -> Seal | None:
    """The organisation's newest usable seal, or None."""
    return _usable_seals(enterprise=enterprise, provider=provider).first()


def organisation_seal_with_grants(
    *, user, document_kinds, enterprise=None, provider=None
) -> tuple[Seal | None, frozenset[str]]:
    """:func:`organisation_seal_for`, and those of ``document_kinds`` that ``user`` holds a current
    grant for on it (as :func:`may_apply_seal` answers), in one query: for a page that only shows
    what the user may do. Sealing itself still asks ``seal_authorise``."""
    kinds = list(document_kinds)
    held = {
        f"holds_{index}": Exists(current_grants(seal=OuterRef("pk"), user=user, document_kind=kind))
        for index, kind in enumerate(kinds)
    }
    seal = _usable_seals(enterprise=enterprise, provider=provider).annotate(**held).first()
    if seal is None:
        return None, frozenset()
    return seal, frozenset(kind for index, kind in enumerate(kinds) if getattr(seal, f"holds_{index}"))


def may_manage_seal(*, actor, organisation) -> bool:
    """The platform itself (``actor=None``), staff, or an owner of ``organisation``."""
    if actor is None:  # the platform itself: init_pki, load_demo, a management command
        return True
    if actor.is_staff:
        return True
    return organisation.memberships.filter(user=actor, role__in=SEALING_ROLES).exists()


@transaction.atomic
def organisation_seal_create(*, actor, enterprise=None, provider=None, pki: Pki | None = None) -> Seal:
    """A contract seal for an enterprise or a provider, certified by the platform's seal CA (the
    embedded default; production imports one with :func:`seal_import_pkcs12`), its key encrypted
    at rest. The organisation's owners receive a grant to seal contracts with it (and, for a
    provider, delivery notes).

    Only an owner of the organisation or platform staff may do this (``actor=None``: the platform
    itself). An organisation that already has a usable seal gets that one back.
    """
    owner = _organisation(enterprise=enterprise, provider=provider)
    organisation = enterprise or provider
    if not may_manage_seal(actor=actor, organisation=organisation):
        raise NotPermitted(_("Only an owner of %(name)s may create its electronic seal.") % {"name": organisation.name})
    existing = organisation_seal_for(**owner)
    kinds = organisation_document_kinds(**owner)
    pki = pki or Pki.default()
    if existing is not None and (existing.key_store != ENCRYPTED or pki.keys.exists(existing.key_ref)):
        # An owner who joined after the seal was made (or before delivery notes were sealed) asks
        # here for the grants the others received.
        if actor is not None and organisation.memberships.filter(user=actor, role__in=SEALING_ROLES).exists():
            for kind in kinds:
                if not may_apply_seal(seal=existing, user=actor, document_kind=kind):
                    grant_create(seal=existing, user=actor, document_kind=kind, granted_by=actor)
        return existing
    label = f"{_owner_label(**owner)}-{timezone.now():%Y%m%d%H%M%S%f}"
    cert, key_ref = pki.issue_seal(
        label=label, common_name=f"{organisation.name} Contract Seal", organisation=organisation.name
    )
    seal = _seal_from_chain(
        **owner,
        name=f"{organisation.name_zh or organisation.name} 合同专用章",
        purpose="Service contracts and delivery notes" if provider is not None else "Service contracts",
        chain_pem=pki.chain_pem(cert),
        key_store=ENCRYPTED,
        key_ref=key_ref,
    )
    for membership in organisation.memberships.filter(role__in=SEALING_ROLES).select_related("user"):
        for kind in kinds:
            grant_create(seal=seal, user=membership.user, document_kind=kind, granted_by=actor)
    logger.info("Contract seal %s created for %s by %s", seal.pk, organisation.pk, getattr(actor, "pk", None))
    return seal
