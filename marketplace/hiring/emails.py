"""Bilingual notification emails about orders and requests, sent after the transaction commits."""

import contextvars
import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)
_muted = contextvars.ContextVar("hiring_emails_muted", default=False)


@contextmanager
def muted():
    """Queue no notification inside this block (demo data is history, not news to anyone)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def enterprise_recipients(enterprise) -> list[str]:
    emails = [m.user.email for m in enterprise.memberships.select_related("user")]
    if enterprise.contact_email:
        emails.append(enterprise.contact_email)
    return sorted(set(filter(None, emails)))


def provider_recipients(provider) -> list[str]:
    emails = [m.user.email for m in provider.memberships.select_related("user")]
    if provider.contact_email:
        emails.append(provider.contact_email)
    return sorted(set(filter(None, emails)))


def notify(*, recipients: list[str], subject, body, url: str = "", params: dict | None = None) -> None:
    """Queue one email in English and Simplified Chinese; ``subject``/``body`` are lazy strings.

    Nothing here may carry a sealed quote's content: callers pass only public facts.
    """
    params = dict(params or {})
    recipients = list(recipients)
    if not recipients or _muted.get():
        return

    def send():
        subjects, bodies = [], []
        for language in ("en", "zh-hans"):
            with translation.override(language):
                subjects.append(str(subject) % params)
                text = str(body) % params
                if url:
                    text += f"\n\n{settings.PUBLIC_BASE_URL}{url}"
                bodies.append(text)
        try:
            send_mail(" / ".join(subjects), "\n\n----\n\n".join(bodies), None, recipients)
        except OSError:  # a mail server that is down must not undo the change the email reports
            logger.exception("Could not send notification to %s", recipients)

    transaction.on_commit(send)
