"""Published procurement results as JSON, described in the public API's schema
(``marketplace/public_api.py``): the results list (``/requests/results.json``, the page
``/requests/results/`` with the same filters) and one request's result (``/requests/<pk>/result.json``:
every input each round used and the table it produced, for anyone to recompute with
``tools/recompute_draw.py``)."""

from datetime import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Path, Query, Schema
from pydantic import ConfigDict, Field

from marketplace.core.api_common import (
    BAD_PARAMETER,
    NOT_FOUND,
    ApiError,
    ApiRouter,
    Page,
    error_response,
    errors,
    page_url,
)
from marketplace.core.regions import region_name

from . import selectors
from .feeds import outcome_label
from .forms import ResultFilterForm
from .models import Method, RequestForQuotes

RESULTS_PAGE_SIZE = selectors.RESULTS_PAGE_SIZE

router = ApiRouter(tags=["Procurement"])


class TableRow(Schema):
    """One candidate's line in a round's table; the other columns depend on the method (price, score,
    position, tie break, ...), and the provider's name and credit code once quotes are unsealed."""

    model_config = ConfigDict(extra="allow")

    quote_id: int


class SelectionRound(Schema):
    round: int
    method: str
    superseded: bool = Field(description="True once an upheld objection replaced this round.")
    created_at: datetime
    algorithm: str = Field(description="The published algorithm, in words.")
    weights: dict[str, Any]
    parameters: dict[str, Any] = Field(description="What the method derived: shortlist, benchmark, factor, ...")
    candidates: Any = Field(description="The eligible quotes the round started from, if the method publishes them.")
    table: list[TableRow]
    winner_quote_id: int | None


class SelectionResult(Schema):
    request: int
    title: str
    method: str = Field(description="`direct`, `lowest_price`, `random_draw` or `scored`.")
    status: str
    state_funded: bool
    min_valid_quotes: int
    deadline: datetime
    seed_commitment: str = Field(description="SHA-256 of the draw's secret seed, published when the request opened.")
    seed: str | None = Field(description="The secret seed, once revealed after the deadline.")
    seed_revealed_at: datetime | None
    beacon: dict[str, Any] | None = Field(description="The public randomness beacon round mixed into the draw, if any.")
    draw_seed: str | None
    selections: list[SelectionRound] = Field(description="Round by round; empty until the quotes are unsealed.")


class Organisation(Schema):
    name: str
    credit_code: str = Field(description="The unified social credit code (GB 32100-2015).")


class Coded(Schema):
    code: str
    name: str


class Winner(Schema):
    provider: Organisation
    price: str = Field(description="The winning quote, a decimal in CNY.")


class ResultRow(Schema):
    request: int
    title: str
    enterprise: Organisation
    category: Coded = Field(description="The service item.")
    region: Coded = Field(description="The project's region (GB/T 2260).")
    method: str
    addressed: bool = Field(description="Addressed to one provider rather than open to all.")
    status: str = Field(description="`publicity`, `awarded`, `failed` or `cancelled`.")
    outcome: str = Field(description="The outcome in words, in the address's language.")
    result_at: datetime
    winner: Winner | None = Field(description="The selected (in publicity) or awarded provider; null otherwise.")
    url: str = Field(description="The request's page.")
    result_url: str = Field(description="Its result as JSON, to recompute.")


class Results(Schema):
    total: int
    results: list[ResultRow]
    page: Page


class FilterError(ApiError):
    errors: dict[str, list[str]] | None = Field(
        None, description="Each filter that is not valid, with why (absent when a parameter's type is wrong)."
    )


def _row(rfq: RequestForQuotes) -> dict:
    winner = selectors.winning_quote(rfq)
    return {
        "request": rfq.pk,
        "title": rfq.title,
        "enterprise": {"name": rfq.enterprise.localized("name"), "credit_code": rfq.enterprise.credit_code},
        "category": {"code": rfq.category.code, "name": rfq.category.localized("name")},
        "region": {"code": rfq.region, "name": region_name(rfq.region)},
        "method": rfq.method,
        "addressed": rfq.is_addressed,
        "status": rfq.status,
        "outcome": str(outcome_label(rfq)),
        "result_at": rfq.result_at.isoformat(),
        "winner": None
        if winner is None
        else {
            "provider": {"name": winner.provider.localized("name"), "credit_code": winner.provider.credit_code},
            "price": str(winner.price),
        },
        "url": rfq.get_absolute_url(),
        "result_url": reverse("procurement:result-json", args=[rfq.pk]),
    }


@router.get(
    "/requests/results.json",
    url_name="results-json",
    summary="The published results of requests for quotes",
    response={200: Results, 400: FilterError},
)
def results(
    request,
    category: str | None = Query(None, description="A service item's id."),  # the form says what is wrong
    region: str | None = Query(None, description="A GB/T 2260 region code; a province includes its cities."),
    method: str | None = Query(None, description="One of: " + ", ".join(f"`{m}`" for m in Method.values) + "."),
    status: str | None = Query(None, description="`publicity`, `awarded`, `failed` or `cancelled`."),
    date_from: str | None = Query(None, description="Results on or after this day, YYYY-MM-DD."),
    date_to: str | None = Query(None, description="Results on or before this day, YYYY-MM-DD."),
    page: int = Query(1, ge=1, description=f"Page number from 1, {RESULTS_PAGE_SIZE} results a page."),
):
    """The list of `/requests/results/`: requests in their publicity period, awarded, failed or
    cancelled, the latest result first. A filter that is not valid is a 400 naming it."""
    # The page's own form reads the filters (the signature above says what they are), so that both
    # accept and refuse the same things.
    form = ResultFilterForm(request.GET)
    if not form.is_valid():
        problems = {name: [str(error) for error in messages] for name, messages in form.errors.items()}
        name, first = next(iter(problems.items()))
        message = (
            first[0]
            if name == NON_FIELD_ERRORS
            else _("“%(name)s” is not valid: %(reason)s")
            % {
                "name": name,
                "reason": first[0],
            }
        )
        return error_response(BAD_PARAMETER, message, 400, errors=problems)
    listed = Paginator(selectors.published_results(**form.filters()), RESULTS_PAGE_SIZE).get_page(page)
    applied = {name: form.data[name] for name in form.filters()}
    return JsonResponse(
        {
            "total": listed.paginator.count,
            "results": [_row(rfq) for rfq in listed.object_list],
            "page": {
                "number": listed.number,
                "size": RESULTS_PAGE_SIZE,
                "count": listed.paginator.num_pages,
                "has_previous": listed.has_previous(),
                "has_next": listed.has_next(),
                "previous_url": page_url(request, **applied, page=listed.number - 1) if listed.has_previous() else None,
                "next_url": page_url(request, **applied, page=listed.number + 1) if listed.has_next() else None,
            },
        },
        json_dumps_params={"ensure_ascii": False},
    )


@router.get(
    "/requests/{int:pk}/result.json",
    url_name="result-json",
    summary="A request's selection result, to recompute it",
    response={200: SelectionResult, **errors(404)},
)
def result_json(request, pk: int = Path(description="The request's number.")):
    """Before the deadline only the commitment to the draw's seed is public."""
    try:
        rfq = selectors.public_request(pk=pk)
    except RequestForQuotes.DoesNotExist:
        return error_response(NOT_FOUND, _("No request has this number."), 404)
    response = JsonResponse(selectors.result_document(request=rfq), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'inline; filename="request-{rfq.pk}-result.json"'
    return response
