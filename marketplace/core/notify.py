"""Notifications to people, in English and Simplified Chinese, sent after the transaction commits.

Every app that tells someone about an event goes through here, so the rules live in one place:
nothing is sent for a change that rolls back, a mail server that is down never undoes the change
it reports, and demo data (history, not news) is sent to nobody.
"""

import contextvars
import logging
from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh-hans")
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
    emails = [m.user.email for m in organisation.memberships.select_related("user")]
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


def notify(*, recipients: list[str], subject, body, url: str = "", params: dict | None = None) -> None:
    """Queue one email in both languages; ``subject``/``body`` are lazy strings with %-params.

    Nothing here may carry a sealed quote's content: callers pass only public facts.
    """
    params = dict(params or {})
    recipients = list(recipients)
    if not recipients or _muted.get():
        return

    def send():
        subjects, bodies = [], []
        for language in LANGUAGES:
            with translation.override(language):
                subjects.append(str(subject) % params)
                text = str(body) % params
                if url:
                    text += f"\n\n{settings.PUBLIC_BASE_URL}{url}"
                bodies.append(text)
        _send(" / ".join(subjects), "\n\n----\n\n".join(bodies), recipients)

    transaction.on_commit(send)


def render_bilingual(template: str, context: dict) -> tuple[str, str]:
    """Render a text template (first line: subject) once per language; join the two versions."""
    subjects, bodies = [], []
    for language in LANGUAGES:
        with translation.override(language):
            text = render_to_string(template, context).strip()
        subject, _sep, body = text.partition("\n")
        subjects.append(subject.strip())
        bodies.append(body.strip())
    return " / ".join(subjects), "\n\n----\n\n".join(bodies)


def send_rendered(*, template: str, context: dict, recipients: Iterable[str]) -> int:
    """Send a bilingual templated email now (callers queue it with ``transaction.on_commit``)."""
    recipients = list(recipients)
    if not recipients or _muted.get():
        return 0
    subject, body = render_bilingual(template, context)
    return _send(subject, body, recipients)
