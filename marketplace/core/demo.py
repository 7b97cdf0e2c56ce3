"""Demo accounts for each role. Later issues attach them to their organisations."""

from dataclasses import dataclass

from django.db import transaction

from marketplace.accounts.models import User
from marketplace.enterprises.models import Enterprise, EnterpriseMember

DEMO_PASSWORD = "onewindow-demo"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    note: str


DEMO_USERS = (
    # role, email, first name, last name, staff?
    ("Platform staff", "staff@onewindow.local", "Lin", "Zhao", True),
    ("Enterprise buyer", "buyer@demo.onewindow.local", "Mei", "Chen", False),
    ("Provider", "provider@demo.onewindow.local", "Wei", "Wang", False),
    ("Issuing authority officer", "officer@demo.onewindow.local", "Jun", "Li", False),
)

DEMO_ENTERPRISE = {
    "credit_code": "91110000600037341L",
    "name": "Jinghua New Materials Co., Ltd.",
    "name_zh": "京华新材料有限公司",
    "region": "110000",
    "contact_name": "Chen Mei",
    "contact_email": "buyer@demo.onewindow.local",
}


def _ensure_user(email: str, first_name: str, last_name: str, staff: bool) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first_name, "last_name": last_name, "is_staff": staff, "is_superuser": staff},
    )
    if created:
        # Only on creation: a demo user who changed their password keeps it.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def load() -> list[DemoLogin]:
    logins = []
    users = {}
    for role, email, first_name, last_name, staff in DEMO_USERS:
        users[email] = _ensure_user(email, first_name, last_name, staff)
        logins.append(DemoLogin(role=role, email=email, password=DEMO_PASSWORD, note=""))

    enterprise, _ = Enterprise.objects.get_or_create(
        credit_code=DEMO_ENTERPRISE["credit_code"], defaults=DEMO_ENTERPRISE
    )
    EnterpriseMember.objects.get_or_create(
        enterprise=enterprise,
        user=users["buyer@demo.onewindow.local"],
        defaults={"role": EnterpriseMember.Role.OWNER},
    )
    return logins
