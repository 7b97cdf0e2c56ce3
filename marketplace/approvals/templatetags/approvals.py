"""``{% load approvals %}`` lets lower layers' pages (a service item's guide) show which approval
matters need the item, composed from above rather than imported from below."""

from django import template

from marketplace.approvals.selectors import matters_needing

register = template.Library()


@register.simple_tag
def approval_matters_needing(category):
    return list(matters_needing(category=category))
