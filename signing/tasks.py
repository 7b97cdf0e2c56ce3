"""Celery entry points; each calls a service (eager without a broker, see settings)."""

from celery import shared_task
from django.contrib.auth import get_user_model

from . import services
from .models import IssuingAuthority


@shared_task(name="signing.tasks.permits_expire")
def permits_expire() -> int:
    return services.permits_expire()


@shared_task(name="signing.tasks.permits_issue_bulk")
def permits_issue_bulk(*, authority_id: int, actor_id: int, rows: list[dict]) -> dict:
    """Bulk issuance in a worker: rows as read from the CSV; returns issued numbers and row errors."""
    authority = IssuingAuthority.objects.get(pk=authority_id)
    actor = get_user_model().objects.get(pk=actor_id)
    result = services.permits_issue_bulk(authority=authority, actor=actor, rows=rows)
    return {"issued": result.issued, "errors": [{"row": e.row, "message": e.message} for e in result.errors]}
