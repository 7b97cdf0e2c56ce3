"""Invoice facts drawn by payments into lower apps' pages (``{% load invoices %}``), so providers' console
knows nothing of payments."""

from django import template

from marketplace.core.selectors import request_organisations

from .. import invoices

register = template.Library()


@register.inclusion_tag("payments/_console_invoices.html", takes_context=True)
def console_invoices(context):
    """The acting providers' open invoice requests and how many are overdue, one query."""
    organisations = request_organisations(context["request"])
    counts = invoices.open_request_counts(provider_ids=organisations.provider_ids)
    return {"open_count": counts["open"], "overdue_count": counts["overdue"]}
