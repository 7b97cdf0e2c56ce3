"""Credit pages: the public formula and profile, the provider's own record and appeals, staff's credit desk.

The provider's public profile lives here, not in providers: besides the provider's own facts it
shows its ratings, its track record (orders and quotes) and its credit grade or suspension, and
only this layer may read all of them.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.csv_export import csv_response
from marketplace.core.views import flash_service_errors
from marketplace.ratings import selectors as rating_selectors
from providers import selectors as provider_selectors
from providers.listings import listing_infos
from providers.models import Provider
from providers.views import ConsoleMixin, StaffMixin

from . import conf, formula, selectors, services
from .forms import NegativeEventForm
from .models import CreditAppeal, CreditSource


class ProviderProfileView(TemplateView):
    template_name = "credit/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            provider = provider_selectors.public_provider(pk=kwargs["pk"], user=self.request.user)
        except Provider.DoesNotExist:
            raise Http404("No such provider") from None
        products = rating_selectors.listings_with_ratings(
            provider_selectors.provider_public_listings(provider=provider)
        )
        listings = listing_infos(products)
        rating_summary, reviews = rating_selectors.provider_overview(provider=provider)
        regions = sorted({code for info in listings for code in info.regions_served})
        context.update(
            provider=provider,
            qualifications=provider_selectors.provider_public_qualifications(provider=provider),
            listings=listings,
            regions_served=regions,
            today=provider_selectors.today(),
            rating_summary=rating_summary,
            reviews=reviews,
            track_record=selectors.provider_track_record(provider=provider),
            suspension=selectors.suspension_of(provider=provider),
            ban=provider_selectors.provider_ban_in_force(provider=provider),
        )
        return context


class CreditFormulaView(TemplateView):
    """The published formula, with the weights and thresholds actually in force."""

    template_name = "credit/formula.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        config = formula.Config.from_settings()
        context.update(
            config=config,
            party_weights=[
                (CreditSource.BUYER.label, config.party_weights["buyer"]),
                (CreditSource.AUTHORITY.label, config.party_weights["authority"]),
                (CreditSource.PLATFORM.label, config.party_weights["platform"]),
            ],
            penalties=config.penalties,
        )
        return context


class ConsoleCreditView(ConsoleMixin, TemplateView):
    template_name = "credit/console.html"
    console_section = "credit"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = selectors.credit_record(provider=self.provider)
        context["appeals"] = selectors.appeals_of(provider=self.provider)
        return context


class ConsoleCreditAppealView(ConsoleMixin, View):
    def post(self, request, source, source_id):
        if source not in CreditSource.values:
            raise Http404("No such entry")
        try:
            services.credit_appeal_file(
                provider=self.provider,
                user=request.user,
                source=source,
                source_id=source_id,
                reason=request.POST.get("reason", ""),
            )
        except CreditAppeal.DoesNotExist:
            raise Http404("No such entry") from None
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Appeal filed; platform staff will decide it and give their reason."))
        return redirect("providers:console-credit")


class StaffCreditView(StaffMixin, TemplateView):
    template_name = "credit/staff.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            config=formula.Config.from_settings(),
            below=selectors.providers_below_threshold(),
            appeals=selectors.pending_appeals(),
        )
        return context


class StaffCreditProviderView(StaffMixin, TemplateView):
    template_name = "credit/staff_provider.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        provider = get_object_or_404(Provider, pk=kwargs["pk"])
        context.update(
            provider=provider,
            record=selectors.credit_record(provider=provider),
            appeals=selectors.appeals_of(provider=provider),
            negative_form=NegativeEventForm(),
        )
        return context


class StaffNegativeEventView(StaffMixin, View):
    """Staff record a negative-behaviour event (with evidence) against a provider."""

    def post(self, request, pk):
        provider = get_object_or_404(Provider, pk=pk)
        form = NegativeEventForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect("providers:credit-staff-provider", pk=provider.pk)
        try:
            services.negative_event_record(provider=provider, reviewer=request.user, **form.cleaned_data)
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Recorded; it is on the public negative-behaviour list with its deduction."))
        return redirect("providers:credit-staff-provider", pk=provider.pk)


class PenaltiesView(TemplateView):
    """The public list (公示) of bans in force and recent negative-behaviour events, also as CSV."""

    template_name = "credit/penalties.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            bans=provider_selectors.bans_in_force(),
            events=selectors.negative_list(),
            days=conf.get("CREDIT_NEGATIVE_LIST_DAYS"),
        )
        return context

    def csv(self):
        rows = []
        for ban in provider_selectors.bans_in_force():
            until = ban.ends_on.isoformat() if ban.ends_on else _("permanent")
            rows.append(
                [_("Ban"), ban.provider.localized("name"), ban.provider.credit_code, ban.reason]
                + [ban.starts_on.isoformat(), until, ""]
            )
        for event in selectors.negative_list():
            rows.append(
                [_("Negative behaviour"), event.provider.localized("name"), event.provider.credit_code, event.kind]
                + [event.date.isoformat(), "", event.deduction]
            )
        header = [_("Type"), _("Provider"), _("Unified social credit code"), _("Reason or kind")]
        header += [_("From / date"), _("Until"), _("Points deducted")]
        return csv_response(filename="onewindow-penalties", header=header, rows=rows)


class StaffAppealDecideView(StaffMixin, View):
    def post(self, request, pk, decision):
        if decision not in ("uphold", "reject"):
            raise Http404("No such decision")
        appeal = get_object_or_404(CreditAppeal, pk=pk)
        try:
            services.credit_appeal_decide(
                appeal=appeal,
                reviewer=request.user,
                uphold=decision == "uphold",
                decision=request.POST.get("decision", ""),
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Appeal decided; the provider sees the decision."))
        return redirect("providers:credit-staff-provider", pk=appeal.provider_id)


class StaffCreditSuspendView(StaffMixin, View):
    def post(self, request, pk):
        provider = get_object_or_404(Provider, pk=pk)
        try:
            services.provider_credit_suspend(
                provider=provider, reviewer=request.user, reason=request.POST.get("reason", "")
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Provider suspended; the suspension and its reason are on its public page."))
        return redirect("providers:credit-staff")
