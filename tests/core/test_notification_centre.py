"""The notification centre: every event that emails someone also lands in their notifications
(unread count in the header, a list with links, mark read, mark all read); each person chooses per
kind how it is emailed (at once, in a daily digest, or not at all) and in which language."""

import pathlib
import re
import smtplib

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace.conversations.services import clarification_ask
from marketplace.core import notify
from marketplace.core.models import Notification, NotificationPreference, PersonalSettings
from marketplace.hiring import services as hiring
from tests.factories import (
    UserFactory,
    deliver,
    make_buyer,
    make_certified_provider,
    make_request,
    make_service_order,
    pay,
    pdf_upload,
    provider_owner,
)

pytestmark = pytest.mark.django_db

Kind, Channel = Notification.Kind, Notification.Channel


def tell(recipients, *, kind=Kind.ORDERS, number="OW-1", capture):
    with capture(execute=True):
        notify.notify(
            recipients=recipients,
            subject=_("Order %(number)s delivered"),
            body=_(
                "The provider marked order %(number)s delivered; review the work and accept it or ask for a revision."
            ),
            url=f"/orders/{number}/",
            params={"number": number},
            kind=kind,
        )


def prefer(user, kind, channel):
    NotificationPreference.objects.create(user=user, kind=kind, channel=channel)


def test_an_event_lands_in_the_centre_and_the_header_counts_it(client, django_capture_on_commit_callbacks):
    person, other = UserFactory(), UserFactory()
    client.force_login(person)
    assert 'data-unread="' not in client.get(reverse("notifications:list")).content.decode()
    tell([person.email, other.email], capture=django_capture_on_commit_callbacks)
    tell([person.email], number="OW-2", capture=django_capture_on_commit_callbacks)

    page = client.get(reverse("notifications:list")).content.decode()
    assert 'data-unread="2"' in page  # the header's badge, refreshed when they arrived
    assert "Order OW-2 delivered" in page and "Order OW-1 delivered" in page
    assert page.index("OW-2") < page.index("OW-1")  # newest first

    first = Notification.objects.get(user=person, url="/orders/OW-1/")
    opened = client.post(reverse("notifications:open", args=[first.pk]))
    assert opened.status_code == 302 and opened["Location"] == "/orders/OW-1/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert 'data-unread="1"' in client.get(reverse("notifications:list")).content.decode()
    # Somebody else's notification is not there to open.
    theirs = Notification.objects.get(user=other)
    assert client.post(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    client.post(reverse("notifications:read-all"))
    assert not Notification.objects.filter(user=person, read_at__isnull=True).exists()
    assert 'data-unread="' not in client.get(reverse("notifications:list")).content.decode()
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 1


def test_a_link_that_leaves_the_site_is_not_followed(client):
    person = UserFactory()
    note = Notification.objects.create(
        user=person,
        kind=Kind.ORDERS,
        subject={"en": "x"},
        body={"en": "y"},
        url="https://evil.example/",
        channel="email",
    )
    client.force_login(person)
    assert client.post(reverse("notifications:open", args=[note.pk]))["Location"] == reverse("notifications:list")


def test_emails_come_in_the_recipients_language_and_contact_addresses_get_both(django_capture_on_commit_callbacks):
    chinese, unset = UserFactory(), UserFactory()
    PersonalSettings.objects.create(user=chinese, language="zh-hans")
    tell([chinese.email, unset.email, "office@example.test"], capture=django_capture_on_commit_callbacks)
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    zh = by_recipient[(chinese.email,)]
    assert "OW-1" in zh.subject and "delivered" not in zh.subject and "----" not in zh.body
    both = by_recipient[tuple(sorted(["office@example.test", unset.email]))]
    assert "delivered" in both.subject and " / " in both.subject and "----" in both.body
    # The centre shows each in the language of the page it is read on.
    note = Notification.objects.get(user=chinese)
    assert note.text("subject", "en") == "Order OW-1 delivered" and note.text("subject", "zh-hans") != note.text(
        "subject", "en"
    )


def test_the_digest_gathers_what_arrived_and_is_sent_once(django_capture_on_commit_callbacks, settings):
    person = UserFactory()
    prefer(person, Kind.ORDERS, Channel.DIGEST)
    prefer(person, Kind.REQUESTS, Channel.PLATFORM)
    tell([person.email], number="OW-1", capture=django_capture_on_commit_callbacks)
    tell([person.email], number="OW-2", capture=django_capture_on_commit_callbacks)
    tell([person.email], number="OW-3", kind=Kind.REQUESTS, capture=django_capture_on_commit_callbacks)
    tell([person.email], number="OW-4", kind=Kind.MESSAGES, capture=django_capture_on_commit_callbacks)
    # Only the kind left at "immediately" was emailed at once.
    assert [m.subject for m in mail.outbox if "OW-4" in m.subject] and len(mail.outbox) == 1
    mail.outbox.clear()

    call_command("send_digests")
    (digest,) = mail.outbox
    assert digest.to == [person.email] and "2" in digest.subject
    assert "Order OW-1 delivered" in digest.body and "Order OW-2 delivered" in digest.body
    assert f"{settings.PUBLIC_BASE_URL}/orders/OW-1/" in digest.body
    assert "OW-3" not in digest.body  # "in OneWindow only": never emailed
    mail.outbox.clear()
    call_command("send_digests")
    assert mail.outbox == []  # sent once
    assert Notification.objects.filter(user=person).count() == 4  # all four in the centre


def test_links_lead_to_the_page_in_the_readers_language_whoever_caused_them(django_capture_on_commit_callbacks):
    """The event happened on a Chinese page (its link made there); each digest links to the page in
    its reader's language, and the centre keeps the link without a language."""
    english, chinese = UserFactory(), UserFactory()
    for person, language in ((english, "en"), (chinese, "zh-hans")):
        PersonalSettings.objects.create(user=person, language=language)
        prefer(person, Kind.ORDERS, Channel.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify(
            recipients=[english.email, chinese.email],
            subject=_("Order %(number)s delivered"),
            body=_("Order %(number)s delivered"),
            url="/zh-hans/notifications/settings/?from=mail#kinds",
            params={"number": "OW-9"},
        )
    assert set(Notification.objects.values_list("url", flat=True)) == {"/notifications/settings/?from=mail#kinds"}
    assert notify.digests_send() == 2
    digests = {tuple(m.to): m.body for m in mail.outbox}
    base = django_settings.PUBLIC_BASE_URL
    assert f"{base}/notifications/settings/?from=mail#kinds" in digests[(english.email,)]
    assert "/zh-hans/" not in digests[(english.email,)]
    assert f"{base}/zh-hans/notifications/settings/?from=mail#kinds" in digests[(chinese.email,)]


def test_a_digest_the_mail_server_refused_stays_due(django_capture_on_commit_callbacks, monkeypatch):
    person = UserFactory()
    prefer(person, Kind.ORDERS, Channel.DIGEST)
    tell([person.email], capture=django_capture_on_commit_callbacks)

    def down(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", down)
    assert notify.digests_send() == 0
    assert Notification.objects.get(user=person).emailed_at is None
    monkeypatch.undo()
    assert notify.digests_send() == 1 and len(mail.outbox) == 1


def test_a_beat_task_sends_the_digests_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["core-notification-digests"]
    assert entry["task"] == "core.notification_digests"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {0}


def test_settings_are_saved_per_kind_and_the_page_speaks_chinese(client):
    person = UserFactory()
    client.force_login(person)
    form = {f"kind_{kind}": Channel.EMAIL for kind in Kind.values}
    form.update(kind_messages=Channel.DIGEST, kind_ratings=Channel.PLATFORM, language="zh-hans")
    response = client.post(reverse("notifications:settings"), form)
    assert response.status_code == 302
    assert dict(NotificationPreference.objects.filter(user=person).values_list("kind", "channel")) == {
        **{kind: Channel.EMAIL for kind in Kind.values},
        "messages": Channel.DIGEST,
        "ratings": Channel.PLATFORM,
    }
    assert PersonalSettings.objects.get(user=person).language == "zh-hans"
    bad = client.post(reverse("notifications:settings"), {**form, "kind_orders": "carrier-pigeon"})
    assert bad.status_code == 200 and "carrier-pigeon" in bad.content.decode()  # the form says what is wrong
    assert NotificationPreference.objects.get(user=person, kind="orders").channel == Channel.EMAIL
    assert "通知设置" in client.get("/zh-hans" + reverse("notifications:settings")).content.decode()


def test_logging_in_sets_the_email_language_until_the_person_chooses(client):
    person = UserFactory()
    client.post(
        "/zh-hans/accounts/login/",
        {"login-username": person.email, "login-password": "correct horse battery", "login_submit": "1"},
    )
    assert PersonalSettings.objects.get(user=person).language == "zh-hans"
    client.logout()
    client.post(
        "/accounts/login/",
        {"login-username": person.email, "login-password": "correct horse battery", "login_submit": "1"},
    )
    assert PersonalSettings.objects.get(user=person).language == "zh-hans"  # the first one stays


def test_a_failure_to_record_a_notification_never_undoes_the_change(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    """The database refusing the notification rows (or anything else in delivering) is logged; the
    caller's change has committed and stays."""
    person = UserFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Notification.objects, "bulk_create", broken)
    tell([person.email], capture=django_capture_on_commit_callbacks)  # does not raise
    assert not Notification.objects.exists() and "disk full" in caplog.text


def test_every_email_a_real_event_sends_lands_in_the_recipients_notifications(
    catalogue, django_capture_on_commit_callbacks
):
    """A provider certified, an order paid, delivered and sent back, a question on a request for
    quotes: every email to a person with an account has its notification, of the right kind, in that
    person's centre."""
    eia = catalogue.get(code="eia")
    with django_capture_on_commit_callbacks(execute=True):
        provider = make_certified_provider(categories=[eia])
        enterprise, buyer = make_buyer()
        order = make_service_order(enterprise=enterprise, buyer=buyer, provider=provider, category=eia)
        pay(order)
        hiring.deliverable_upload(service_order=order, user=provider_owner(provider), file=pdf_upload("r.pdf"))
        deliver(order)
        hiring.service_order_request_revision(service_order=order, user=buyer, reason="Add the map.")
        rfq = make_request(enterprise=enterprise, user=buyer, category=eia)
        clarification_ask(request=rfq, user=provider_owner(provider), question="Does it cover the access road?")
    people = {user.email: user for user in (buyer, provider_owner(provider))}
    kinds = set()
    for email in mail.outbox:
        for address in set(email.to) & set(people):  # a contact address without an account has no centre
            matching = [
                note
                for note in Notification.objects.filter(user=people[address])
                if note.text("subject", "en") in email.subject
            ]
            assert matching, f"{email.subject!r} emailed to {address} is not in their notifications"
            kinds.add(matching[0].kind)
    assert kinds == {Kind.PROVIDER, Kind.ORDERS, Kind.REQUESTS}
    assert len(mail.outbox) >= 5


def test_nothing_emails_anyone_except_through_notify():
    """``notify`` is the one door to the mail server (so each email also lands in the centre): no
    module of the project sends mail itself."""
    root = pathlib.Path(django_settings.BASE_DIR)
    direct = re.compile(r"\b(send_mail|send_mass_mail|mail_admins|mail_managers|EmailMessage|EmailMultiAlternatives)\b")
    offenders = [
        str(path.relative_to(root))
        for folder in ("marketplace", "providers", "signing", "search", "translog")
        for path in (root / folder).rglob("*.py")
        if path.name != "notify.py" and "migrations" not in path.parts and direct.search(path.read_text())
    ]
    assert offenders == []
