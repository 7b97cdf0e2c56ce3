import factory

from signing.models import AuthorityMember, IssuingAuthority

from .accounts import UserFactory


class IssuingAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssuingAuthority

    name = factory.Sequence(lambda n: f"Test Approval Bureau {n}")
    name_zh = factory.Sequence(lambda n: f"测试审批局{n}")
    code = factory.Sequence(lambda n: f"bureau-{n}")
    number_prefix = factory.Sequence(lambda n: f"TB{n}")
    region = "110000"


class AuthorityMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorityMember

    authority = factory.SubFactory(IssuingAuthorityFactory)
    user = factory.SubFactory(UserFactory)
