"""Fair play pages: related parties (declared by members for their organisation, seen and added by staff) and
the acts refused because someone sat on both sides (staff, with a CSV)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from . import conflicts
from .csv_export import csv_response
from .models import ConflictAttempt
from .permissions import StaffRequiredMixin
from .selectors import acting_organisations
from .views import apply_service_errors


class RelatedPartyForm(forms.Form):
    """A member names the other side by credit code; staff name both sides."""

    organisation = forms.ChoiceField(label=gettext_lazy("Your organisation"), required=False)
    enterprise_code = forms.CharField(label=gettext_lazy("Enterprise's unified social credit code"), required=False)
    other_credit_code = forms.CharField(
        label=gettext_lazy("The other side's unified social credit code"), max_length=18, required=False
    )
    relation = forms.CharField(
        label=gettext_lazy("Relation"),
        max_length=300,
        help_text=gettext_lazy("For example: parent company, same shareholder, a director's family member."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        enterprise_model, provider_model = conflicts._organisation_models()
        acting = acting_organisations(user)
        self.organisations = {
            **{f"enterprise-{e.pk}": e for e in enterprise_model.objects.filter(pk__in=acting.enterprise_ids)},
            **{f"provider-{p.pk}": p for p in provider_model.objects.filter(pk__in=acting.provider_ids)},
        }
        self.fields["organisation"].choices = [(key, str(org)) for key, org in self.organisations.items()]
        self.staff = user.is_staff
        if self.staff:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["enterprise_code"].required = True
            self.fields["other_credit_code"].label = gettext_lazy("Provider's unified social credit code")
        else:
            del self.fields["enterprise_code"]

    def declaration(self) -> dict:
        """The keyword arguments of ``conflicts.related_party_declare`` for this form's data."""
        data = self.cleaned_data
        if self.staff:
            enterprise_model, provider_model = conflicts._organisation_models()
            enterprise = enterprise_model.objects.filter(credit_code=data["enterprise_code"].strip().upper()).first()
            provider = provider_model.objects.filter(credit_code=data["other_credit_code"].strip().upper()).first()
            if enterprise is None:
                raise ValidationError({"enterprise_code": _("No enterprise has that code.")}, code="unknown")
            if provider is None:
                raise ValidationError({"other_credit_code": _("No provider has that code.")}, code="unknown")
            return {"enterprise": enterprise, "provider": provider}
        organisation = self.organisations.get(data.get("organisation") or "")
        if organisation is None:
            raise ValidationError({"organisation": _("Choose one of your organisations.")}, code="no_organisation")
        kind = "enterprise" if (data["organisation"] or "").startswith("enterprise-") else "provider"
        return {kind: organisation, "other_credit_code": data["other_credit_code"]}


class RelatedPartiesView(LoginRequiredMixin, View):
    template_name = "core/related_parties.html"

    def _render(self, request, form, status=200):
        context = {"form": form, "parties": conflicts.related_parties_for(user=request.user)[:500]}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, RelatedPartyForm(user=request.user))

    def post(self, request):
        form = RelatedPartyForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                conflicts.related_party_declare(
                    user=request.user, relation=form.cleaned_data["relation"], **form.declaration()
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Recorded: these two will not be able to deal with each other."))
                return redirect("fairplay:related-parties")
        return self._render(request, form, status=400)


class ConflictAttemptsView(StaffRequiredMixin, TemplateView):
    """Acts refused because someone sat on both sides of a deal; ``?format=csv`` downloads them all."""

    template_name = "core/conflict_attempts.html"
    columns = (
        (gettext_lazy("When"), lambda a: timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M")),
        (gettext_lazy("Act"), lambda a: a.get_act_display()),
        (gettext_lazy("Why refused"), lambda a: a.get_reason_display()),
        (gettext_lazy("Person"), lambda a: a.user.email if a.user else ""),
        (gettext_lazy("Enterprise"), lambda a: a.enterprise_name),
        (gettext_lazy("Provider"), lambda a: a.provider_name),
        (gettext_lazy("Subject"), lambda a: a.subject),
    )

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            rows = ([value(a) for _h, value in self.columns] for a in self._attempts().iterator(chunk_size=500))
            return csv_response(
                filename=f"conflict-attempts-{timezone.localdate():%Y-%m-%d}",
                header=[heading for heading, _v in self.columns],
                rows=rows,
            )
        return super().get(request, *args, **kwargs)

    @staticmethod
    def _attempts():
        return ConflictAttempt.objects.select_related("user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"] = Paginator(self._attempts(), 50).get_page(self.request.GET.get("page"))
        return context
