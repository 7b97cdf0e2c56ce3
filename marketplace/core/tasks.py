"""Celery entry points of the core app; each calls a service (eager without a broker, see settings)."""

from celery import shared_task

from . import notify


@shared_task(name="core.notification_digests")
def notification_digests() -> int:
    """Daily: each person who chose the digest for some kind gets one email of what arrived."""
    return notify.digests_send()
