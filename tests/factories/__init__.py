"""factory_boy factories, one module per app; import them from here."""

from .accounts import UserFactory
from .enterprises import EnterpriseFactory, EnterpriseMemberFactory
from .listings import make_listing

__all__ = ["EnterpriseFactory", "EnterpriseMemberFactory", "UserFactory", "make_listing"]
