"""A request for quotes addressed to one provider: how a "from ¥…" or quote-only listing is hired.

The listing's price is where the provider's quotes start (or there is none), so the buyer describes
the project and asks that provider to quote. Only that provider may quote; its quote opens the
request at once (there is no competition to keep it sealed for) and the buyer accepts it, which is
the award: an order at the quoted price. Nobody sits on both sides: the conflict rule of
``core.conflicts`` applies as for hiring directly.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from marketplace.core import notify
from marketplace.core.conflicts import Act, records_conflicts, require_no_conflict
from providers import selectors as provider_selectors
from providers.listings import listing_info

from .models import Method, RequestForQuotes
from .services import request_publish

DEFAULT_DAYS_TO_ANSWER = 7


def addressable_listing(*, pk) -> object | None:
    """The listing (a product with its listing data) a request may be addressed through: on the market,
    and priced "from" an amount or by quote. None for anything else."""
    product = (
        provider_selectors.with_listing_data(provider_selectors.purchasable_listings().filter(pk=pk)).first()
        if str(pk).isdigit()
        else None
    )
    if product is None:
        return None
    info = listing_info(product)
    if info.provider is None or not (info.is_quote_only or info.pricing_mode == "from"):
        return None
    return product


@records_conflicts
@transaction.atomic
def request_address(
    *,
    enterprise,
    user,
    listing,
    title: str,
    description: str,
    region: str,
    budget,
    deadline: datetime.datetime,
    required_grade: str = "",
    now=None,
) -> RequestForQuotes:
    """Publish a request for quotes only ``listing``'s provider may answer."""
    product = addressable_listing(pk=getattr(listing, "pk", listing))
    if product is None:
        raise ValidationError(
            _("This listing can no longer be asked for a quote; choose another provider."), code="not_addressable"
        )
    info = listing_info(product)
    require_no_conflict(
        user=user, act=Act.ORDER, enterprise=enterprise, provider=info.provider, subject=product.get_title()
    )
    request = request_publish(
        enterprise=enterprise,
        user=user,
        category=info.category,
        title=title,
        description=description,
        region=region,
        budget=budget,
        deadline=deadline,
        method=Method.DIRECT,
        required_grade=required_grade,
        invited_provider=info.provider,
        listing=product,
        now=now,
    )
    notify.notify(
        kind=notify.Kind.REQUESTS,
        recipients=notify.organisation_recipients(info.provider),
        subject=_("%(enterprise)s asks you for a quote"),
        body=_("“%(title)s”: quote by %(deadline)s. Only you can answer this request."),
        url=request.get_absolute_url(),
        params={
            "enterprise": enterprise.localized("name"),
            "title": request.title,
            "deadline": request.deadline.strftime("%Y-%m-%d %H:%M"),
        },
    )
    return request
