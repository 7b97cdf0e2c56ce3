"""``/api/search/`` and ``/api/search/suggest/``: the search page's results and the header box's
suggestions as JSON, described in the public API's schema (``marketplace/public_api.py``).

Like the page, the search is forgiving: a filter it cannot use is ignored and said so in ``errors``
(a 200), never refused; only a search backend that is down is an error (503).
"""

from typing import Any

from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Schema
from pydantic import Field

from marketplace.core.api_common import ApiError, ApiRouter, Page, error_response

from .backends import get_backend
from .backends.base import SearchUnavailable
from .presentation import localized_url, present
from .query import MAX_PAGE, MAX_QUERY_LENGTH, PAGE_SIZE, SORTS
from .views import run_search

SUGGEST_MIN, SUGGEST_MAX = 1, 50

router = ApiRouter(tags=["Search"])


class SearchParams(Schema):
    q: str | None = Field(None, description=f"Words to find (the first {MAX_QUERY_LENGTH} characters are used).")
    category: str | None = Field(None, description="A service-item code (`eia`, `surveying`, ...).")
    region: str | None = Field(None, description="A GB/T 2260 region code (`610100`); a province covers its cities.")
    price_min: str | None = Field(None, description="Lowest price in CNY, 0 to 100,000,000.")
    price_max: str | None = Field(None, description="Highest price in CNY, 0 to 100,000,000.")
    rating_min: str | None = Field(None, description="Lowest average rating, 0 to 5.")
    max_days: str | None = Field(None, description="Longest promised delivery, in days (1 to 3650).")
    certified: str | None = Field(None, description="`1` for certified providers only, `0` for uncertified.")
    sort: str | None = Field(None, description="One of: " + ", ".join(f"`{key}`" for key in SORTS) + ".")
    page: str | None = Field(None, description=f"Page number from 1 (at most {MAX_PAGE}), {PAGE_SIZE} hits a page.")


class Region(Schema):
    code: str
    name: str


class Hit(Schema):
    listing_id: int
    title: str
    title_html: str = Field(description="The title, HTML-escaped, with the words searched for in `<mark>`.")
    description: str
    description_html: str
    provider: str
    category: str
    category_code: str
    regions: list[Region]
    pricing_mode: str = Field(description="`fixed`, `from` or `quote`.")
    price: str | None = Field(description="A decimal in CNY; null when the price is on request.")
    currency: str
    price_display: str
    service_days: int | None
    rating: float | None = Field(description="Bayesian average of the buyers' ratings (1 to 5).")
    rating_count: int
    certified: bool
    url: str = Field(description="The listing's page.")


class FacetValue(Schema):
    value: str
    label: str
    count: int
    selected: bool
    url: str = Field(description="The search page with this filter added.")


class Facet(Schema):
    name: str = Field(description="`category`, `region`, `price` or `rating`.")
    title: str
    values: list[FacetValue]


class ActiveFilter(Schema):
    name: str
    label: str
    remove_url: str = Field(description="The search page without this filter.")


class SearchResults(Schema):
    query: dict[str, Any] = Field(description="The search as understood: `q`, the filters in use and `sort`.")
    total: int
    hits: list[Hit]
    facets: list[Facet]
    active_filters: list[ActiveFilter]
    page: Page
    errors: list[str] = Field(description="What was ignored or changed in the parameters, for people.")


class SearchUnavailableError(ApiError):
    errors: list[str]
    hits: list[Hit]
    total: int


class Suggestion(Schema):
    text: str
    kind: str = Field(description="`category` or `listing`.")
    value: str = Field(description="The service-item code, or the listing id.")
    url: str


class Suggestions(Schema):
    suggestions: list[Suggestion]


class SuggestionsUnavailableError(ApiError):
    suggestions: list[Suggestion]
    errors: list[str]


@router.get(
    "/api/search/",
    url_name="search",
    summary="Search listings",
    response={200: SearchResults, 503: SearchUnavailableError},
)
def search(request, params: Query[SearchParams]):
    """The same search as the page `/search/`, with the same parameters: hits, facet counts and the page."""
    result, _query, messages = run_search(params.model_dump(exclude_none=True))
    if result is None:
        return error_response("unavailable", messages[-1], 503, errors=messages, hits=[], total=0)
    data = present(result, reverse("search:search"), messages, page_base=request.path)
    data.pop("sorts")
    data.pop("clear_url")
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@router.get(
    "/api/search/suggest/",
    url_name="suggest",
    summary="Suggest service items and listings",
    response={200: Suggestions, 503: SuggestionsUnavailableError},
)
def suggest(request, q: str = Query("", description=f"What was typed so far (the first {SUGGEST_MAX} characters).")):
    """Service items and listing titles starting with `q`, for a search box."""
    prefix = q.strip()[:SUGGEST_MAX]
    if len(prefix) < SUGGEST_MIN:
        return JsonResponse({"suggestions": []})
    try:
        suggestions = get_backend().suggest(prefix, get_language() or "en")
    except SearchUnavailable:
        message = _("Suggestions are unavailable just now.")
        return error_response("unavailable", message, 503, suggestions=[], errors=[message])
    search_url = reverse("search:search")
    return JsonResponse(
        {
            "suggestions": [
                {
                    "text": suggestion.text,
                    "kind": suggestion.kind,
                    "value": suggestion.value,
                    "url": localized_url(suggestion.url)
                    if suggestion.url
                    else f"{search_url}?category={suggestion.value}",
                }
                for suggestion in suggestions
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )
