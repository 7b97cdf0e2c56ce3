"""Credit-record inputs built through the real services: completed orders, ratings, evaluations."""

import datetime

from django.utils import timezone

from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.ratings import services as ratings

from .hiring import deliver, make_service_order, pay, provider_owner
from .providers import pdf_upload, staff_user
from .signing import AuthorityMemberFactory


def completed_order(buyer, provider, *, late: bool = False) -> ServiceOrder:
    """Paid, delivered (on time, or a day after a deadline moved into the past) and accepted."""
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(so)
    if late:
        ServiceOrder.objects.filter(pk=so.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    hiring.deliverable_upload(service_order=so, user=provider_owner(provider), file=pdf_upload())
    deliver(so, provider_owner(provider))
    hiring.service_order_accept(service_order=so, user=owner)
    return ServiceOrder.objects.select_related("order").get(pk=so.pk)


def rate(so, buyer, stars: int):
    return ratings.rating_create(
        service_order=so, user=buyer[1], quality=stars, timeliness=stars, communication=stars, price_fairness=stars
    )


def officer(authority=None):
    member = AuthorityMemberFactory(**({"authority": authority} if authority else {}))
    return member.user, member.authority


def authority_evaluate(so, *, user, authority, quality: int, timeliness: int, approval_number="EP-2026-0001"):
    return ratings.authority_evaluation_create(
        service_order=so,
        authority=authority,
        user=user,
        approval_number=approval_number,
        comment="Used in the environmental approval.",
        quality=quality,
        timeliness=timeliness,
    )


def platform_evaluate(provider, *, conduct: int, service_order=None, user=None):
    return ratings.platform_evaluation_create(
        provider=provider,
        user=user or staff_user(),
        ground="time_limits",
        conduct=conduct,
        reason="Missed two filing deadlines.",
        service_order=service_order,
        period_start=None if service_order else timezone.localdate() - datetime.timedelta(days=90),
        period_end=None if service_order else timezone.localdate(),
    )
