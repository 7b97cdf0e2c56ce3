import pytest
from django.core.management import call_command

from marketplace.accounts.models import User
from marketplace.catalogue.models import Category, ProductAttribute, ProductClass
from marketplace.core.demo import DEMO_PASSWORD, DEMO_USERS
from marketplace.enterprises.models import Enterprise, EnterpriseMember

pytestmark = pytest.mark.django_db

COUNTED = (User, Category, ProductClass, ProductAttribute, Enterprise, EnterpriseMember)


def counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_load_demo_creates_catalogue_and_a_login_per_role(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert Category.objects.count() >= 15
    assert ProductClass.objects.get(slug="intermediary-service").attributes.count() >= 5
    for role, email, *_ in DEMO_USERS:
        assert email in out and role in out
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
    assert User.objects.get(email="staff@onewindow.local").is_staff
    buyer = User.objects.get(email="buyer@demo.onewindow.local")
    assert EnterpriseMember.objects.get(user=buyer).role == EnterpriseMember.Role.OWNER


def test_load_demo_twice_changes_nothing(capsys):
    call_command("load_demo")
    before = counts()
    snapshot = list(Category.objects.order_by("pk").values())
    call_command("load_demo")
    assert counts() == before
    assert list(Category.objects.order_by("pk").values()) == snapshot
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_load_demo_keeps_a_password_the_demo_user_changed():
    call_command("load_demo", quiet_logins=True)
    user = User.objects.get(email="buyer@demo.onewindow.local")
    user.set_password("my own password 42")
    user.save()
    call_command("load_demo", quiet_logins=True)
    user.refresh_from_db()
    assert user.check_password("my own password 42")


def test_load_demo_restores_an_edited_service_guide():
    call_command("load_demo", quiet_logins=True)
    Category.objects.filter(code="eia").update(scope="wrong")
    call_command("load_demo", quiet_logins=True)
    assert Category.objects.get(code="eia").scope.startswith("Construction projects")
