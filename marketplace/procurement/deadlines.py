"""Moving an open request's deadline later for a reason outside procurement (a clarification
published close to the deadline: bidders need time to react). The beacon round moves with it, as
with the extension for too few quotes, and the history and every bidder say so."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import methods
from .models import RequestForQuotes
from .services import _event, _lock, _tell_bidders_and_buyer

R = RequestForQuotes.Status


def request_deadline_extend(
    *, request: RequestForQuotes, until: datetime.datetime, why: str, now: datetime.datetime | None = None, **data
) -> RequestForQuotes:
    """Move an open request's deadline to ``until`` when that is later; a closed request, a passed
    deadline or an earlier ``until`` change nothing. Call inside the transaction of the change that
    warrants it; ``why`` names it in the request's history (with ``data``)."""
    request = _lock(request)
    now = now or timezone.now()
    if request.status != R.OPEN or request.deadline_passed(now) or until <= request.deadline:
        return request
    before = request.deadline
    request.deadline = until
    methods.beacon_fix(request)  # a round already known before the new deadline could be steered around
    request.save(update_fields=["deadline", "beacon"])
    _event(request, "deadline_moved", why=why, before=before.isoformat(), after=until.isoformat(), **data)
    _tell_bidders_and_buyer(
        request,
        subject=_("Request “%(title)s”: deadline extended"),
        body=_(
            "A clarification was published close to the deadline, so the deadline moved to give every "
            "provider time to react."
        ),
    )
    return request
