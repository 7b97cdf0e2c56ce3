"""Every state change of conversations: messages on an order's thread, read receipts, and
clarifications on a request for quotes. Each refusal is a ``ValidationError`` a person can act on."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from marketplace.core import notify, table_versions
from marketplace.core.conflicts import records_conflicts
from marketplace.core.uploads import DOCUMENT_KINDS, file_digest, validate_upload
from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import conf as procurement_conf
from marketplace.procurement import deadlines
from marketplace.procurement import services as procurement
from marketplace.procurement.models import RequestForQuotes
from providers.models import Provider, ProviderMember

from . import selectors
from .contacts import contact_details
from .models import Clarification, Message, ThreadRead

MAX_MESSAGE = 5000
MAX_QUESTION = 2000
ATTACHMENT_MAX_SIZE = hiring.DELIVERABLE_MAX_SIZE  # attachments are checked like deliverables


class NotPermitted(ValidationError):
    """The acting person may not do this here."""


# --- order threads --------------------------------------------------------------------------------


def thread_party(
    service_order: ServiceOrder, user, *, party: str | None = None, dispute_open: bool | None = None
) -> str | None:
    """``buyer`` / ``provider`` (may read and write), ``staff`` (may read while a dispute is open: the
    conversation is part of its evidence), or None. ``party`` is ``hiring.party_of``'s answer and
    ``dispute_open`` whether the order has an unresolved dispute, when the caller has them already
    (the order page)."""
    party = party if party is not None else hiring.party_of(service_order, user)
    if party in (hiring.BUYER, hiring.PROVIDER):
        return party
    if party == hiring.STAFF:
        if dispute_open is None:
            dispute_open = service_order.disputes.filter(resolved_at__isnull=True).exists()
        return party if dispute_open else None
    return None


# Pages showing an order's thread depend on that order's thread alone, not on every message written
# anywhere (marketplace/core/table_versions.py, "narrower sources"): every write below retires it.
THREAD_FAMILY = "conversation"


def thread_source(service_order_id: int) -> str:
    return f"{THREAD_FAMILY}:{service_order_id}"


def _writer(service_order: ServiceOrder, user) -> str:
    party = hiring.party_of(service_order, user)
    if party not in (hiring.BUYER, hiring.PROVIDER):
        raise NotPermitted(_("Only the buyer's and the provider's teams write in this conversation."), code="not_party")
    return party


def _clean_body(body: str, *, required: bool) -> str:
    body = (body or "").strip()
    if required and not body:
        raise ValidationError({"body": _("Write a message.")}, code="empty")
    if len(body) > MAX_MESSAGE:
        raise ValidationError(
            {"body": _("Keep a message under %(max)s characters.") % {"max": MAX_MESSAGE}}, code="too_long"
        )
    return body


def _tell_other_side(message: Message) -> None:
    service_order = message.service_order
    other = service_order.provider if message.side == Message.Side.BUYER else service_order.enterprise
    writer = service_order.enterprise if message.side == Message.Side.BUYER else service_order.provider
    # Named in each language the notice is written in (not the writer's page's language).
    author = lazy(lambda: writer.localized("name"), str)()
    notify.notify(
        kind=notify.Kind.MESSAGES,
        recipients=notify.organisation_recipients(other),
        subject=_("New message on order %(number)s"),
        body=_("%(author)s wrote: %(excerpt)s"),
        url=f"{service_order.get_absolute_url()}#conversation",
        params={
            "number": service_order.order.number,
            "author": author,
            "excerpt": message.body[:300] + ("…" if len(message.body) > 300 else ""),
        },
    )


@transaction.atomic
def message_post(*, service_order: ServiceOrder, user, body: str, attachment=None) -> Message:
    """Write on the order's thread as the buyer's or the provider's team, with an optional file."""
    side = _writer(service_order, user)
    body = _clean_body(body, required=attachment is None)
    fields = {}
    if attachment is not None:
        validate_upload(attachment, kinds=DOCUMENT_KINDS, max_size=ATTACHMENT_MAX_SIZE)
        sha256, size = file_digest(attachment)
        fields = {
            "attachment": attachment,
            "attachment_name": (getattr(attachment, "name", "") or "attachment")[-200:],
            "attachment_size": size,
            "attachment_sha256": sha256,
        }
    message = Message.objects.create(service_order=service_order, author=user, side=side, body=body, **fields)
    table_versions.retire_on_commit(thread_source(service_order.pk))
    thread_mark_read(service_order=service_order, user=user, now=message.created_at)
    _tell_other_side(message)
    return message


@transaction.atomic
def message_edit(*, message: Message, user, body: str) -> Message:
    """Correct one's own message: a new version replaces it in the thread; the first stays on the record."""
    original = message.revises or message
    if original.author_id != getattr(user, "pk", None):
        raise NotPermitted(_("Only its author may edit a message."), code="not_author")
    _writer(original.service_order, user)  # still on the team
    body = _clean_body(body, required=not original.attachment)
    latest = original.revisions.order_by("-created_at", "-pk").first() or original
    if body == latest.body:
        return latest
    table_versions.retire_on_commit(thread_source(original.service_order_id))
    return Message.objects.create(
        service_order=original.service_order, author=user, side=original.side, body=body, revises=original
    )


def thread_show(*, service_order: ServiceOrder, user, side: str | None) -> list[selectors.ThreadEntry]:
    """The thread as ``user`` sees it from ``side`` (None: staff reading a dispute's evidence), counted
    as their reading it (read receipts) when it shows a team member anything new; a reading that
    shows nothing new writes nothing."""
    entries = selectors.thread(service_order, side=side, reader=user if side else None)
    if any(entry.message.new_to_reader for entry in entries if entry.message):
        thread_mark_read(service_order=service_order, user=user)
    return entries


@transaction.atomic
def thread_mark_read(*, service_order: ServiceOrder, user, now: datetime.datetime | None = None) -> None:
    """Record that ``user`` has read the thread: one UPDATE, and an INSERT the first time. In a
    transaction of its own (a savepoint in a request's), so the thread's source is retired after the
    write and with it, also from a task or a command: not before it, nor as every thread's."""
    now = now or timezone.now()
    table_versions.retire_on_commit(thread_source(service_order.pk))  # the other side's read receipts
    reads = ThreadRead.objects.filter(service_order=service_order, user=user)
    if reads.update(read_at=now):
        return
    try:
        with transaction.atomic():
            # its own savepoint's writes carry their source too, or they would retire every thread
            table_versions.retire_on_commit(thread_source(service_order.pk))
            ThreadRead.objects.create(service_order=service_order, user=user, read_at=now)
    except IntegrityError:  # the same person's first reading in another tab got there first
        reads.update(read_at=now)


# --- clarifications on requests for quotes ---------------------------------------------------------


def _refuse_contacts(request: RequestForQuotes, text: str, field: str) -> None:
    if not request.side_contact_forbidden:
        return
    found = contact_details(text)
    if found:
        raise ValidationError(
            {
                field: _(
                    "This request forbids contact outside the platform before the award, and your text contains "
                    "contact details (%(found)s). Remove them: answers reach every provider here."
                )
                % {"found": ", ".join(found[:3])}
            },
            code="contact_details",
        )


def _asking_provider(request: RequestForQuotes, user, now) -> Provider:
    """Who may ask is who may quote (procurement's rule); anyone else is told so in this page's words."""
    if user is None or not user.is_authenticated or not ProviderMember.objects.filter(user=user).exists():
        raise NotPermitted(_("Only a provider's team may ask a question here."), code="not_provider")
    return procurement.quoting_provider(request=request, user=user, now=now)


def _open(request: RequestForQuotes, now) -> None:
    if request.status != RequestForQuotes.Status.OPEN or request.deadline_passed(now):
        raise ValidationError(_("The quote deadline has passed: clarifications are closed."), code="closed")


@records_conflicts
@transaction.atomic
def clarification_ask(*, request: RequestForQuotes, user, question: str, now=None) -> Clarification:
    """A provider that may quote asks the buyer, privately, before the deadline."""
    now = now or timezone.now()
    request = RequestForQuotes.objects.select_for_update().get(pk=request.pk)
    provider = _asking_provider(request, user, now)
    _open(request, now)
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Write your question.")}, code="empty")
    if len(question) > MAX_QUESTION:
        raise ValidationError(
            {"question": _("Keep a question under %(max)s characters.") % {"max": MAX_QUESTION}}, code="too_long"
        )
    _refuse_contacts(request, question, "question")
    clarification = Clarification.objects.create(
        request=request, provider=provider, asked_by=user, question=question, asked_at=now
    )
    notify.notify(
        kind=notify.Kind.REQUESTS,
        recipients=notify.organisation_recipients(request.enterprise),
        subject=_("A provider asked a question on “%(title)s”"),
        body=_("Answer it before the deadline: the answer is published to every provider, without saying who asked."),
        url=f"{request.get_absolute_url()}#clarifications",
        params={"title": request.title},
    )
    return clarification


@transaction.atomic
def clarification_answer(*, clarification: Clarification, user, answer: str, now=None) -> Clarification:
    """The buyer answers; the question and answer are published to every provider, the asker unnamed.
    An answer in the last PROCUREMENT_CLARIFICATION_LATE_HOURS before the deadline moves the deadline
    to PROCUREMENT_CLARIFICATION_EXTENSION_HOURS after the answer."""
    now = now or timezone.now()
    clarification = Clarification.objects.select_for_update().select_related("request").get(pk=clarification.pk)
    request = clarification.request
    if not request.enterprise.memberships.filter(user=user).exists():
        raise NotPermitted(_("Only the buyer's team answers questions on its request."), code="not_buyer")
    if clarification.is_published:
        raise ValidationError(_("This question is already answered."), code="answered")
    _open(request, now)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer.")}, code="empty")
    if len(answer) > MAX_QUESTION:
        raise ValidationError(
            {"answer": _("Keep an answer under %(max)s characters.") % {"max": MAX_QUESTION}}, code="too_long"
        )
    _refuse_contacts(request, answer, "answer")
    clarification.answer, clarification.answered_by, clarification.answered_at = answer, user, now
    late = datetime.timedelta(hours=procurement_conf.get("PROCUREMENT_CLARIFICATION_LATE_HOURS"))
    if request.deadline - now <= late:
        until = now + datetime.timedelta(hours=procurement_conf.get("PROCUREMENT_CLARIFICATION_EXTENSION_HOURS"))
        moved = deadlines.request_deadline_extend(
            request=request, until=until, why="clarification", now=now, clarification=clarification.pk
        )
        if moved.deadline == until:
            clarification.deadline_moved_to = until
    clarification.save(update_fields=["answer", "answered_by", "answered_at", "deadline_moved_to"])
    providers = Provider.objects.filter(pk__in=_interested(request)).distinct()
    recipients = [address for provider in providers for address in notify.organisation_recipients(provider)]
    notify.notify(
        kind=notify.Kind.REQUESTS,
        recipients=recipients,
        subject=_("Request “%(title)s”: a clarification is published"),
        body=_("The buyer answered a question; every provider reads the same answer on the request's page."),
        url=f"{request.get_absolute_url()}#clarifications",
        params={"title": request.title},
    )
    return clarification


def _interested(request: RequestForQuotes) -> set[int]:
    """Providers that quoted or asked: they hear of each published answer."""
    quoted = set(request.quotes.values_list("provider_id", flat=True))
    asked = set(request.clarifications.values_list("provider_id", flat=True))
    invited = {request.invited_provider_id} if request.invited_provider_id else set()
    return quoted | asked | invited
