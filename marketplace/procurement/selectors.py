"""Read queries for requests and quotes, scoped to who asks, and sealed until the request closes.

The sealing rule lives here and only here: while a request is ``open`` no selector returns any
quote but the acting provider's own, and nothing counts them.
"""

import datetime

from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.enterprises.models import EnterpriseMember
from marketplace.enterprises.selectors import enterprises_for_user
from providers.selectors import membership_for_user

from . import methods
from .models import Objection, Quote, RequestEvent, RequestForQuotes, Selection

R = RequestForQuotes.Status


def _base() -> QuerySet[RequestForQuotes]:
    return RequestForQuotes.objects.select_related("enterprise", "category")


def open_requests(*, category=None, region: str = "") -> QuerySet[RequestForQuotes]:
    """Requests open to every eligible provider (one addressed to a single provider is not listed)."""
    queryset = (
        _base()
        .filter(status=R.OPEN, deadline__gt=timezone.now(), invited_provider__isnull=True)
        .order_by("deadline", "pk")
    )
    if category is not None:
        queryset = queryset.filter(category=category)
    if region:
        queryset = queryset.filter(region__startswith=region.rstrip("0")[:2] if region.endswith("0000") else region)
    return queryset


# --- published results -------------------------------------------------------------------------

# A request with a result: a selection in its publicity period, an award, or a process that ended
# without one. ``open`` has none yet, and neither has ``choosing`` (the quotes are open but the buyer
# has not picked: nothing is selected until the pick starts the publicity period).
RESULT_STATUSES = (R.PUBLICITY, R.AWARDED, R.FAILED, R.CANCELLED)
# The audit events that put a request into its result status: the selection published (publicity),
# the award, the failure, and the upheld objection that cancels (a rerun is followed by ``selected``
# or ``failed``, which are later).
RESULT_EVENTS = ("selected", "awarded", "failed", "objection_upheld")


def _region_q(region: str) -> Q:
    """A province (``PP0000``) holds its cities, a prefecture-level city (``PPCC00``) its districts."""
    if region.endswith("0000"):
        return Q(region__startswith=region[:2])
    if region.endswith("00"):
        return Q(region__startswith=region[:4])
    return Q(region=region)


# Results a page of the results list holds, on the page and in its JSON (``api.results``).
RESULTS_PAGE_SIZE = 20


def published_results(
    *,
    category=None,
    region: str = "",
    method: str = "",
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[RequestForQuotes]:
    """The public results list: requests in their publicity period, awarded, failed or cancelled, the
    latest result first. Public procurement records, so no viewer scope; nothing in the rows is a
    person's or a losing bid's.

    Filters (each optional, already validated): ``category`` a service item (``Category`` or its pk),
    ``region`` a GB/T 2260 code (a province or city includes what lies inside it), ``method`` a
    ``Method`` value, ``status`` one of ``RESULT_STATUSES``, ``date_from``/``date_to`` local dates
    bounding ``result_at`` (both inclusive).

    Each row carries ``enterprise`` and ``category`` (joined), ``result_at`` (when it reached its
    status: the award, or the latest selection, failure or cancelling decision), ``publicity_running``
    (in its publicity period at ``now``), and ``current_selections`` (prefetched: the one current
    selection with its winning quote and provider, or none) — read it with ``winning_quote``. Three
    statements for any number of rows (the rows, the prefetch; a paginator's count besides).
    """
    now = now or timezone.now()
    latest_event = (
        RequestEvent.objects.filter(request=OuterRef("pk"), kind__in=RESULT_EVENTS)
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    queryset = (
        _base()
        .filter(status__in=RESULT_STATUSES)
        .annotate(
            result_at=Coalesce(
                "awarded_at",
                Subquery(latest_event, output_field=DateTimeField()),
                "closed_at",
                "published_at",
                output_field=DateTimeField(),
            ),
            publicity_running=Case(
                When(status=R.PUBLICITY, publicity_ends_at__gt=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .prefetch_related(
            Prefetch(
                "selections",
                queryset=Selection.objects.filter(superseded=False).select_related("winner__provider"),
                to_attr="current_selections",
            )
        )
        .order_by("-result_at", "-pk")
    )
    if category is not None:
        queryset = queryset.filter(category=category)
    if region:
        queryset = queryset.filter(_region_q(region))
    if method:
        queryset = queryset.filter(method=method)
    if status:
        queryset = queryset.filter(status=status)
    zone = timezone.get_current_timezone()
    if date_from is not None:
        start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
        queryset = queryset.filter(result_at__gte=start)
    if date_to is not None:
        end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        queryset = queryset.filter(result_at__lt=end)
    return queryset


def winning_quote(request: RequestForQuotes) -> Quote | None:
    """The selected (in publicity) or awarded quote of a ``published_results`` row, from its prefetch;
    None for a failed or cancelled request."""
    current = request.current_selections[0] if request.current_selections else None
    if current is None or request.status not in (R.PUBLICITY, R.AWARDED):
        return None
    return current.winner


def invitations(*, user) -> QuerySet[RequestForQuotes]:
    """Open requests addressed to the user's provider (they are not on the public list)."""
    membership = membership_for_user(user=user)
    if membership is None:
        return RequestForQuotes.objects.none()
    return _base().filter(status=R.OPEN, invited_provider=membership.provider).order_by("deadline")


def public_request(*, pk: int) -> RequestForQuotes:
    """Requests are public procurement records; the quotes inside them are not (see below)."""
    return _base().get(pk=pk)


def request_page(*, pk: int, user) -> RequestForQuotes:
    """``public_request`` with, in the same query, what its page shows of the request itself: the
    provider and listing it is addressed to, the order it became, and ``viewer_is_buyer`` (whether
    ``user`` is on the buyer enterprise's team)."""
    if user.is_authenticated:
        buyer = Exists(EnterpriseMember.objects.filter(enterprise=OuterRef("enterprise"), user=user))
    else:
        buyer = Value(False)
    return _base().select_related("invited_provider", "listing", "order").annotate(viewer_is_buyer=buyer).get(pk=pk)


def enterprise_requests(*, user) -> QuerySet[RequestForQuotes]:
    return _base().filter(enterprise__in=enterprises_for_user(user=user)).order_by("-published_at", "-pk")


def enterprise_request(*, user, pk: int) -> RequestForQuotes:
    """One of the user's enterprises' requests; ``DoesNotExist`` for anyone else's."""
    return enterprise_requests(user=user).get(pk=pk)


def own_quote(*, provider, request: RequestForQuotes, unsealed: list[Quote] | None = None) -> Quote | None:
    """The acting ``provider``'s own quote on ``request``, if any; taken from ``unsealed`` (what
    ``unsealed_quotes`` gave for this request) when the caller has it, without a query."""
    if unsealed is not None and request.quotes_unsealed:
        return next((quote for quote in unsealed if quote.provider_id == provider.pk), None)
    return Quote.objects.filter(request=request, provider=provider).first()


def provider_quotes(*, user) -> QuerySet[Quote]:
    membership = membership_for_user(user=user)
    if membership is None:
        return Quote.objects.none()
    return (
        Quote.objects.filter(provider=membership.provider)
        .select_related("request__category", "request__enterprise")
        .order_by("-submitted_at")
    )


def unsealed_quotes(*, request: RequestForQuotes) -> list[Quote]:
    """Every quote of a closed request with its provider; empty while the request is open."""
    if not request.quotes_unsealed:
        return []
    return list(request.quotes.select_related("provider").order_by("price", "submitted_at", "pk"))


def quote_for_attachment(*, user, request_pk: int, quote_pk: int) -> Quote:
    """The attachment's quote, for its own provider any time and for the buyer once unsealed."""
    if not user.is_authenticated:
        raise Quote.DoesNotExist
    membership = membership_for_user(user=user)
    visible = Q(pk__in=[])
    if membership is not None:
        visible |= Q(provider=membership.provider)
    visible |= Q(request__enterprise__in=enterprises_for_user(user=user)) & ~Q(request__status=R.OPEN)
    if user.is_staff:
        visible |= ~Q(request__status=R.OPEN)
    return (
        Quote.objects.select_related("request")
        .filter(visible)
        .exclude(attachment="")
        .get(pk=quote_pk, request_id=request_pk)
    )


def selections(*, request: RequestForQuotes) -> tuple[Selection | None, list[Selection]]:
    """The current selection (None before the close) and the earlier rounds it superseded, latest
    first, with their winners: one query, none while the request is open."""
    if not request.quotes_unsealed:
        return None, []
    rounds = list(request.selections.select_related("winner__provider"))
    current = next((chosen for chosen in rounds if not chosen.superseded), None)
    return current, [chosen for chosen in rounds if chosen.superseded]


def visible_objections(*, request: RequestForQuotes, sees_all: bool, provider=None) -> list[Objection]:
    """Staff and the buyer (``sees_all``) see every objection; a provider sees its own; decisions are
    public. ``provider``: the one the viewer acts for, if any."""
    queryset = request.objections.select_related("provider")
    if sees_all:
        return list(queryset)
    mine = Q(provider=provider) if provider is not None else Q(pk__in=[])
    return list(queryset.filter(mine | ~Q(status=Objection.Status.PENDING)))


def pending_objections() -> QuerySet[Objection]:
    return Objection.objects.filter(status=Objection.Status.PENDING).select_related(
        "request__enterprise", "provider", "selection__winner__provider"
    )


def beacon_json(request: RequestForQuotes) -> dict | None:
    if not request.beacon:
        return None
    chain = methods.drand.Chain(**request.beacon["chain"])
    return {**request.beacon, "round_url": chain.round_url(request.beacon["round"])}


def result_document(*, request: RequestForQuotes) -> dict:
    """The result as published JSON: every input a selection used and the table it produced, round by
    round, so anyone can rerun ``selection`` on them. Before the deadline only the commitment is public."""
    unsealed = request.quotes_unsealed
    providers = {}
    if unsealed:
        providers = {
            quote.pk: {"provider": quote.provider.name, "credit_code": quote.provider.credit_code}
            for quote in request.quotes.select_related("provider")
        }
    rounds = []
    for chosen in request.selections.order_by("round") if unsealed else []:
        parameters = dict(chosen.parameters)
        candidates = parameters.pop("candidates", None)
        rounds.append(
            {
                "round": chosen.round,
                "method": chosen.method,
                "superseded": chosen.superseded,
                "created_at": chosen.created_at.isoformat(),
                "algorithm": chosen.algorithm,
                "weights": chosen.weights,
                "parameters": parameters,
                "candidates": candidates,
                "table": [{**row, **providers.get(row["quote_id"], {})} for row in chosen.table],
                "winner_quote_id": chosen.winner_id,
            }
        )
    return {
        "request": request.pk,
        "title": request.title,
        "method": request.method,
        "status": request.status,
        "state_funded": request.state_funded,
        "min_valid_quotes": methods.min_valid_quotes(request),
        "deadline": request.deadline.isoformat(),
        "seed_commitment": request.seed_commitment,
        "seed": request.seed if request.seed_is_public else None,
        "seed_revealed_at": request.seed_revealed_at.isoformat() if request.seed_revealed_at else None,
        # The beacon round fixed at publication (and its signature and randomness once verified at the
        # close); without one the draw is commit-reveal only.
        "beacon": beacon_json(request),
        "draw_seed": methods.draw_seed(request) if request.seed_is_public else None,
        "selections": rounds,
    }
