"""The provider's earnings page and the staff money desk (payment differences). The order's payment pages
and the gateway's webhook endpoint move the order, so they live with hiring
(``marketplace.hiring.payment_views``, ``marketplace.hiring.webhooks``).
"""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.csv_export import csv_response, xlsx_response
from marketplace.core.permissions import StaffRequiredMixin
from marketplace.core.selectors import request_organisations
from marketplace.core.views import flash_service_errors

from . import reconciliation, selectors, statements
from .forms import DifferenceResolveForm, StatementForm
from .models import PaymentRecord, Payout
from .money import fen_to_yuan

# Payouts the provider is still owed: not sent yet, or held while something about the order is settled.
WAITING = (Payout.Status.PENDING, Payout.Status.HELD)


class EarningsView(LoginRequiredMixin, TemplateView):
    template_name = "payments/earnings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payouts = selectors.payouts_for_user(user=self.request.user)
        totals = dict(payouts.values_list("status").annotate(total=Sum("amount_fen")).values_list("status", "total"))
        context.update(
            payouts=payouts[:200],
            waiting=fen_to_yuan(sum(totals.get(status, 0) for status in WAITING)),
            paid_out=fen_to_yuan(totals.get(Payout.Status.PAID, 0)),
        )
        return context


class StatementView(LoginRequiredMixin, TemplateView):
    """A party's finance statement for a period: totals and the first lines on the page, every line as
    CSV or XLSX (``?format=csv|xlsx`` with the same period). Scoped to the person's own organisations."""

    template_name = "payments/statement.html"
    PREVIEW = 50

    def get(self, request, *args, **kwargs):
        sides = statements.sides(request_organisations(request))
        today = timezone.localdate()
        # Unasked, the statement of this month so far; a link may name only the side.
        first = today.replace(day=1)
        defaults = {"start": first.isoformat(), "end": today.isoformat(), "side": sides[0] if sides else ""}
        form = StatementForm(defaults | request.GET.dict(), sides=sides)
        context = self.get_context_data(form=form, sides=sides)
        if not sides or not form.is_valid():
            return self.render_to_response(context)
        period = statements.Period(form.cleaned_data["start"], form.cleaned_data["end"])
        side = form.cleaned_data["side"]
        lines = statements.statement_lines(organisations=request_organisations(request), side=side, period=period)
        filename = f"onewindow-{side}-statement-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
        wanted = request.GET.get("format")
        invoice_rows = statements.invoice_rows(organisations=request_organisations(request), side=side, period=period)
        if wanted == "csv":
            if request.GET.get("part") == "invoices":
                return csv_response(
                    filename=f"{filename}-invoices", header=statements.INVOICE_HEADER, rows=invoice_rows
                )
            return csv_response(filename=filename, header=statements.HEADER, rows=statements.rows(lines))
        by_kind = statements.kind_totals(lines)
        kind_rows = [
            (label, fen_to_yuan(by_kind[kind])) for kind, label in PaymentRecord.Kind.choices if kind in by_kind
        ]
        net = fen_to_yuan(statements.net(side, by_kind))
        if wanted == "xlsx":
            summary = [*kind_rows, (_("Net"), net)]
            return xlsx_response(
                filename=filename,
                sheets=[
                    (_("Lines"), statements.HEADER, statements.rows(lines)),
                    (_("Totals"), (_("Kind"), "amount_cny"), summary),
                    (_("Invoices"), statements.INVOICE_HEADER, invoice_rows),
                ],
            )
        context.update(
            period=period,
            side=side,
            kind_totals=kind_rows,
            net=net,
            preview=list(lines[: self.PREVIEW]),
            line_count=lines.count(),
            downloads={kind: _with_format(request.GET, kind) for kind in ("csv", "xlsx")},
            invoices_csv=_with_format(request.GET, "csv") + "&part=invoices",
        )
        return self.render_to_response(context)


def _with_format(params, wanted: str) -> str:
    query = params.copy()
    query["format"] = wanted
    return query.urlencode()


class _MoneyDeskMixin(StaffRequiredMixin):
    staff_only_message = gettext_lazy("Only platform staff may handle payment differences.")


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class DifferencesView(_MoneyDeskMixin, TemplateView):
    """Open differences (paginated, each with a form to close it) and what was corrected lately.

    ``?format=csv`` downloads every open difference, not one page.
    """

    template_name = "payments/differences.html"
    per_page = 25
    recent_days = 30
    recent_limit = 50
    csv_columns = (
        (gettext_lazy("Found at"), lambda d: _local(d.found_at)),
        (gettext_lazy("Kind"), lambda d: d.get_kind_display()),
        (gettext_lazy("Order"), lambda d: d.service_order.order.number if d.service_order else ""),
        (gettext_lazy("Amount (CNY)"), lambda d: d.amount),
        (gettext_lazy("Detail"), lambda d: d.detail),
        (gettext_lazy("About"), lambda d: d.key),
    )

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(reconciliation.differences_open(), self.per_page).get_page(self.request.GET.get("page"))
        since = timezone.now() - datetime.timedelta(days=self.recent_days)
        context.update(
            page=page,
            rows=[(d, DifferenceResolveForm(auto_id=f"difference-{d.pk}-%s")) for d in page.object_list],
            recent=list(selectors.differences_resolved_since(since=since)[: self.recent_limit]),
            recent_days=self.recent_days,
            recent_limit=self.recent_limit,
        )
        return context

    def csv_response(self):
        rows = (
            [value(d) for _heading, value in self.csv_columns]
            for d in reconciliation.differences_open().iterator(chunk_size=500)
        )
        return csv_response(
            filename=f"payment-differences-{timezone.localdate():%Y-%m-%d}",
            header=[heading for heading, _value in self.csv_columns],
            rows=rows,
        )


class DifferenceResolveView(_MoneyDeskMixin, View):
    def post(self, request, pk):
        if selectors.difference_find(pk=pk) is None:
            raise Http404("No such payment difference")
        form = DifferenceResolveForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("payments:differences")
        try:
            reconciliation.difference_resolve(
                difference_id=pk, user=request.user, resolution=form.cleaned_data["resolution"]
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(
                request, _("The difference is closed; its order's payout goes once nothing else holds it.")
            )
        return redirect("payments:differences")
