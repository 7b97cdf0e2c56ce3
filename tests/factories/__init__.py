"""factory_boy factories, one module per app; import them from here."""

from .accounts import UserFactory
from .enterprises import EnterpriseFactory, EnterpriseMemberFactory, make_credit_code
from .hiring import (
    deliver,
    make_addressed_request,
    make_buyer,
    make_quote,
    make_request,
    make_service_order,
    pay,
    provider_owner,
    provider_seal,
)
from .listings import make_search_listing
from .providers import (
    add_qualification,
    listing_data,
    make_certified_provider,
    make_listing,
    make_provider,
    pdf_upload,
    staff_user,
)
from .signing import AuthorityMemberFactory, IssuingAuthorityFactory

__all__ = [
    "AuthorityMemberFactory",
    "EnterpriseFactory",
    "EnterpriseMemberFactory",
    "IssuingAuthorityFactory",
    "UserFactory",
    "add_qualification",
    "deliver",
    "listing_data",
    "make_buyer",
    "make_quote",
    "make_request",
    "make_addressed_request",
    "make_service_order",
    "pay",
    "provider_owner",
    "provider_seal",
    "make_certified_provider",
    "make_credit_code",
    "make_listing",
    "make_search_listing",
    "make_provider",
    "pdf_upload",
    "staff_user",
]
