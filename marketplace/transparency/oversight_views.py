"""Staff watch lists: thin pages over ``oversight`` selectors, each paginated, each staff-only.

Every list also downloads as CSV (``?format=csv``): all rows, not one page, with the columns the
page shows, streamed in the same constant number of queries.
"""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from marketplace.core.csv_export import csv_response
from marketplace.core.i18n import localized
from marketplace.core.permissions import StaffRequiredMixin

from . import conf, oversight


class OverviewView(StaffRequiredMixin, TemplateView):
    template_name = "transparency/oversight/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            counts=oversight.overview_counts(),
            window_days=conf.get("OVERSIGHT_WINDOW_DAYS"),
            expiry_days=conf.get("OVERSIGHT_EXPIRY_DAYS"),
        )
        return context


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _number(value, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}"


class _WatchList(StaffRequiredMixin, TemplateView):
    """One page of a selector's rows; ``annotate_row`` adds figures computed from loaded fields.

    ``csv_columns`` pairs a column heading with a function of an annotated row.
    """

    per_page = 25
    title = ""
    csv_name = ""
    csv_columns: tuple = ()

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)

    def rows(self):
        raise NotImplementedError

    def annotate_row(self, row):
        return row

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(self.rows(), self.per_page).get_page(self.request.GET.get("page"))
        context.update(page=page, rows=[self.annotate_row(row) for row in page.object_list], title=self.title)
        return context

    def csv_response(self) -> HttpResponse:
        rows = (
            [value(row) for _heading, value in self.csv_columns]
            for row in map(self.annotate_row, self.rows().iterator(chunk_size=500))
        )
        return csv_response(
            filename=f"{self.csv_name}-{self.today:%Y-%m-%d}",
            header=[heading for heading, _value in self.csv_columns],
            rows=rows,
        )


class OverdueOrdersView(_WatchList):
    template_name = "transparency/oversight/overdue.html"
    title = _("Overdue orders")
    csv_name = "overdue-orders"
    csv_columns = (
        (_("Order"), lambda so: so.order.number),
        (_("Service"), lambda so: so.title),
        (_("Days overdue"), lambda so: so.days_overdue),
        (_("Promised deadline"), lambda so: _local(so.due_at)),
        (_("Enterprise"), lambda so: localized(so.enterprise, "name")),
        (_("Provider"), lambda so: localized(so.provider, "name")),
        (_("Service item"), lambda so: localized(so.category, "name") if so.category else ""),
        (_("Status"), lambda so: so.get_status_display()),
    )

    def rows(self):
        return oversight.overdue_orders(now=self.now)

    def annotate_row(self, row):
        row.days_overdue = oversight.days_overdue(row, now=self.now)
        return row


def _percent(rate) -> str:
    return "" if rate is None else f"{100 * rate:.0f}%"


class ProvidersBelowThresholdView(_WatchList):
    template_name = "transparency/oversight/providers.html"
    title = _("Providers below a threshold")
    csv_name = "providers-below-threshold"
    csv_columns = (
        (_("Provider"), lambda p: localized(p, "name")),
        (_("Rating (this window)"), lambda p: _number(p.current_rating)),
        (_("Ratings (this window)"), lambda p: p.current_ratings),
        (_("Rating (previous window)"), lambda p: _number(p.previous_rating)),
        (_("Ratings (previous window)"), lambda p: p.previous_ratings),
        (_("On time (this window)"), lambda p: _percent(p.current_on_time_rate)),
        (_("Orders (this window)"), lambda p: p.current_timed),
        (_("On time (previous window)"), lambda p: _percent(p.previous_on_time_rate)),
        (_("Orders (previous window)"), lambda p: p.previous_timed),
        (_("Rating below threshold"), lambda p: "1" if p.rating_breached else "0"),
        (_("On-time rate below threshold"), lambda p: "1" if p.on_time_breached else "0"),
    )

    def rows(self):
        return oversight.providers_below_threshold(now=self.now)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            window_days=conf.get("OVERSIGHT_WINDOW_DAYS"),
            min_rating=conf.get("OVERSIGHT_MIN_RATING"),
            min_on_time_percent=round(100 * conf.get("OVERSIGHT_MIN_ON_TIME_RATE")),
            min_sample=conf.get("OVERSIGHT_MIN_SAMPLE"),
        )
        return context


class _QualificationList(_WatchList):
    template_name = "transparency/oversight/qualifications.html"
    csv_columns = (
        (_("Provider"), lambda q: localized(q.provider, "name")),
        (_("Service item"), lambda q: localized(q.category, "name")),
        (_("Certificate number"), lambda q: q.certificate_number),
        (_("Valid until"), lambda q: q.valid_until.isoformat()),
        (_("Days left"), lambda q: q.days_left),
        (_("Published listings"), lambda q: q.published_listings),
    )

    def annotate_row(self, row):
        row.days_left = oversight.days_left(row, today=self.today)
        row.days_lapsed = -row.days_left
        return row


class ExpiringQualificationsView(_QualificationList):
    title = _("Qualifications expiring soon")
    csv_name = "qualifications-expiring"

    def rows(self):
        return oversight.expiring_qualifications(today=self.today)

    def get_context_data(self, **kwargs):
        return super().get_context_data(expiry_days=conf.get("OVERSIGHT_EXPIRY_DAYS"), **kwargs)


class ExpiredQualificationsView(_QualificationList):
    title = _("Expired qualifications behind published listings")
    csv_name = "qualifications-expired-with-listings"

    def rows(self):
        return oversight.expired_qualifications_with_listings(today=self.today)

    def get_context_data(self, **kwargs):
        return super().get_context_data(expired=True, **kwargs)


class _AgedList(_WatchList):
    def annotate_row(self, row):
        row.age_days = oversight.age_in_days(row.created_at, now=self.now)
        return row


class OpenObjectionsView(_AgedList):
    template_name = "transparency/oversight/objections.html"
    title = _("Open objections")
    csv_name = "objections-open"
    csv_columns = (
        (_("Request for quotes"), lambda o: o.request.title),
        (_("Enterprise"), lambda o: localized(o.request.enterprise, "name")),
        (_("Filed by"), lambda o: localized(o.provider, "name")),
        (_("Filed at"), lambda o: _local(o.created_at)),
        (_("Age (days)"), lambda o: o.age_days),
        (_("Reason"), lambda o: o.reason),
    )

    def rows(self):
        return oversight.open_objections()


class OpenDisputesView(_AgedList):
    template_name = "transparency/oversight/disputes.html"
    title = _("Open disputes")
    csv_name = "disputes-open"
    csv_columns = (
        (_("Order"), lambda d: d.service_order.order.number),
        (_("Enterprise"), lambda d: localized(d.service_order.enterprise, "name")),
        (_("Provider"), lambda d: localized(d.service_order.provider, "name")),
        (_("Opened at"), lambda d: _local(d.created_at)),
        (_("Age (days)"), lambda d: d.age_days),
        (_("Reason"), lambda d: d.reason),
    )

    def rows(self):
        return oversight.open_disputes()


class OverdueInvoicesView(_WatchList):
    template_name = "transparency/oversight/invoices.html"
    title = _("Overdue invoice requests")
    csv_name = "invoice-requests-overdue"
    csv_columns = (
        (_("Order"), lambda r: r.service_order.order.number),
        (_("Enterprise"), lambda r: localized(r.service_order.enterprise, "name")),
        (_("Provider"), lambda r: localized(r.service_order.provider, "name")),
        (_("Amount (CNY)"), lambda r: r.amount),
        (_("Requested"), lambda r: _local(r.requested_at)),
        (_("Due"), lambda r: _local(r.due_at)),
        (_("Days overdue"), lambda r: r.days_overdue),
    )

    def rows(self):
        return oversight.overdue_invoice_requests(now=self.now)

    def annotate_row(self, row):
        row.days_overdue = oversight.age_in_days(row.due_at, now=self.now)
        return row
