"""Registering an account through Oscar's pages signs the new person in (django-axes, the first
authentication backend, needs the request; Oscar's own sign-in after registration did not pass it and
answered with a server error after the account and its welcome email were made); account emails land in
the notification centre like every other event."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from marketplace.core.models import Notification
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-pass-phrase-2026"


@pytest.mark.parametrize(
    ("url", "prefix", "welcome"),
    [
        ("/accounts/login/", "registration-", "Welcome to OneWindow"),
        ("/accounts/register/", "", "Welcome to OneWindow"),
        ("/zh-hans/accounts/register/", "", "欢迎使用一窗通"),  # signed in on a Chinese page: told in Chinese
    ],
)
def test_registering_signs_the_new_account_in(client, url, prefix, welcome, django_capture_on_commit_callbacks):
    data = {f"{prefix}email": "new.person@example.com", f"{prefix}password1": PASSWORD, f"{prefix}password2": PASSWORD}
    if prefix:
        data["registration_submit"] = "Register"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    user = get_user_model().objects.get(email="new.person@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    (welcome_email,) = [message for message in mail.outbox if "new.person@example.com" in message.to]
    assert welcome_email.subject == welcome
    assert Notification.objects.get(user=user).subject == {"en": "Welcome to OneWindow", "zh-hans": "欢迎使用一窗通"}


def test_a_registration_that_cannot_sign_in_keeps_the_account_and_says_so(client, settings):
    """An address locked out for failed sign-ins (django-axes) may still register; it signs in later."""
    settings.AXES_FAILURE_LIMIT = 1
    client.post(
        "/accounts/login/", {"login-username": "someone@example.com", "login-password": "wrong", "login_submit": "1"}
    )
    data = {"email": "late.comer@example.com", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post("/accounts/register/", data)
    assert response.status_code in (302, 429)
    assert get_user_model().objects.filter(email="late.comer@example.com").exists()
    assert "_auth_user_id" not in client.session


def test_password_and_email_changes_are_emailed_and_land_in_the_notification_centre(client):
    user = UserFactory(email="holder@example.com")
    user.set_password(PASSWORD)
    user.save()
    client.force_login(user)
    new_password = PASSWORD + "-changed"
    data = {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password}
    assert client.post("/accounts/change-password/", data).status_code == 302
    assert any("holder@example.com" in message.to for message in mail.outbox)  # Oscar's email, reset link and all
    changed = Notification.objects.get(user=user)
    assert changed.subject["en"] == "Your password was changed" and changed.subject["zh-hans"] == "您的密码已更改"
    assert "reset" not in changed.url and changed.emailed_at is not None  # recorded, never emailed twice

    mail.outbox.clear()
    data = {"email": "moved@example.com", "first_name": "", "last_name": ""}
    assert client.post("/accounts/profile/edit/", data).status_code == 302
    assert any("holder@example.com" in message.to for message in mail.outbox)  # to the former address
    moved = Notification.objects.filter(user=user).order_by("-pk").first()
    assert "moved@example.com" in moved.body["en"]
