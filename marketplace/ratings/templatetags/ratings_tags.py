"""The rating panel of the order page.

The order page belongs to hiring, which sits below ratings and may not import it; the page
includes this panel by template tag, so ratings adds itself to the page from above.
"""

from django import template

from marketplace.hiring.models import Status

from ..forms import RatingForm, ReplyForm
from ..selectors import order_rating

register = template.Library()


@register.inclusion_tag("ratings/_order_rating.html", takes_context=True)
def order_rating_panel(context, service_order, party: str | None, status: str):
    rating = order_rating(service_order=service_order)
    return {
        "so": service_order,
        "rating": rating,
        "rating_form": RatingForm() if party == "buyer" and status == Status.COMPLETED and rating is None else None,
        "reply_form": ReplyForm() if party == "provider" and rating and not rating.replied_at else None,
        "csrf_token": context.get("csrf_token"),
    }
