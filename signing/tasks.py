"""Celery entry points; each calls a service (eager without a broker, see settings)."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.cache import cache

from . import services, trust_list
from .models import IssuingAuthority
from .services import document_signers, tree_heads


@shared_task(name="signing.tasks.permits_expire")
def permits_expire() -> int:
    return services.permits_expire()


@shared_task(name="signing.tasks.permits_issue_bulk")
def permits_issue_bulk(*, authority_id: int, actor_id: int, rows: list[dict]) -> dict:
    """Bulk issuance in a worker: rows as read from the CSV; returns issued numbers and row errors."""
    authority = IssuingAuthority.objects.get(pk=authority_id)
    actor = get_user_model().objects.get(pk=actor_id)
    result = services.permits_issue_bulk(authority=authority, actor=actor, rows=rows)
    return {
        "issued": result.issued,
        "already": [{"row": a.row, "number": a.number} for a in result.already],
        "errors": [{"row": e.row, "message": e.message} for e in result.errors],
    }


@shared_task(name="signing.tasks.tree_head_sign_if_due")
def tree_head_sign_if_due() -> int | None:
    head = tree_heads.tree_head_sign_if_due()
    return head.tree_size if head else None


@shared_task(name="signing.tasks.tree_head_cover")
def tree_head_cover() -> int | None:
    """After a commit that logged a sealed document or a permit status change: a signed head covers
    it at once (nothing is signed when an earlier callback already covered it)."""
    head = tree_heads.tree_head_cover()
    return head.tree_size if head else None


@shared_task(name="signing.tasks.trust_list_refresh")
def trust_list_refresh() -> str:
    """Publish a freshly signed trust list (hourly), so its next_due is always honest."""
    signed = trust_list.trust_list_make()
    cache.set(document_signers.TRUST_LIST_CACHE_KEY, signed, int(trust_list.REFRESH.total_seconds()))
    return signed["signature"][:16]
