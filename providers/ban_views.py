"""Ban pages: staff impose, lift and decide appeals from the provider review page; the provider's
team sees its bans and appeals one from its console."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.views import flash_service_errors

from . import selectors, services
from .forms import BanForm
from .models import Provider, ProviderBan
from .views import ConsoleMixin, StaffMixin


class StaffBanImposeView(StaffMixin, View):
    def post(self, request, pk):
        provider = get_object_or_404(Provider, pk=pk)
        form = BanForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect("providers:review-provider", pk=provider.pk)
        try:
            ban = services.provider_ban_impose(
                provider=provider,
                reviewer=request.user,
                term=form.cleaned_data["term"],
                reason=form.cleaned_data["reason"],
                starts_on=form.cleaned_data["starts_on"],
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            if ban.ends_on:
                messages.success(request, _("Ban imposed until %(end)s; the provider is told.") % {"end": ban.ends_on})
            else:
                messages.success(request, _("Permanent ban imposed; the provider is told."))
        return redirect("providers:review-provider", pk=provider.pk)


class StaffBanLiftView(StaffMixin, View):
    def post(self, request, pk):
        ban = get_object_or_404(ProviderBan, pk=pk)
        try:
            services.provider_ban_lift(ban=ban, reviewer=request.user, reason=request.POST.get("reason", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Ban lifted; the provider is told."))
        return redirect("providers:review-provider", pk=ban.provider_id)


class StaffBanAppealDecideView(StaffMixin, View):
    def post(self, request, pk, decision):
        if decision not in ("uphold", "reject"):
            raise Http404("No such decision")
        ban = get_object_or_404(ProviderBan, pk=pk)
        try:
            services.provider_ban_appeal_decide(
                ban=ban, reviewer=request.user, uphold=decision == "uphold", decision=request.POST.get("decision", "")
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Appeal decided; the provider sees the decision."))
        return redirect("providers:review-provider", pk=ban.provider_id)


class ConsoleBansView(ConsoleMixin, TemplateView):
    template_name = "providers/console/bans.html"
    console_section = "bans"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(bans=selectors.bans_of(provider=self.provider), today=selectors.today())
        return context


class ConsoleBanAppealView(ConsoleMixin, View):
    def post(self, request, pk):
        try:
            ban = selectors.bans_of(provider=self.provider).get(pk=pk)
        except ProviderBan.DoesNotExist:
            raise Http404("No such ban") from None
        try:
            services.provider_ban_appeal_file(ban=ban, user=request.user, reason=request.POST.get("reason", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Appeal filed; platform staff will decide it and give their reason."))
        return redirect("providers:console-bans")
