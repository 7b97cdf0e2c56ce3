"""Guessing passwords is slowed down (django-axes), password-reset requests are rate-limited, and Oscar's stock
checkout steps place no order: each through the pages a person uses."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from oscar.apps.order.models import Order

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def account(db):
    user = UserFactory(email="guess@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    cache.clear()


def login(client, email, password, address="10.0.0.1"):
    return client.post(
        LOGIN,
        {"login-username": email, "login-password": password, "login_submit": "Log in"},
        REMOTE_ADDR=address,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_wrong_passwords_then_the_right_one_is_refused(client, account):
    for _n in range(20):
        login(client, account.email, "wrong")
    response = login(client, account.email, PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    page = response.content.decode()
    assert "Too many failed logins" in page and "15 minutes" in page and "Even the right password" in page


def test_the_account_stays_locked_from_another_address_and_the_address_for_another_account(client, account):
    for _n in range(5):
        login(client, account.email, "wrong", address="10.0.0.1")
    assert login(client, account.email, PASSWORD, address="10.9.9.9").status_code == 429  # by account
    other = UserFactory(email="other@example.com")
    other.set_password(PASSWORD)
    other.save()
    assert login(client, other.email, PASSWORD, address="10.0.0.1").status_code == 429  # by address
    assert not logged_in(client)


def test_fewer_failures_than_the_limit_then_the_right_password_logs_in(client, account):
    for _n in range(4):
        login(client, account.email, "wrong")
    login(client, account.email, PASSWORD)
    assert logged_in(client)
    assert not AccessAttempt.objects.filter(username=account.email).exists()  # reset on success


def test_the_cool_off_ends_the_lock_out(client, account):
    for _n in range(5):
        login(client, account.email, "wrong")
    assert login(client, account.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))  # time passes
    login(client, account.email, PASSWORD)
    assert logged_in(client)


def test_staff_lift_the_lock_out(client, account):
    for _n in range(5):
        login(client, account.email, "wrong")
    call_command("axes_reset_username", account.email)
    call_command("axes_reset_ip", "10.0.0.1")
    login(client, account.email, PASSWORD)
    assert logged_in(client)


def test_the_lock_out_page_speaks_chinese(client, account):
    for _n in range(5):
        login(client, account.email, "wrong")
    response = client.post(
        "/zh-hans" + LOGIN,
        {"login-username": account.email, "login-password": PASSWORD, "login_submit": "x"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 429 and "登录失败次数过多" in response.content.decode()


def test_password_reset_requests_are_rate_limited(client, account, settings):
    settings.PASSWORD_RESET_LIMIT = 3
    url = reverse("password-reset")
    for _n in range(3):
        assert client.post(url, {"email": account.email}).status_code == 302
    response = client.post(url, {"email": account.email})
    assert response.status_code == 200 and "Too many password-reset requests" in response.content.decode()
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(
    "step",
    [
        "shipping-address/",
        "shipping-method/",
        "payment-method/",
        "payment-details/",
        "preview/",
        "thank-you/",
        "index/",
    ],
)
def test_oscar_stock_checkout_steps_place_no_order(client, buyer, step):
    _enterprise, owner = buyer
    client.force_login(owner)
    for method in (client.get, client.post):
        response = method(f"/checkout/{step}", {"action": "place_order"})
        assert response.status_code == 302 and response.url == reverse("direct-checkout")
    assert not Order.objects.exists()
