import factory

from marketplace.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_character
from marketplace.enterprises.models import Enterprise, EnterpriseMember

from .accounts import UserFactory


def make_credit_code(n: int, region: str = "110000") -> str:
    """A well-formed unified social credit code, different for every ``n``."""
    body = "91" + region + f"{n:09d}"
    body = body[:8] + "".join(CREDIT_CODE_ALPHABET[int(d)] for d in body[8:])
    return body + credit_code_check_character(body)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"Enterprise {n} Co., Ltd.")
    name_zh = factory.Sequence(lambda n: f"第{n}企业有限公司")
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1000))
    region = "110000"


class EnterpriseMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseMember

    enterprise = factory.SubFactory(EnterpriseFactory)
    user = factory.SubFactory(UserFactory)
    role = EnterpriseMember.Role.OWNER
