"""The conversation on an order's page and the clarifications on a request's page, drawn by this app
into the lower apps' templates (``{% load conversations %}``), so hiring and procurement know nothing
of it."""

from django import template
from django.conf import settings

from marketplace.core import table_versions
from marketplace.hiring.models import ServiceOrder
from marketplace.procurement.models import RequestForQuotes
from providers.models import ProviderMember

from .. import selectors, services
from ..models import Message

register = template.Library()


@register.inclusion_tag("conversations/_thread.html", takes_context=True)
def order_conversation(context, service_order: ServiceOrder):
    """The thread, for the two teams and for staff while a dispute is open; nothing for anyone else.
    Showing it to a team member counts as their reading it (read receipts)."""
    user = context["request"].user
    # The order page has worked out the user's side and any open dispute already; ask again only elsewhere.
    on_order_page = "open_dispute" in context
    party = services.thread_party(
        service_order,
        user,
        party=context.get("party"),
        dispute_open=context["open_dispute"] is not None if on_order_page else None,
    )
    if party is None:
        return {"party": None}
    side = party if party in (Message.Side.BUYER, Message.Side.PROVIDER) else None
    # A page kept in the page cache depends on this order's thread, not on every message anywhere.
    with table_versions.narrowed(services.THREAD_FAMILY, services.thread_source(service_order.pk)):
        entries = services.thread_show(service_order=service_order, user=user, side=side)
    shown, earlier = selectors.shown_entries(entries, context["request"].GET)
    return {
        "party": party,
        "side": side,
        "so": service_order,
        "me": user,
        "entries": shown,
        "earlier": earlier,
        "whole": selectors.wants_whole_thread(context["request"].GET),
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "poll_seconds": getattr(settings, "CONVERSATION_POLL_SECONDS", 15),
    }


@register.inclusion_tag("conversations/_clarifications.html", takes_context=True)
def request_clarifications(context, rfq: RequestForQuotes):
    """Published clarifications for everyone; the ask form for a provider's team while the request is
    open, with its own questions; the buyer's team sees the questions waiting, without who asked."""
    request = context["request"]
    user = request.user
    is_staff = user.is_authenticated and user.is_staff
    # The request's page has worked out whether the user is the buyer and which provider they act
    # for already; ask again only elsewhere.
    if "is_buyer" in context and "membership" in context:
        is_buyer, membership = context["is_buyer"], context["membership"]
    else:
        is_buyer = user.is_authenticated and rfq.enterprise.memberships.filter(user=user).exists()
        membership = (
            ProviderMember.objects.filter(user=user).select_related("provider").first()
            if user.is_authenticated
            else None
        )
    published, waiting = selectors.request_clarifications(
        rfq, with_waiting=is_buyer or is_staff or membership is not None
    )
    return {
        "rfq": rfq,
        "published": published,
        "is_buyer": is_buyer,
        "is_staff": is_staff,
        "waiting": waiting if is_buyer or is_staff else [],
        "mine": [c for c in waiting if c.provider_id == membership.provider_id] if membership else [],
        "may_ask": membership is not None and rfq.status == "open" and not rfq.deadline_passed(),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
