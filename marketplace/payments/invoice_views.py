"""The invoices page (发票): a buyer's payments with their invoice requests, a provider's requests to
answer (overdue first) and the platform's fee invoice records; and the actions on them. Everything is
scoped to the acting person's organisations: another organisation's payment or request is a 404."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.selectors import request_organisations
from marketplace.core.storage import private_file_response
from marketplace.core.views import flash_service_errors
from marketplace.enterprises.selectors import invoice_titles

from . import invoices
from .forms import InvoiceIssueForm, InvoiceRequestForm
from .models import InvoiceRequest, PaymentRecord

SHOWN = 100


def _auto_id(payment_id) -> str:
    """Each payment's request form on the page gets its own element ids (the field names stay the same)."""
    return f"id_p{payment_id}_%s"


class InvoicesView(LoginRequiredMixin, TemplateView):
    template_name = "payments/invoices.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisations = request_organisations(self.request)
        context["organisations"] = organisations
        if organisations.enterprise_ids:
            titles = list(invoice_titles(enterprise_ids=organisations.enterprise_ids))
            payments = list(invoices.buyer_payments(organisations=organisations)[:SHOWN])
            live = invoices.live_requests_by_payment(payment.pk for payment in payments)
            failed = kwargs.get("failed_form")
            rows = []
            for payment in payments:
                form = None
                if payment.pk not in live:
                    mine = failed if failed is not None and failed.data.get("payment") == str(payment.pk) else None
                    form = mine or InvoiceRequestForm(
                        initial={"payment": payment.pk}, titles=titles, auto_id=_auto_id(payment.pk)
                    )
                rows.append((payment, live.get(payment.pk), form))
            context.update(
                buyer_rows=rows, has_titles=bool(titles), titles_enterprise=min(organisations.enterprise_ids)
            )
        if organisations.provider_ids:
            context.update(
                provider_requests=list(invoices.provider_requests(organisations=organisations)[:SHOWN]),
                fee_invoices=list(invoices.fee_invoices_for(organisations=organisations)[:SHOWN]),
            )
        return context


class InvoiceRequestView(LoginRequiredMixin, View):
    def post(self, request):
        organisations = request_organisations(request)
        payment_id = request.POST.get("payment", "")
        form = InvoiceRequestForm(
            request.POST,
            titles=invoice_titles(enterprise_ids=organisations.enterprise_ids),
            auto_id=_auto_id(payment_id),
        )
        if not form.is_valid():
            # The page again, this payment's form with what was entered and why it was refused.
            messages.error(request, _("The invoice was not requested; see the form below."))
            page = InvoicesView()
            page.setup(request)
            return page.render_to_response(page.get_context_data(failed_form=form))
        try:
            invoices.invoice_request(
                actor=request.user,
                organisations=organisations,
                payment_id=form.cleaned_data["payment"],
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
            )
        except PaymentRecord.DoesNotExist:
            raise Http404("No such payment") from None
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Invoice requested. The provider has been told."))
        return redirect("payments:invoices")


class InvoiceWithdrawView(LoginRequiredMixin, View):
    def post(self, request, pk):
        try:
            invoices.invoice_withdraw(organisations=request_organisations(request), request_id=pk)
        except InvoiceRequest.DoesNotExist:
            raise Http404("No such invoice request") from None
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Request withdrawn. You may ask again with another title."))
        return redirect("payments:invoices")


class InvoiceIssueView(LoginRequiredMixin, View):
    def post(self, request, pk):
        form = InvoiceIssueForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("payments:invoices")
        try:
            invoices.invoice_issue(
                actor=request.user,
                organisations=request_organisations(request),
                request_id=pk,
                number=form.cleaned_data["number"],
                upload=form.cleaned_data["file"],
            )
        except InvoiceRequest.DoesNotExist:
            raise Http404("No such invoice request") from None
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Invoice issued. The buyer has been told."))
        return redirect("payments:invoices")


class InvoiceFileView(LoginRequiredMixin, View):
    def get(self, request, pk):
        try:
            invoice = invoices.request_for_party(organisations=request_organisations(request), request_id=pk)
        except InvoiceRequest.DoesNotExist:
            raise Http404("No such invoice") from None
        if not invoice.file:
            raise Http404("This invoice was issued by number only")
        return private_file_response(invoice.file, missing_message="The file is missing")
