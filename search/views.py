"""Thin views: parse the GET parameters once, run the search, render HTML or JSON."""

from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from .backends import get_backend
from .backends.base import SearchUnavailable
from .presentation import localized_url, present
from .query import parse_search_params
from .services import search_listings

SUGGEST_MIN, SUGGEST_MAX = 1, 50


def _run(request):
    query, errors = parse_search_params(request.GET, language=get_language() or "en")
    try:
        result, messages = search_listings(query=query)
    except SearchUnavailable:
        return None, query, [*errors, _("Search is unavailable just now; please try again in a minute.")]
    return result, query, [*errors, *messages]


class SearchView(TemplateView):
    """``/search/``: results with facet counts, removable filters, highlights and pagination."""

    template_name = "search/results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        result, query, errors = _run(self.request)
        base = self.request.path
        context["search_query"] = query
        context["unavailable"] = result is None
        if result is not None:
            context["search"] = present(result, base, errors)
        else:
            context["search"] = {"errors": errors, "hits": [], "total": 0, "facets": [], "active_filters": []}
        return context


class SearchApiView(View):
    """``/api/search/``: the same search as JSON (hits, total, facets, page, errors)."""

    def get(self, request):
        result, query, errors = _run(request)
        if result is None:
            return JsonResponse({"errors": errors, "hits": [], "total": 0}, status=503)
        data = present(result, reverse("search:search"), errors)
        data.pop("sorts")
        data.pop("clear_url")
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


class SuggestApiView(View):
    """``/api/search/suggest/?q=``: service items and listing titles for the header box."""

    def get(self, request):
        prefix = (request.GET.get("q") or "").strip()[:SUGGEST_MAX]
        if len(prefix) < SUGGEST_MIN:
            return JsonResponse({"suggestions": []})
        try:
            suggestions = get_backend().suggest(prefix, get_language() or "en")
        except SearchUnavailable:
            return JsonResponse({"suggestions": [], "errors": [_("Suggestions are unavailable just now.")]}, status=503)
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
