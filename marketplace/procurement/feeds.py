"""The Atom feed of published results (``/requests/results/feed/``): the results list's newest rows, with
the same filters in the same query string. Links are absolute on ``PUBLIC_BASE_URL``, like every other
address the platform hands out."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from marketplace.core.regions import region_name

from . import selectors
from .forms import ResultFilterForm
from .models import RequestForQuotes

R = RequestForQuotes.Status
FEED_SIZE = 50


def outcome_label(rfq: RequestForQuotes) -> str:
    """A ``published_results`` row's outcome in words, as the list and the feed show it."""
    if rfq.status == R.PUBLICITY:
        if rfq.publicity_running:
            until = timezone.localtime(rfq.publicity_ends_at).strftime("%Y-%m-%d %H:%M")
            return _("In the publicity period until %(until)s") % {"until": until}
        # Over, but an objection is still pending or the award has not run yet.
        return _("Publicity period over; award pending")
    if rfq.status == R.FAILED:
        if rfq.status_reason == "too_few_quotes":
            return _("Failed: too few valid quotes")
        return _("Failed: no eligible quote")
    return rfq.get_status_display()


def filter_query(form: ResultFilterForm) -> str:
    """The query string of the filters ``form`` applies, as typed (empty when none)."""
    applied = form.filters()
    return urlencode([(name, form.data[name]) for name in form.fields if name in applied])


def absolute(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


class BadFilters(Exception):
    def __init__(self, form: ResultFilterForm):
        super().__init__("bad filters")
        self.form = form


@dataclass(frozen=True)
class FeedQuery:
    filters: dict
    query: str


class ResultsFeed(Feed):
    """New results, latest first: one entry per request and outcome (the award is a new entry after the
    publicity period's). A filter that does not validate is a 400 with its message, not a quietly wider
    feed."""

    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except BadFilters as bad:
            lines = [_("The feed's filters are not valid:")]
            for name, errors in bad.form.errors.items():
                label = bad.form.fields[name].label if name in bad.form.fields else ""
                lines += [f"{label}: {error}" if label else str(error) for error in errors]
            return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")

    def get_object(self, request, *args, **kwargs) -> FeedQuery:
        form = ResultFilterForm(request.GET)
        if not form.is_valid():
            raise BadFilters(form)
        return FeedQuery(filters=form.filters(), query=filter_query(form))

    def title(self, obj: FeedQuery) -> str:
        return _("Results of requests for quotes — OneWindow")

    def subtitle(self, obj: FeedQuery) -> str:
        return _("Selections in their publicity period, awards, and requests that failed or were cancelled.")

    def author_name(self, obj: FeedQuery) -> str:
        return _("OneWindow")

    def link(self, obj: FeedQuery) -> str:
        return absolute(reverse("procurement:results") + (f"?{obj.query}" if obj.query else ""))

    def feed_url(self, obj: FeedQuery) -> str:
        return absolute(reverse("procurement:results-feed") + (f"?{obj.query}" if obj.query else ""))

    def items(self, obj: FeedQuery) -> list[RequestForQuotes]:
        return list(selectors.published_results(**obj.filters)[:FEED_SIZE])

    def item_title(self, item: RequestForQuotes) -> str:
        return f"{outcome_label(item)}: {item.title}"

    def item_link(self, item: RequestForQuotes) -> str:
        return absolute(item.get_absolute_url())

    def item_guid(self, item: RequestForQuotes) -> str:
        return f"{absolute(item.get_absolute_url())}#result-{item.status}"

    def item_pubdate(self, item: RequestForQuotes):
        return item.result_at

    def item_updateddate(self, item: RequestForQuotes):
        return item.result_at

    def item_author_name(self, item: RequestForQuotes) -> str:
        return item.enterprise.localized("name")

    def item_categories(self, item: RequestForQuotes) -> list[str]:
        return [item.category.localized("name")]

    def item_description(self, item: RequestForQuotes) -> str:
        facts = [
            (_("Outcome"), outcome_label(item)),
            (_("Service item"), item.category.localized("name")),
            (_("Enterprise"), item.enterprise.localized("name")),
            (_("Project region"), region_name(item.region)),
            (_("Selection method"), item.get_method_display()),
        ]
        winner = selectors.winning_quote(item)
        if winner is not None:
            label = _("Awarded to") if item.status == R.AWARDED else _("Selected provider")
            facts += [(label, winner.provider.localized("name")), (_("Price (CNY)"), f"¥{winner.price}")]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", facts))
