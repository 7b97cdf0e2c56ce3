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
from .models import Enterprise, EnterpriseMember


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
