"""The enterprise page: its members, and for owners adding and removing them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.views import OrganisationObjectMixin, flash_service_errors

from . import selectors, services
from .models import Enterprise, EnterpriseMember, InvoiceTitle


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=EnterpriseMember.Role.choices)


class EnterpriseView(LoginRequiredMixin, TemplateView):
    template_name = "enterprises/enterprise.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(memberships=selectors.memberships_for_user(user=self.request.user), form=MemberAddForm())
        return context


class MemberAddView(OrganisationObjectMixin, View):
    object_selector = selectors.enterprise_for_user
    not_found_message = "No such enterprise"

    def post(self, request, pk):
        enterprise = self.object
        form = MemberAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Enter the email address of a registered account and a role."))
            return redirect("enterprises:home")
        try:
            services.enterprise_member_add(enterprise=enterprise, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Member added."))
        return redirect("enterprises:home")


class MemberRemoveView(LoginRequiredMixin, View):
    def post(self, request, pk, member_pk):
        try:
            membership = selectors.enterprise_membership(user=request.user, enterprise_pk=pk, member_pk=member_pk)
        except (EnterpriseMember.DoesNotExist, Enterprise.DoesNotExist):
            raise Http404("No such member") from None
        try:
            services.enterprise_member_remove(membership=membership, actor=request.user)
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Member removed."))
        return redirect("enterprises:home")


class InvoiceTitleForm(forms.ModelForm):
    class Meta:
        model = InvoiceTitle
        fields = ("name", "tax_number", "address", "phone", "bank_name", "bank_account")
        help_texts = {
            "tax_number": gettext_lazy("Usually the enterprise's unified social credit code (18 characters)."),
            "address": gettext_lazy("Address, telephone, bank and account are printed on special VAT invoices."),
        }


class InvoiceTitleView(LoginRequiredMixin, TemplateView):
    """Add an invoice title to one of the user's enterprises (``enterprise_pk``) or change one (``pk``)."""

    template_name = "enterprises/invoice_title.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.title = self.enterprise = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            if "pk" in kwargs:
                self.title = selectors.invoice_title_for_user(user=request.user, pk=kwargs["pk"])
                self.enterprise = self.title.enterprise
            else:
                self.enterprise = selectors.enterprise_for_user(user=request.user, pk=kwargs["enterprise_pk"])
        except (InvoiceTitle.DoesNotExist, Enterprise.DoesNotExist):
            raise Http404("No such invoice title") from None
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        initial = {} if self.title else {"name": self.enterprise.name, "tax_number": self.enterprise.credit_code}
        form = InvoiceTitleForm(instance=self.title, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, enterprise=self.enterprise, title=self.title))

    def post(self, request, *args, **kwargs):
        form = InvoiceTitleForm(request.POST, instance=self.title)
        if form.is_valid():
            try:
                services.invoice_title_save(
                    enterprise=self.enterprise, actor=request.user, data=form.cleaned_data, title=self.title
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Invoice title saved."))
                return redirect("enterprises:home")
        return self.render_to_response(self.get_context_data(form=form, enterprise=self.enterprise, title=self.title))


class InvoiceTitleDeleteView(OrganisationObjectMixin, View):
    object_selector = selectors.invoice_title_for_user
    not_found_message = "No such invoice title"

    def post(self, request, pk):
        services.invoice_title_delete(title=self.object, actor=request.user)
        messages.success(request, _("Invoice title removed. Requests already made keep the title they named."))
        return redirect("enterprises:home")
