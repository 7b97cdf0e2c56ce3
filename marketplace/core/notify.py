"""Notifications to people, sent after the transaction commits.

Every app that tells someone about an event goes through here, so the rules live in one place:
nothing is sent for a change that rolls back, a mail server that is down never undoes the change
it reports, and demo data (history, not news) is sent to nobody. The person whose change it reports
does not wait for it either: ``notify`` hands delivery to a Celery task (``core.notification_deliver``),
queued to the broker or, tasks eager, run after the response (``after_response.defer``).

Each person with an account gets the event in their notification centre (``Notification``) and by
email as they chose for its kind: at once, in the daily digest (``digests_send``), or not at all;
in the language they chose (both, until they choose). An address without an account (an
organisation's contact address) gets the email at once, in both languages.
"""

import contextvars
import logging
from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from . import after_response, table_versions
from .models import Notification, NotificationPreference, PersonalSettings

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh-hans")
Kind, Channel = Notification.Kind, Notification.Channel
_muted = contextvars.ContextVar("notify_muted", default=False)


@contextmanager
def muted():
    """Queue no notification inside this block (demo data is history, not news to anyone)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def organisation_recipients(organisation) -> list[str]:
    """Every member's address and the organisation's contact address, once each.

    ``organisation`` is anything with ``memberships`` (see ``core.models.Membership``) and a
    ``contact_email``: an enterprise or a provider.
    """
    emails = list(organisation.memberships.values_list("user__email", flat=True))
    if organisation.contact_email:
        emails.append(organisation.contact_email)
    return sorted(set(filter(None, emails)))


def _send(subject: str, body: str, recipients: Iterable[str]) -> int:
    recipients = list(recipients)
    try:
        return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except OSError:  # a mail server that is down must not undo the change the email reports
        logger.exception("Could not send notification to %s", recipients)
        return 0


def unread_cache_key(user) -> str:
    """The header's unread count for ``user`` (the account's creation time in the key: a test database
    that hands out an id again never meets an old count)."""
    return f"notifications:unread:{user.pk}:{int(user.date_joined.timestamp())}"


def unread_count_store(user) -> int:
    """Count the unread notifications and keep the figure for the header."""
    count = Notification.objects.filter(user=user, read_at__isnull=True).count()
    cache.set(unread_cache_key(user), count, UNREAD_CACHE_SECONDS)
    return count


def unread_count_refresh(user) -> int:
    """Recount after the figure changed (at login, after reading): pages that show the badge are
    retired (``unread_cache_key`` is also the source they hold, marketplace/core/table_versions.py)."""
    count = unread_count_store(user)
    table_versions.retire_on_commit(unread_cache_key(user))
    return count


def _unread_count_up(user) -> None:
    """One more unread: the badge goes up where it is kept (elsewhere it is counted anew)."""
    try:
        cache.incr(unread_cache_key(user))
    except ValueError:
        pass
    table_versions.retire_on_commit(unread_cache_key(user))


# Short: with a cache that is not shared (the per-process default), another worker's figure is stale
# for at most this long; with a shared one (Redis) it is exact.
UNREAD_CACHE_SECONDS = 300


def neutral_url(url: str) -> str:
    """``url`` without the language prefix of the page it was made on (``/zh-hans/orders/1/`` →
    ``/orders/1/``): a notification is about the thing, read in whichever language its reader uses."""
    for code, _name in settings.LANGUAGES:
        prefix = f"/{code}/"
        if code != settings.LANGUAGE_CODE and url.startswith(prefix):
            return url[len(prefix) - 1 :]
    return url


def localized_url(url: str, language: str) -> str:
    """A neutral site path as a page in ``language`` (``/orders/1/`` → ``/zh-hans/orders/1/``); a path
    outside the translated pages, or one that is not the site's, is left as it is."""
    if not url.startswith("/") or not language or language == settings.LANGUAGE_CODE:
        return url
    with translation.override(settings.LANGUAGE_CODE):
        return translate_url(url, language)


def _email_text(texts: dict[str, tuple[str, str]], url: str, languages) -> tuple[str, str]:
    """Subject and body in ``languages`` (one, or all joined), each body with the link to the page in
    its language."""
    chosen = [(texts[language], localized_url(url, language)) for language in languages]
    return (
        " / ".join(s for (s, _b), _link in chosen),
        "\n\n----\n\n".join(b + (f"\n\n{settings.PUBLIC_BASE_URL}{link}" if link else "") for (_s, b), link in chosen),
    )


def deliver(*, kind: str, texts: dict[str, tuple[str, str]], recipients: Iterable[str], url: str = "") -> int:
    """Tell ``recipients`` (addresses) now: ``texts`` maps each language to (subject, body). Returns
    how many emails went out."""
    recipients = sorted({address.strip().lower() for address in recipients if address})
    if not recipients or _muted.get():
        return 0
    url = neutral_url(url)
    people = list(
        get_user_model().objects.annotate(address=Lower("email")).filter(address__in=recipients, is_active=True)
    )
    if not people:
        return _send(*_email_text(texts, url, LANGUAGES), recipients)
    chosen = dict(NotificationPreference.objects.filter(user__in=people, kind=kind).values_list("user_id", "channel"))
    languages = dict(PersonalSettings.objects.filter(user__in=people).values_list("user_id", "language"))
    now = timezone.now()
    notes = Notification.objects.bulk_create(
        Notification(
            user=person,
            kind=kind,
            subject={language: subject for language, (subject, _b) in texts.items()},
            body={language: body for language, (_s, body) in texts.items()},
            url=url,
            channel=chosen.get(person.pk, Channel.EMAIL),
            created_at=now,
        )
        for person in people
    )
    for person in people:
        _unread_count_up(person)
    # At once by email: one email per language, to those who read it; addresses without an account too.
    known = {person.email.lower() for person in people}
    groups: dict[tuple[str, ...], tuple[list[str], list[int]]] = {
        tuple(LANGUAGES): ([a for a in recipients if a not in known], [])
    }
    for person, note in zip(people, notes, strict=True):
        if note.channel == Channel.EMAIL:
            language = languages.get(person.pk) or ""
            to, ids = groups.setdefault((language,) if language else tuple(LANGUAGES), ([], []))
            to.append(person.email)
            ids.append(note.pk)
    sent, emailed = 0, []
    for group, (to, ids) in groups.items():
        if to and _send(*_email_text(texts, url, group), to):
            sent += 1
            emailed += ids
    if emailed:
        Notification.objects.filter(pk__in=emailed).update(emailed_at=now)
    return sent


def _texts(subject, body, params: dict) -> dict[str, tuple[str, str]]:
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = (str(subject) % params, str(body) % params)
    return texts


def notify(
    *, recipients: list[str], subject, body, url: str = "", params: dict | None = None, kind: str = Kind.ORDERS
) -> None:
    """Tell ``recipients`` once the transaction commits, off the request path (``deliver`` in a
    Celery task: the notification rows, the unread badges and the email); ``subject``/``body`` are
    lazy strings with %-params, rendered in each language when the transaction commits.

    Nothing here may carry a sealed quote's content: callers pass only public facts.
    """
    params = dict(params or {})
    recipients = list(recipients)
    if not recipients or _muted.get():
        return
    # robust: a failure here (the database, the mail server) is logged; the change it reports
    # stands. After the response, a failure is logged by after_response the same way. A broker that
    # cannot take the task gets the delivery done here instead (``_queue``).
    transaction.on_commit(lambda: _queue(kind, _texts(subject, body, params), recipients, url), robust=True)


def _queue(kind: str, texts: dict[str, tuple[str, str]], recipients: list[str], url: str) -> None:
    from .tasks import notification_deliver  # the tasks module imports this one

    args = (str(kind), texts, recipients, url)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # After the response, or at once outside a request; a failure there is the delivery's own,
        # logged, and never run a second time.
        after_response.defer(notification_deliver, *args)
        return
    try:
        notification_deliver.delay(*args)
    except KombuOperationalError:  # the broker cannot take it: deliver here and now rather than lose it
        logger.warning("Could not queue a notification; delivering it in this process", exc_info=True)
        deliver(kind=kind, texts=texts, recipients=recipients, url=url)


def render_languages(template: str, context: dict) -> dict[str, tuple[str, str]]:
    """Render a text template (first line: subject) once per language."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            text = render_to_string(template, context).strip()
        subject, _sep, body = text.partition("\n")
        texts[language] = (subject.strip(), body.strip())
    return texts


def send_rendered(*, template: str, context: dict, recipients: Iterable[str], kind: str = Kind.ACCOUNT) -> int:
    """Tell ``recipients`` now with a templated message (callers queue it with ``transaction.on_commit``)."""
    recipients = list(recipients)
    if not recipients or _muted.get():
        return 0
    return deliver(kind=kind, texts=render_languages(template, context), recipients=recipients)


def record_sent(*, user, template: str, context: dict, kind: str = Kind.ACCOUNT) -> Notification:
    """Put in ``user``'s notification centre what another path has emailed them already (Oscar's account
    emails, which carry a one-time password-reset link that stays in the email): rendered in both
    languages from ``template``, never emailed again."""
    texts = render_languages(template, context)
    note = Notification.objects.create(
        user=user,
        kind=kind,
        subject={language: subject for language, (subject, _b) in texts.items()},
        body={language: body for language, (_s, body) in texts.items()},
        channel=Channel.PLATFORM,
        emailed_at=timezone.now(),
    )
    _unread_count_up(user)
    return note


# --- the daily digest ------------------------------------------------------------------------------


def digests_send(*, now=None) -> int:
    """Email each person who chose the digest for some kind one message listing what arrived since
    their last digest, in their language; returns how many digests went out. A digest that could not
    be sent stays due (tomorrow's carries it); one that was sent is never sent again."""
    now = now or timezone.now()
    due = Notification.objects.filter(channel=Channel.DIGEST, emailed_at__isnull=True, created_at__lte=now)
    sent = 0
    for user_id in due.values_list("user_id", flat=True).distinct().order_by("user_id"):
        with transaction.atomic():
            notes = list(due.filter(user_id=user_id).select_for_update(skip_locked=True).order_by("created_at", "pk"))
            if not notes:
                continue  # another sender has them
            person = notes[0].user
            language = getattr(PersonalSettings.objects.filter(user=person).first(), "language", "") or ""
            languages = (language,) if language else tuple(LANGUAGES)
            parts, subjects = [], []
            for code in languages:
                with translation.override(code):
                    subjects.append(_("OneWindow: %(count)s updates") % {"count": len(notes)})
                    lines = [
                        f"- {note.text('subject', code)}"
                        + (f"\n  {settings.PUBLIC_BASE_URL}{localized_url(note.url, code)}" if note.url else "")
                        for note in notes
                    ]
                    parts.append(_("Since your last digest:") + "\n\n" + "\n".join(lines))
            if _send(" / ".join(subjects), "\n\n----\n\n".join(parts), [person.email]):
                Notification.objects.filter(pk__in=[note.pk for note in notes]).update(emailed_at=now)
                sent += 1
    return sent
