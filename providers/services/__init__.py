"""Every state change of providers, qualifications, teams and listings, by concern:
``organisation`` (registration, profile, certification, team), ``qualifications`` and
``listings``; ``_base`` holds what they share. Import from here: ``from providers import services``.

Each function is keyword-only, runs in one transaction, writes a ``ProviderEvent`` in that same
transaction and emails the provider after commit. A transition that is not allowed from the
current state raises ``TransitionNotAllowed`` (a ``ValidationError``) with a message for people.

Certification workflow::

    draft --submit--> pending_review --certify--> certified --suspend--> suspended
      ^                   |                         ^                      |
      +----send back------+                         +------reinstate-------+
    pending_review / certified / suspended --revoke--> revoked (final)
"""

from ._base import (
    CURRENCY,
    EXPIRY_WARNING_DAYS,
    PROFILE_FIELDS,
    SCAN_MAX_SIZE,
    NotPermitted,
    TransitionNotAllowed,
    require_member,
    require_staff,
)
from .bans import (
    provider_ban_appeal_decide,
    provider_ban_appeal_file,
    provider_ban_impose,
    provider_ban_lift,
    provider_bans_boundary_notify,
)
from .listings import ListingData, listing_create, listing_set_published, listing_update, publish_blockers
from .organisation import (
    member_add,
    member_remove,
    member_set_role,
    provider_certify,
    provider_register,
    provider_reinstate,
    provider_revoke,
    provider_send_back,
    provider_submit,
    provider_suspend,
    provider_update,
)
from .qualifications import (
    ExpiryResult,
    qualification_approve,
    qualification_expire_due,
    qualification_reject,
    qualification_upload,
)

__all__ = [
    "CURRENCY",
    "EXPIRY_WARNING_DAYS",
    "ExpiryResult",
    "ListingData",
    "NotPermitted",
    "PROFILE_FIELDS",
    "SCAN_MAX_SIZE",
    "TransitionNotAllowed",
    "listing_create",
    "listing_set_published",
    "listing_update",
    "member_add",
    "member_remove",
    "member_set_role",
    "provider_ban_appeal_decide",
    "provider_ban_appeal_file",
    "provider_ban_impose",
    "provider_ban_lift",
    "provider_bans_boundary_notify",
    "provider_certify",
    "provider_register",
    "provider_reinstate",
    "provider_revoke",
    "provider_send_back",
    "provider_submit",
    "provider_suspend",
    "provider_update",
    "publish_blockers",
    "qualification_approve",
    "qualification_expire_due",
    "qualification_reject",
    "qualification_upload",
    "require_member",
    "require_staff",
]
