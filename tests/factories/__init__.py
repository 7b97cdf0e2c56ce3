"""factory_boy factories, one module per app; import them from here."""

from .accounts import UserFactory
from .enterprises import EnterpriseFactory, EnterpriseMemberFactory
from .signing import AuthorityMemberFactory, IssuingAuthorityFactory

__all__ = [
    "AuthorityMemberFactory",
    "EnterpriseFactory",
    "EnterpriseMemberFactory",
    "IssuingAuthorityFactory",
    "UserFactory",
]
