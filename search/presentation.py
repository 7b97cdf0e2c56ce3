"""Turn a SearchResult into what pages and the API show: localized text, safe highlights, facet
links that add a filter, and active filters with a link that removes each."""

import re
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from marketplace.core.regions import region_name

from .documents import ListingDocument
from .query import PRICE_BANDS, QUOTE_BAND, SORTS, SearchQuery, SearchResult

FACET_ORDER = ("category", "region", "price", "rating")


def highlight(text: str, terms) -> SafeString:
    """``text`` HTML-escaped with each query term wrapped in <mark>: safe whatever either contains."""
    terms = sorted({term for term in terms if term}, key=len, reverse=True)
    if not text or not terms:
        return escape(text or "")
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    # Safe: every piece of text was escaped above; only our own <mark> tags are raw.
    return mark_safe("".join(parts))  # noqa: S308


def _money(value: Decimal) -> str:
    return f"¥{value:,.0f}" if value == value.to_integral_value() else f"¥{value:,.2f}"


def price_label(document: ListingDocument) -> str:
    if document.price is None or document.pricing_mode == "quote":
        return _("Quote on request")
    if document.pricing_mode == "from":
        return _("from %(price)s") % {"price": _money(document.price)}
    return _money(document.price)


def price_band_label(key: str) -> str:
    if key == QUOTE_BAND:
        return _("Quote only")
    for band, low, high in PRICE_BANDS:
        if band == key:
            if low is None:
                return _("Under %(price)s") % {"price": _money(high)}
            if high is None:
                return _("%(price)s and more") % {"price": _money(low)}
            return f"{_money(low)} – {_money(high)}"
    return key


def _band_params(key: str) -> dict[str, str]:
    for band, low, high in PRICE_BANDS:
        if band == key:
            return {"price_min": "" if low is None else str(low), "price_max": "" if high is None else str(high)}
    return {}


def _url(base: str, query: SearchQuery, **changes) -> str:
    params = {"q": query.q, **query.filters(), "sort": "" if query.sort == "relevance" else query.sort}
    params.update(changes)
    params = {key: value for key, value in params.items() if value not in ("", None)}
    return f"{base}?{urlencode(params)}" if params else base


def localized_url(url: str) -> str:
    """Documents store paths in the default language (unprefixed); other languages live under
    ``/<language>/`` (``i18n_patterns`` with ``prefix_default_language=False``)."""
    language = get_language() or settings.LANGUAGE_CODE
    if not url.startswith("/") or language == settings.LANGUAGE_CODE:
        return url
    return f"/{language}{url}"


def present_hit(document: ListingDocument, query: SearchQuery) -> dict:
    zh = query.language == "zh"
    title = document.localized("title", "zh" if zh else "en")
    description = document.localized("description", "zh" if zh else "en")
    if len(description) > 220:
        description = description[:220] + "…"
    highlight_terms = list(query.terms)
    return {
        "listing_id": document.listing_id,
        "title": title,
        "title_html": highlight(title, highlight_terms),
        "description": description,
        "description_html": highlight(description, highlight_terms),
        "provider": document.localized("provider_name", "zh" if zh else "en"),
        "category": document.localized("category_name", "zh" if zh else "en"),
        "category_code": document.category_code,
        "regions": [{"code": code, "name": region_name(code)} for code in document.region_codes],
        "pricing_mode": document.pricing_mode,
        "price": None if document.price is None else str(document.price),
        "currency": document.currency,
        "price_display": price_label(document),
        "service_days": document.service_days,
        "rating": document.rating,
        "rating_count": document.rating_count,
        "certified": document.certified,
        "url": localized_url(document.url),
    }


def present_facets(result: SearchResult, base: str) -> list[dict]:
    query = result.query
    facets = []
    titles = {
        "category": _("Service item"),
        "region": _("Region"),
        "price": _("Price"),
        "rating": _("Rating"),
    }
    for name in FACET_ORDER:
        facet = result.facets.get(name)
        if facet is None:
            continue
        values = []
        for value in facet.values:
            if name == "category":
                label, params, selected = (
                    value.label or value.value,
                    {"category": value.value},
                    query.category == value.value,
                )
            elif name == "region":
                label, params = region_name(value.value), {"region": value.value}
                selected = query.region == value.value
            elif name == "price":
                label = price_band_label(value.value)
                params = _band_params(value.value)
                if not params:  # quote-only listings cannot be reached by a price filter
                    continue
                selected = params == {
                    "price_min": "" if query.price_min is None else str(query.price_min),
                    "price_max": "" if query.price_max is None else str(query.price_max),
                }
            else:
                label = _("%(rating)s and up") % {"rating": value.value}
                params, selected = {"rating_min": value.value}, str(query.rating_min or "") == value.value
            values.append(
                {
                    "value": value.value,
                    "label": label,
                    "count": value.count,
                    "selected": selected,
                    "url": _url(base, query, page="", **params),
                }
            )
        facets.append({"name": name, "title": titles[name], "values": values})
    return facets


def active_filters(query: SearchQuery, base: str, category_labels: dict[str, str]) -> list[dict]:
    """Each active filter with a link that removes it (and keeps the rest)."""
    labels = {
        "category": lambda v: _("Service item: %(value)s") % {"value": category_labels.get(v, v)},
        "region": lambda v: _("Region: %(value)s") % {"value": region_name(v)},
        "price_min": lambda v: _("Price from %(value)s") % {"value": _money(Decimal(v))},
        "price_max": lambda v: _("Price up to %(value)s") % {"value": _money(Decimal(v))},
        "rating_min": lambda v: _("Rating %(value)s and up") % {"value": v},
        "max_days": lambda v: _("Delivered within %(value)s days") % {"value": v},
        "certified": lambda v: _("Certified providers only") if v == "1" else _("Uncertified providers"),
    }
    return [
        {"name": name, "label": labels[name](value), "remove_url": _url(base, query, page="", **{name: ""})}
        for name, value in query.filters().items()
    ]


def present(result: SearchResult, base: str, errors: list[str], *, page_base: str | None = None) -> dict:
    """Everything the page and the API show, as plain data. Links go to ``base`` (the search page),
    the previous and next page to ``page_base`` if given (the API's own address, so they can be followed)."""
    query = result.query
    page_base = page_base or base
    facets = present_facets(result, base)
    category_labels = {
        value["value"]: value["label"] for facet in facets if facet["name"] == "category" for value in facet["values"]
    }
    page_count = result.page_count
    return {
        "query": {
            "q": query.q,
            **query.filters(),
            "sort": query.sort,
        },
        "total": result.total,
        "hits": [present_hit(hit.document, query) for hit in result.hits],
        "facets": facets,
        "active_filters": active_filters(query, base, category_labels),
        "page": {
            "number": query.page,
            "size": query.page_size,
            "count": page_count,
            "has_previous": query.page > 1,
            "has_next": query.page < page_count,
            "previous_url": _url(page_base, query, page=str(query.page - 1)) if query.page > 1 else None,
            "next_url": _url(page_base, query, page=str(query.page + 1)) if query.page < page_count else None,
        },
        "sorts": [
            {
                "value": key,
                "label": str(label),
                "selected": key == query.sort,
                "url": _url(base, query, sort=key, page=""),
            }
            for key, label in SORTS.items()
        ],
        "errors": [str(error) for error in errors],
        "clear_url": _url(base, SearchQuery(q=query.q)),
    }
