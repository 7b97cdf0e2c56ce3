"""Celery entry points of the core app; each calls a service (eager without a broker, see settings)."""

from celery import shared_task

from . import notify


@shared_task(name="core.notification_digests")
def notification_digests() -> int:
    """Daily: each person who chose the digest for some kind gets one email of what arrived."""
    return notify.digests_send()


@shared_task(name="core.notification_deliver")
def notification_deliver(kind: str, texts: dict[str, list[str]], recipients: list[str], url: str = "") -> int:
    """Record and email one notification that ``notify.notify`` queued once its change committed.
    ``texts`` maps each language to [subject, body] (a broker hands pairs over as lists)."""
    pairs = {language: (subject, body) for language, (subject, body) in texts.items()}
    return notify.deliver(kind=kind, texts=pairs, recipients=recipients, url=url)
