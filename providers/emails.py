"""Emails to providers, sent after the transaction that caused them commits.

Each message is written in both English and Simplified Chinese, because a provider's team may
read either; templates live in ``templates/providers/email/<kind>.txt`` (first line: subject).
"""

from django.conf import settings
from django.db import transaction

from marketplace.core.notify import Kind, organisation_recipients, send_rendered


def send_provider_email(
    *, provider_id: int, kind: str, reason: str = "", qualification_id: int | None = None, ban_id: int | None = None
) -> int:
    from .models import Provider, ProviderBan, Qualification

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
        "ban": ProviderBan.objects.filter(pk=ban_id).first() if ban_id else None,
        "base_url": settings.PUBLIC_BASE_URL,
    }
    return send_rendered(
        template=f"providers/email/{kind}.txt",
        context=context,
        recipients=organisation_recipients(provider),
        kind=Kind.PROVIDER,
    )


def notify_on_commit(provider, kind: str, *, reason: str = "", qualification=None, ban=None) -> None:
    provider_id = provider.pk
    qualification_id = qualification.pk if qualification is not None else None
    ban_id = ban.pk if ban is not None else None
    transaction.on_commit(
        lambda: send_provider_email(
            provider_id=provider_id,
            kind=str(kind),
            reason=str(reason),
            qualification_id=qualification_id,
            ban_id=ban_id,
        ),
        robust=True,  # a failure to tell is logged; the change it reports stands
    )


def notify_member_added_on_commit(provider, user) -> None:
    provider_id, email = provider.pk, user.email

    def send():
        from .models import Provider

        context = {"provider": Provider.objects.get(pk=provider_id), "base_url": settings.PUBLIC_BASE_URL}
        send_rendered(
            template="providers/email/member_added.txt", context=context, recipients=[email], kind=Kind.ACCOUNT
        )

    transaction.on_commit(send, robust=True)
