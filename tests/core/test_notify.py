"""Notifications: bilingual, only after commit, never undoing the change they report."""

import json
import smtplib
from types import SimpleNamespace

import pytest
from django.core import mail
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as KombuOperationalError

from marketplace.core import notify, tasks
from marketplace.core.models import Notification
from tests.factories import UserFactory
from tests.factories.enterprises import EnterpriseFactory, EnterpriseMemberFactory

pytestmark = pytest.mark.django_db


def _notify(recipients):
    notify.notify(
        recipients=recipients,
        subject=_("Order %(number)s delivered"),
        body=_("Order %(number)s delivered"),
        url="/orders/1/",
        params={"number": "OW-1"},
    )


def test_an_organisation_is_reached_through_its_members_and_contact_address_once_each():
    enterprise = EnterpriseFactory(contact_email="office@example.test")
    member = EnterpriseMemberFactory(enterprise=enterprise)
    EnterpriseMemberFactory(enterprise=enterprise, user__email="office@example.test")
    assert notify.organisation_recipients(enterprise) == sorted({member.user.email, "office@example.test"})


def test_sent_after_commit_in_both_languages_with_the_link(django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(["a@example.test"])
        assert mail.outbox == []  # nothing leaves before the commit
    (message,) = mail.outbox
    assert message.to == ["a@example.test"]
    assert "OW-1" in message.subject and " / " in message.subject
    assert f"{settings.PUBLIC_BASE_URL}/orders/1/" in message.body
    assert "----" in message.body  # the English and the Chinese version


def test_nothing_is_sent_for_a_change_that_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _notify(["a@example.test"])
            raise RuntimeError("the change fails")
    assert mail.outbox == []


def test_muted_blocks_send_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), notify.muted():
        _notify(["a@example.test"])
        notify.send_rendered(template="providers/email/member_added.txt", context={}, recipients=["b@example.test"])
    assert mail.outbox == []


def test_a_mail_server_that_is_down_is_logged_not_raised(django_capture_on_commit_callbacks, monkeypatch, caplog):
    """The SMTP failure is simulated: no mail server runs here."""

    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "down")

    monkeypatch.setattr(notify, "send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(["a@example.test"])
    assert "Could not send notification" in caplog.text


def test_with_a_broker_the_delivery_is_queued_at_commit_as_plain_data(
    django_capture_on_commit_callbacks, settings, monkeypatch
):
    """No broker runs here: the task's stand-in keeps what ``delay`` would send, through JSON as the
    broker carries it; the real task then delivers from that, once."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    person = UserFactory()
    queued = []
    task = SimpleNamespace(delay=lambda *args: queued.append(json.loads(json.dumps(args))))
    monkeypatch.setattr(tasks, "notification_deliver", task)
    with django_capture_on_commit_callbacks(execute=True):
        _notify([person.email, "office@example.test"])
        assert queued == []  # nothing is queued before the commit
    assert len(queued) == 1 and mail.outbox == [] and not Notification.objects.exists()

    monkeypatch.undo()
    assert tasks.notification_deliver(*queued[0]) == 1  # one email: both read both languages
    note = Notification.objects.get(user=person)
    assert note.text("subject", "en") == "Order OW-1 delivered" and note.url == "/orders/1/"
    (message,) = mail.outbox
    assert sorted(message.to) == sorted([person.email, "office@example.test"]) and "OW-1" in message.subject


def test_a_broker_that_cannot_take_the_task_gets_the_notification_delivered_here(
    django_capture_on_commit_callbacks, settings, monkeypatch, caplog
):
    """No broker runs here: the task's stand-in fails to publish as kombu does when the broker is down.
    The notification is then recorded and emailed in this process, not lost."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    person = UserFactory()

    def broker_down(*args):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks, "notification_deliver", SimpleNamespace(delay=broker_down))
    with django_capture_on_commit_callbacks(execute=True):
        _notify([person.email])
    assert Notification.objects.get(user=person).text("subject", "en") == "Order OW-1 delivered"
    assert [message.to for message in mail.outbox] == [[person.email]]
    assert "Could not queue a notification" in caplog.text


def test_a_delivery_that_fails_partway_is_not_run_again(django_capture_on_commit_callbacks, monkeypatch, caplog):
    """Tasks eager, no request (a command, a task): the delivery runs at commit. When it fails after
    recording the notification (here the unread badge's cache), it is logged, not started over: one
    notification, not two."""
    person = UserFactory()

    def cache_down(user):
        raise ConnectionError("Error 111 connecting to the cache")

    monkeypatch.setattr(notify, "_unread_count_up", cache_down)
    with django_capture_on_commit_callbacks(execute=True):
        _notify([person.email])
    assert Notification.objects.filter(user=person).count() == 1
    assert "Could not queue a notification" not in caplog.text
