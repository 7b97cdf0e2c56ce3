"""An order's conversation: the buyer's and the provider's teams write, with files checked like
deliverables; staff read it only while a dispute is open (it is part of the dispute's evidence);
messages are append-only in the database (an edit keeps the original); read receipts; the other
side is notified; the thread shows the order's events inline."""

import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.conversations import selectors, services
from marketplace.conversations.models import Message
from marketplace.core import after_response
from marketplace.core.models import Notification, PersonalSettings
from marketplace.hiring import services as hiring
from providers.models import ProviderMember
from tests.factories import UserFactory, deliver, make_service_order, pay, pdf_upload, provider_owner, staff_user

pytestmark = pytest.mark.django_db

# A query whose own FROM (not a subquery's) is a membership table.
MEMBERSHIP_LOOKUP = re.compile(r'SELECT [^(]*? FROM "(enterprises_enterprisemember|providers_providermember)"')


@pytest.fixture
def order(buyer, providers, category):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], category=category)
    pay(so)
    return so


def thread_of(client, order):
    return client.get(order.get_absolute_url()).content.decode()


def test_both_teams_talk_and_nobody_else_sees_it(client, order, buyer, providers, django_capture_on_commit_callbacks):
    _enterprise, owner = buyer
    provider_user = provider_owner(providers[0])
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("hiring:message-post", args=[order.pk]), {"body": "Can the noise survey include night hours?"}
        )
    assert response.status_code == 302 and response["Location"].endswith("#conversation")
    # The provider's team is told, in its notifications and by email.
    note = Notification.objects.get(user=provider_user, kind="messages")
    assert order.order.number in note.text("subject", "en") and "night hours" in note.text("body", "en")
    assert any(provider_user.email in m.to for m in mail.outbox)

    client.force_login(provider_user)
    page = thread_of(client, order)
    assert "Can the noise survey include night hours?" in page and 'id="conversation"' in page
    client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "Yes, from 22:00 to 06:00."})

    # Another provider, another enterprise's member, staff without a dispute: no thread, no way in.
    for outsider in (provider_owner(providers[1]), UserFactory(), staff_user()):
        client.force_login(outsider)
        assert "night hours" not in client.get(order.get_absolute_url()).content.decode()
        assert client.get(reverse("hiring:thread", args=[order.pk])).status_code == 404
        assert client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "hi"}).status_code == 404
    assert Message.objects.filter(service_order=order).count() == 2


def test_staff_read_it_while_a_dispute_is_open_and_cannot_write(client, order, buyer, providers):
    _enterprise, owner = buyer
    services.message_post(service_order=order, user=owner, body="The report misses the groundwater section.")
    hiring.deliverable_upload(service_order=order, user=provider_owner(providers[0]), file=pdf_upload("r.pdf"))
    deliver(order)
    hiring.dispute_open(service_order=order, user=owner, reason="The groundwater section is missing.")
    staff = staff_user()
    client.force_login(staff)
    page = thread_of(client, order)
    assert "misses the groundwater section" in page and "part of the dispute" in page
    assert 'name="body"' not in page.split('id="conversation"')[1].split("</section>")[0]  # no form for staff
    with pytest.raises(ValidationError):
        services.message_post(service_order=order, user=staff, body="Staff here")
    response = client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "Staff here"}, follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "teams write in this conversation" in response.content.decode()  # the refusal says why
    assert not Message.objects.filter(author=staff).exists()


def test_staff_lose_the_thread_once_the_dispute_is_decided(client, order, buyer, providers):
    """While the dispute is open staff read the thread, its polled fragment and its files (the
    evidence); once it is decided, the conversation is the two parties' own again."""
    _enterprise, owner = buyer
    message = services.message_post(
        service_order=order, user=owner, body="Photo of the missing page.", attachment=pdf_upload("page.pdf")
    )
    hiring.deliverable_upload(service_order=order, user=provider_owner(providers[0]), file=pdf_upload("r.pdf"))
    deliver(order)
    dispute = hiring.dispute_open(service_order=order, user=owner, reason="A page is missing.")
    staff = staff_user()
    client.force_login(staff)
    fragment = reverse("hiring:thread", args=[order.pk])
    attachment = reverse("hiring:message-attachment", args=[order.pk, message.pk])
    assert "Photo of the missing page." in client.get(fragment).content.decode()
    assert client.get(attachment).status_code == 200

    hiring.dispute_resolve(dispute=dispute, user=staff, outcome="complete", decision="The page was delivered.")
    assert "Photo of the missing page." not in thread_of(client, order)
    assert client.get(fragment).status_code == 404 and client.get(attachment).status_code == 404
    client.force_login(owner)  # the parties keep it
    assert "Photo of the missing page." in client.get(fragment).content.decode()


def test_attachments_are_checked_like_deliverables_and_kept_private(client, order, buyer, providers):
    _enterprise, owner = buyer
    client.force_login(owner)
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 this is a program", content_type="application/pdf")
    response = client.post(
        reverse("hiring:message-post", args=[order.pk]), {"body": "see file", "attachment": fake}, follow=True
    )
    assert not Message.objects.exists()  # refused: not what its name says, and the page says so
    assert "This file is a program, not a document." in response.content.decode()

    good = pdf_upload("site-plan.pdf")
    client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "", "attachment": good})
    message = Message.objects.get()
    assert message.attachment_name.endswith("site-plan.pdf") and len(message.attachment_sha256) == 64
    url = reverse("hiring:message-attachment", args=[order.pk, message.pk])
    download = client.get(url)
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    client.force_login(provider_owner(providers[1]))
    assert client.get(url).status_code == 404
    client.force_login(staff_user())  # staff, without a dispute on the order
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code in (302, 404)  # to the login page, never the file
    assert b"%PDF" not in client.get(url, follow=True).content


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("notes.pdf", b"<html><script>alert(1)</script></html>", "not a PDF, PNG, JPEG file"),
        ("notes.docx", b"PK\x03\x04 a word document", "not a PDF, PNG, JPEG file"),
        ("photo.pdf", PNG_BYTES, "named “.pdf” but its content is PNG"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_an_unsafe_or_mislabelled_attachment_is_refused_with_the_reason(client, order, buyer, name, content, why):
    _enterprise, owner = buyer
    client.force_login(owner)
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(
        reverse("hiring:message-post", args=[order.pk]), {"body": "see file", "attachment": upload}, follow=True
    )
    assert response.status_code == 200 and why in response.content.decode()
    assert not Message.objects.exists()


def test_an_attachment_over_the_deliverable_limit_is_refused(order, buyer):
    _enterprise, owner = buyer
    assert services.ATTACHMENT_MAX_SIZE == hiring.DELIVERABLE_MAX_SIZE == 20 * 1024 * 1024
    big = pdf_upload("survey.pdf", b"%PDF-1.7\n" + b"0" * services.ATTACHMENT_MAX_SIZE)
    with pytest.raises(ValidationError, match="the limit is 20"):
        services.message_post(service_order=order, user=owner, body="the full survey", attachment=big)
    assert not Message.objects.exists()


def test_an_edit_keeps_the_original_and_the_database_refuses_rewrites(client, order, buyer):
    _enterprise, owner = buyer
    original = services.message_post(service_order=order, user=owner, body="Deliver by 1 March.")
    services.message_edit(message=original, user=owner, body="Deliver by 1 April.")
    (item,) = [e.message for e in selectors.thread(order, side="buyer") if e.message]
    assert (
        item.edited
        and item.latest.body == "Deliver by 1 April."
        and [m.body for m in item.earlier] == ["Deliver by 1 March."]
    )
    client.force_login(owner)
    page = thread_of(client, order)
    assert "Deliver by 1 April." in page and "Deliver by 1 March." in page and "edited" in page
    # Only its author corrects a message.
    with pytest.raises(ValidationError):
        services.message_edit(message=original, user=UserFactory(), body="Deliver never.")
    # The database itself refuses to change or delete a message, whatever issues the statement.
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=original.pk).update(body="Deliver by 1 May.")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM conversations_message")
    assert Message.objects.get(pk=original.pk).body == "Deliver by 1 March."


def test_read_receipts_and_events_inline(client, order, buyer, providers):
    _enterprise, owner = buyer
    services.message_post(service_order=order, user=owner, body="Hello")
    client.force_login(owner)
    assert "Read by the other party" not in thread_of(client, order)
    client.force_login(provider_owner(providers[0]))
    thread_of(client, order)  # the provider opens the order: it has read the thread
    client.force_login(owner)
    page = thread_of(client, order)
    assert "Read by the other party" in page
    # The order's history (created, paid …) runs through the thread.
    entries = selectors.thread(order, side="buyer")
    assert [e.event.kind for e in entries if e.event][:1] and any(e.message for e in entries)
    assert entries == sorted(entries, key=lambda e: e.at)


def test_paid_delivered_and_revision_requested_show_in_the_thread_in_time_order(client, order, buyer, providers):
    _enterprise, owner = buyer
    provider_user = provider_owner(providers[0])
    services.message_post(service_order=order, user=owner, body="Before delivery: please include the map.")
    hiring.deliverable_upload(service_order=order, user=provider_user, file=pdf_upload("report.pdf"))
    deliver(order)
    hiring.service_order_request_revision(service_order=order, user=owner, reason="The map is missing.")
    services.message_post(service_order=order, user=provider_user, body="After the revision request: map added.")
    client.force_login(owner)
    fragment = client.get(reverse("hiring:thread", args=[order.pk])).content.decode()
    marks = [
        "Payment received",
        "Before delivery: please include the map.",
        "Marked as delivered",
        "Revision requested",
        "After the revision request: map added.",
    ]
    positions = [fragment.find(mark) for mark in marks]
    assert -1 not in positions and positions == sorted(positions), dict(zip(marks, positions, strict=True))
    assert fragment.count('class="conversation__event"') >= 3


def test_the_thread_reads_in_constant_queries(client, order, buyer):
    _enterprise, owner = buyer
    client.force_login(owner)
    services.message_post(service_order=order, user=owner, body="one")
    url = reverse("hiring:thread", args=[order.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        original = services.message_post(service_order=order, user=owner, body=f"message {n}")
        services.message_edit(message=original, user=owner, body=f"message {n}, corrected")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_an_empty_or_overlong_message_is_refused_with_a_message(client, order, buyer):
    _enterprise, owner = buyer
    client.force_login(owner)
    response = client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "   "}, follow=True)
    assert "Write a message." in response.content.decode()
    response = client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "x" * 5001}, follow=True)
    assert "under 5000 characters" in response.content.decode()
    assert not Message.objects.exists()


def test_the_order_page_does_not_ask_twice_who_the_user_is(client, order, buyer, monkeypatch):
    """The order page reads the user's side from the memberships its header reads anyway
    (``request_organisations``), and the thread takes the side the page worked out: no membership
    query of their own."""
    _enterprise, owner = buyer
    services.message_post(service_order=order, user=owner, body="one")
    client.force_login(owner)
    calls = []
    real = hiring.party_of
    monkeypatch.setattr(hiring, "party_of", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(order.get_absolute_url()).content.decode()
    assert "one" in page and 'id="conversation"' in page
    assert calls == []
    statements = [q["sql"] for q in captured]
    lookups = [sql for sql in statements if MEMBERSHIP_LOOKUP.match(sql) and "UNION" not in sql]
    assert lookups == [] and sum("UNION" in sql for sql in statements) == 1  # the header's, shared


def test_links_open_in_the_recipients_language_whatever_the_writers(
    client, order, buyer, providers, django_capture_on_commit_callbacks
):
    """The buyer writes from the Chinese pages; the provider's English-speaking member is emailed a
    link to the English page and the buyer's English name, its Chinese-speaking member the Chinese
    ones, and opening the notification leads to the page in the language the centre is read in."""
    _enterprise, owner = buyer
    english = provider_owner(providers[0])
    chinese = UserFactory()
    ProviderMember.objects.create(provider=providers[0], user=chinese)
    PersonalSettings.objects.create(user=english, language="en")
    PersonalSettings.objects.create(user=chinese, language="zh-hans")
    path = f"{order.get_absolute_url()}#conversation"  # in English: no language prefix
    assert not path.startswith("/zh-hans/")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/zh-hans{reverse('hiring:message-post', args=[order.pk])}", {"body": "请补充夜间监测。"})
    by_recipient = {tuple(m.to): m.body for m in mail.outbox}
    assert f"{django_settings.PUBLIC_BASE_URL}{path}" in by_recipient[(english.email,)]
    assert f"/zh-hans{path}" not in by_recipient[(english.email,)]
    assert f"{django_settings.PUBLIC_BASE_URL}/zh-hans{path}" in by_recipient[(chinese.email,)]
    # The writer is named in the language of the email, not of the page it was written on.
    assert f"{order.enterprise.name} wrote" in by_recipient[(english.email,)]
    assert order.enterprise.name_zh in by_recipient[(chinese.email,)]

    note = Notification.objects.get(user=english)
    client.force_login(english)
    assert client.post(f"/notifications/{note.pk}/open/")["Location"] == path
    note = Notification.objects.get(user=chinese)
    client.force_login(chinese)
    assert client.post(f"/zh-hans/notifications/{note.pk}/open/")["Location"] == f"/zh-hans{path}"


@pytest.mark.django_db(transaction=True)  # the request's own commit queues the notice, as in production
def test_the_writer_does_not_wait_for_the_other_side_to_be_told(client, order, buyer, providers, monkeypatch):
    """The message is stored when the response is sent; the provider's notification, unread badge and
    email follow once the response has gone (tasks eager, no broker: ``after_response``), each once."""
    _enterprise, owner = buyer
    provider_user = provider_owner(providers[0])
    client.force_login(provider_user)
    unread = Notification.objects.filter(user=provider_user, read_at__isnull=True).count()  # paying told it
    assert f'data-unread="{unread}"' in client.get(reverse("notifications:list")).content.decode()
    mail.outbox.clear()
    held = []
    monkeypatch.setattr(after_response, "_run", held.append)  # what runs once the response is sent, held
    client.force_login(owner)
    response = client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "Is the site visit on Monday?"})
    assert response.status_code == 302
    assert Message.objects.filter(service_order=order, body="Is the site visit on Monday?").exists()
    assert not Notification.objects.filter(user=provider_user, kind="messages").exists() and mail.outbox == []

    monkeypatch.undo()
    for jobs in held:  # the server sends the response, then runs the deferred work
        after_response._run(jobs)
    note = Notification.objects.get(user=provider_user, kind="messages")
    assert order.order.number in note.text("subject", "en") and "Monday" in note.text("body", "en")
    assert len([m for m in mail.outbox if provider_user.email in m.to]) == 1
    client.force_login(provider_user)
    assert f'data-unread="{unread + 1}"' in client.get(reverse("notifications:list")).content.decode()


def test_a_message_that_rolls_back_tells_nobody(order, buyer, providers, django_capture_on_commit_callbacks):
    _enterprise, owner = buyer
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.message_post(service_order=order, user=owner, body="Never mind.")
            raise RuntimeError("the request fails after the message")
    assert not Message.objects.filter(body="Never mind.").exists()
    assert not Notification.objects.filter(kind="messages").exists() and mail.outbox == []


def test_posting_asks_once_who_writes(client, order, buyer, monkeypatch):
    """The view leaves the question to the service (who may write is asked afresh where the message
    is written) and asks who may read only when the service refuses."""
    _enterprise, owner = buyer
    client.force_login(owner)
    calls = []
    real = hiring.party_of
    monkeypatch.setattr(hiring, "party_of", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    client.post(reverse("hiring:message-post", args=[order.pk]), {"body": "One question."})
    assert calls == [1] and Message.objects.filter(body="One question.").exists()
