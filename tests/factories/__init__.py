"""factory_boy factories, one module per app; import them from here."""

from .accounts import UserFactory
from .enterprises import EnterpriseFactory, EnterpriseMemberFactory

__all__ = ["EnterpriseFactory", "EnterpriseMemberFactory", "UserFactory"]
