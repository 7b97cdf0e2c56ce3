"""The demo: every app adds its own part, and ``load_demo`` runs the parts in the order of
``settings.DEMO_LOADERS`` (the layers' order, bottom first), so core imports none of them.

A part is a module with ``load_demo() -> str`` (run inside the one transaction; returns what it
made, for the summary line) and optionally ``load_demo_after_commit() -> str`` (run after the
commit, in the same order: work that needs committed rows, such as contracts issued after
commit, credit grades or the search index). Every part is idempotent: it creates what is missing.

Core's own part: a login for each role, all with one password.
"""

from dataclasses import dataclass

from django.db import transaction

from marketplace.accounts.models import User

from .validators import CREDIT_CODE_ALPHABET, credit_code_check_character

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


def demo_credit_code(n: int, region: str) -> str:
    """A well-formed unified social credit code for demo organisation ``n`` in ``region``."""
    body = "91" + region + "".join(CREDIT_CODE_ALPHABET[int(digit)] for digit in f"{7700 + n:09d}")
    return body + credit_code_check_character(body)


def ensure_user(email: str, first_name: str = "Demo", last_name: str = "User", staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first_name, "last_name": last_name, "is_staff": staff, "is_superuser": staff},
    )
    if created:
        # Only on creation: a demo user who changed their password keeps it.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(role=role, email=email, password=DEMO_PASSWORD, note="") for role, email, *_rest in DEMO_USERS]


@transaction.atomic
def load_demo() -> str:
    for _role, email, first_name, last_name, staff in DEMO_USERS:
        ensure_user(email, first_name, last_name, staff)
    return f"{len(DEMO_USERS)} demo logins"
