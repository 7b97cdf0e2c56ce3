"""Public and staff statistics pages, and a CSV file per table.

The views only read the newest snapshot (``services.stats_snapshot_current``): the figures are
computed by the periodic task, or once synchronously when no snapshot exists yet.
"""

import datetime

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.csv_export import csv_response
from marketplace.core.permissions import StaffRequiredMixin
from marketplace.core.regions import region_name

from . import charts, services, tables
from .selectors import CONCENTRATED_HHI


def _provider_url(pk) -> str:
    return reverse("providers:profile", kwargs={"pk": pk})


def _activity_summary(monthly: list[dict]) -> str:
    orders = sum(row["orders"] for row in monthly)
    requests = sum(row["requests"] for row in monthly)
    if not orders and not requests:
        return _("No request was published and no order completed in these %(months)s months.") % {
            "months": len(monthly)
        }
    busiest = max(monthly, key=lambda row: row["orders"])
    return _(
        "Over %(months)s months: %(requests)s requests published and %(orders)s orders completed; "
        "the most orders were completed in %(busiest)s (%(busiest_orders)s). The table below lists every month."
    ) % {
        "months": len(monthly),
        "requests": requests,
        "orders": orders,
        "busiest": busiest["month"],
        "busiest_orders": busiest["orders"],
    }


def _charts(data: dict, found: dict) -> dict:
    months = [row["month"] for row in data["monthly"]]
    monthly = data["monthly"]
    concentration = data["concentration_category"]
    item_names = [row[0] for row in found["concentration_categories"].rows]
    price_names = [row[0] for row in found["prices"].rows]
    return {
        "activity": charts.column_chart(
            chart_id="chart-activity",
            title=_("Requests published and orders completed per month"),
            desc=_activity_summary(monthly),
            labels=[month[2:] for month in months],
            series=[
                charts.Series(_("Requests published"), [row["requests"] for row in monthly]),
                charts.Series(_("Orders completed"), [row["orders"] for row in monthly]),
            ],
            table_id=found["monthly"].dom_id,
        ),
        "quality": charts.line_chart(
            chart_id="chart-quality",
            title=_("On-time delivery and satisfaction per month (%)"),
            desc=_(
                "Share of delivered orders delivered by their deadline, and share of ratings of 4 or more, "
                "per month; months without deliveries or ratings are gaps. The tables below give the figures."
            ),
            labels=[month[2:] for month in months],
            series=[
                charts.Series(_("Delivered on time (%)"), [row["on_time_rate"] for row in monthly]),
                charts.Series(_("Satisfied: rated 4 or more (%)"), [row["satisfaction_rate"] for row in monthly]),
            ],
            table_id=found["satisfaction"].dom_id,
            unit="%",
            top=100,
        ),
        "prices": charts.bar_chart(
            chart_id="chart-prices",
            title=_("Median price of completed orders by service item (CNY)"),
            desc=_(
                "One bar per service item; items without completed orders show a dash. "
                "The table below adds the quartiles."
            ),
            labels=price_names,
            values=[row["median"] for row in data["prices"]],
            table_id=found["prices"].dom_id,
        ),
        "concentration": charts.bar_chart(
            chart_id="chart-concentration",
            title=_("Market concentration (HHI) by service item"),
            desc=_(
                "Herfindahl–Hirschman index per service item, with the line at %(limit)s above which a market "
                "counts as concentrated; %(flagged)s of %(items)s items are above it. "
                "The table below names the top providers."
            )
            % {
                "limit": f"{CONCENTRATED_HHI:,}",
                "flagged": sum(1 for row in concentration if row["concentrated"]),
                "items": len(concentration),
            },
            labels=item_names,
            values=[row["hhi"] for row in concentration],
            table_id=found["concentration_categories"].dom_id,
            threshold=CONCENTRATED_HHI,
            threshold_label=_("concentrated above %(limit)s") % {"limit": f"{CONCENTRATED_HHI:,}"},
        ),
    }


def _drilldown(request, data: dict):
    """The providers table asked for by ``?category=<id>`` or ``?region=<code>``, or None."""
    category = request.GET.get("category", "")
    region = request.GET.get("region", "")
    if category.isdigit():
        return tables.drilldown_table(data, dimension="category", key=category, provider_url=_provider_url)
    if region.isdigit():
        return tables.drilldown_table(data, dimension="region", key=region, provider_url=_provider_url)
    return None


def _csv_response(table: tables.Table, filename: str) -> HttpResponse:
    return csv_response(filename=f"onewindow-{filename}", header=table.columns, rows=table.rows)


def _computed_at(value) -> datetime.datetime:
    return parse_datetime(value) if isinstance(value, str) else value


class StatsView(TemplateView):
    template_name = "transparency/stats/index.html"
    staff = False

    def get_context_data(self, **kwargs):
        computed_at, data = self.snapshot = services.stats_snapshot_current()
        found = tables.public_tables(data)
        context = super().get_context_data(
            computed_at=_computed_at(computed_at),
            window_start=_computed_at(data["window"]["start"]),
            window_end=_computed_at(data["window"]["end"]),
            tables=found,
            charts=_charts(data, found),
            concentrated_hhi=f"{CONCENTRATED_HHI:,}",
            staff_page=self.staff,
            **kwargs,
        )
        return context


class StaffStatsView(StaffRequiredMixin, StatsView):
    """The public figures, plus a drill-down to the providers of one service item or province."""

    staff = True
    template_name = "transparency/stats/staff.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        _computed, data = self.snapshot
        drilldown = _drilldown(self.request, data)
        context.update(
            drilldown=drilldown,
            drilldown_query=self.request.GET.urlencode() if drilldown else "",
            drilldown_requested=bool(self.request.GET.get("category") or self.request.GET.get("region")),
            category_links=[
                (row["category"], name)
                for row, name in zip(
                    data["concentration_category"],
                    (r[0] for r in context["tables"]["concentration_categories"].rows),
                    strict=True,
                )
                if row["providers"]
            ],
            region_links=[(row["region"], region_name(row["region"])) for row in data["concentration_region"]],
        )
        return context


class StatsCsvView(View):
    """``/stats/<table>.csv``: the same strings as the page's table (empty where it shows "—")."""

    def get(self, request, table):
        _computed, data = services.stats_snapshot_current()
        found = tables.public_tables(data).get(table)
        if found is None:
            raise Http404("No such table")
        return _csv_response(found, table)


class StaffDrilldownCsvView(StaffRequiredMixin, View):
    """``/stats/staff/providers.csv?category=<id>`` (or ``?region=<code>``): one market's providers."""

    def get(self, request):
        _computed, data = services.stats_snapshot_current()
        found = _drilldown(request, data)
        if found is None:
            raise Http404("No such market in this period")
        return _csv_response(found, found.slug)
