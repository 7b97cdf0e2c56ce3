"""Emails to providers, sent after the transaction that caused them commits.

Each message is written in both English and Simplified Chinese, because a provider's team may
read either; templates live in ``templates/providers/email/<kind>.txt`` (first line: subject).
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh-hans")


def _render(template: str, context: dict) -> tuple[str, str]:
    subjects, bodies = [], []
    for language in LANGUAGES:
        with translation.override(language):
            text = render_to_string(template, context).strip()
        subject, _sep, body = text.partition("\n")
        subjects.append(subject.strip())
        bodies.append(body.strip())
    return " / ".join(subjects), "\n\n----\n\n".join(bodies)


def _recipients(provider) -> list[str]:
    emails = [member.user.email for member in provider.memberships.select_related("user")]
    if provider.contact_email:
        emails.append(provider.contact_email)
    return sorted(set(filter(None, emails)))


def send_provider_email(*, provider_id: int, kind: str, reason: str = "", qualification_id: int | None = None) -> int:
    from .models import Provider, Qualification

    provider = Provider.objects.get(pk=provider_id)
    qualification = (
        Qualification.objects.select_related("category").filter(pk=qualification_id).first()
        if qualification_id
        else None
    )
    context = {
        "provider": provider,
        "reason": reason,
        "qualification": qualification,
        "base_url": settings.PUBLIC_BASE_URL,
    }
    subject, body = _render(f"providers/email/{kind}.txt", context)
    recipients = _recipients(provider)
    if not recipients:
        return 0
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def notify_on_commit(provider, kind: str, *, reason: str = "", qualification=None) -> None:
    provider_id = provider.pk
    qualification_id = qualification.pk if qualification is not None else None
    transaction.on_commit(
        lambda: send_provider_email(
            provider_id=provider_id, kind=str(kind), reason=str(reason), qualification_id=qualification_id
        )
    )


def notify_member_added_on_commit(provider, user) -> None:
    provider_id, email = provider.pk, user.email

    def send():
        from .models import Provider

        context = {"provider": Provider.objects.get(pk=provider_id), "base_url": settings.PUBLIC_BASE_URL}
        subject, body = _render("providers/email/member_added.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])

    transaction.on_commit(send)
