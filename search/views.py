"""The search page: parse the GET parameters once, run the search, render HTML (its JSON twin is
``api.py``)."""

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .backends.base import SearchUnavailable
from .presentation import present
from .query import parse_search_params
from .services import search_listings


def run_search(params):
    """The search ``params`` (GET parameters) ask for: (result or None if the backend is down, the
    query as understood, messages about whatever was ignored)."""
    query, errors = parse_search_params(params, language=get_language() or "en")
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
        result, query, errors = run_search(self.request.GET)
        base = self.request.path
        context["search_query"] = query
        context["unavailable"] = result is None
        if result is not None:
            context["search"] = present(result, base, errors)
        else:
            context["search"] = {"errors": errors, "hits": [], "total": 0, "facets": [], "active_filters": []}
        return context
