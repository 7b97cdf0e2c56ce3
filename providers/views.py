"""Provider pages: registration, the provider console, staff review and scans.

Views are thin: they find objects through selectors scoped to the acting user (another
organisation's id gives 404, never 403, so ids reveal nothing), call one service, and render.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from marketplace.catalogue.models import Product
from marketplace.core.permissions import StaffRequiredMixin
from marketplace.core.storage import pdf_download_response, private_file_response
from marketplace.core.views import apply_service_errors, flash_service_errors

from . import selectors, services
from .forms import (
    BanForm,
    ListingForm,
    MemberAddForm,
    ProviderProfileForm,
    ProviderRegistrationForm,
    QualificationForm,
    ReasonForm,
)
from .listings import listing_info, listing_infos
from .models import Provider, ProviderMember, Qualification

# --- Registration ----------------------------------------------------------------------------------


class BecomeProviderView(TemplateView):
    """What joining involves; for a logged-in person without an organisation, the registration form."""

    template_name = "providers/become.html"

    def dispatch(self, request, *args, **kwargs):
        self.membership = selectors.membership_for_user(user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["membership"] = self.membership
        if self.request.user.is_authenticated and self.membership is None:
            context.setdefault("form", ProviderRegistrationForm(initial={"contact_email": self.request.user.email}))
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('customer:login')}?next={request.path}")
        if self.membership is not None:
            return redirect("providers:console")
        form = ProviderRegistrationForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.provider_register(
                    user=request.user,
                    credit_code=form.cleaned_data["credit_code"],
                    logo=form.cleaned_data.get("logo"),
                    **form.profile(),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request, _("Your organisation is registered. Next, upload your qualification certificates.")
                )
                return redirect("providers:console-qualifications")
        return self.render_to_response(self.get_context_data(form=form))


# --- Console ---------------------------------------------------------------------------------------


class ConsoleMixin(LoginRequiredMixin):
    """Every console page acts for the signed-in person's own provider, never one named in the URL."""

    console_section = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = selectors.membership_for_user(user=request.user)
        if self.membership is None:
            messages.info(request, _("Register your organisation first to open the provider console."))
            return redirect("providers:become")
        self.provider = self.membership.provider
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(provider=self.provider, membership=self.membership, console_section=self.console_section)
        return context


class ConsoleHomeView(ConsoleMixin, TemplateView):
    template_name = "providers/console/home.html"
    console_section = "home"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["qualifications"] = self.provider.qualifications.select_related("category")
        context["listing_count"] = selectors.provider_listings(provider=self.provider).count()
        context["events"] = self.provider.events.select_related("actor", "qualification")[:10]
        context["certificate"] = self.provider.certificates.select_related("document").first()
        return context


class ConsoleCertificateView(ConsoleMixin, View):
    """The latest sealed certificate of certification of the signed-in member's own provider."""

    def get(self, request):
        certificate = self.provider.certificates.select_related("document").first()
        if certificate is None:
            raise Http404(_("No certificate has been issued yet."))
        return pdf_download_response(bytes(certificate.document.pdf), filename=f"{certificate.document.number}.pdf")


class ConsoleSubmitView(ConsoleMixin, View):
    def post(self, request):
        try:
            services.provider_submit(provider=self.provider, user=request.user)
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Submitted. Platform staff will review your organisation."))
        return redirect("providers:console")


class ConsoleProfileView(ConsoleMixin, TemplateView):
    template_name = "providers/console/profile.html"
    console_section = "profile"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            initial = {field: getattr(self.provider, field) for field in services.PROFILE_FIELDS}
            context["form"] = ProviderProfileForm(initial=initial)
        return context

    def post(self, request):
        form = ProviderProfileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.provider_update(
                    provider=self.provider, user=request.user, logo=form.cleaned_data.get("logo"), **form.profile()
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Profile saved."))
                return redirect("providers:console-profile")
        return self.render_to_response(self.get_context_data(form=form))


class ConsoleQualificationsView(ConsoleMixin, TemplateView):
    template_name = "providers/console/qualifications.html"
    console_section = "qualifications"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", QualificationForm())
        context["qualifications"] = self.provider.qualifications.select_related("category")
        return context

    def post(self, request):
        form = QualificationForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.qualification_upload(provider=self.provider, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Qualification uploaded; platform staff will review it."))
                return redirect("providers:console-qualifications")
        return self.render_to_response(self.get_context_data(form=form))


class ConsoleListingsView(ConsoleMixin, TemplateView):
    template_name = "providers/console/listings.html"
    console_section = "listings"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listings = list(selectors.provider_listings(provider=self.provider))
        on_sale = set(
            selectors.purchasable_listings().filter(pk__in=[p.pk for p in listings]).values_list("pk", flat=True)
        )
        context["listings"] = [(info, info.product.pk in on_sale) for info in listing_infos(listings)]
        return context


class ConsoleListingFormView(ConsoleMixin, TemplateView):
    template_name = "providers/console/listing_form.html"
    console_section = "listings"

    def dispatch(self, request, *args, **kwargs):
        self.listing_pk = kwargs.get("pk")
        return super().dispatch(request, *args, **kwargs)

    def get_listing(self):
        if self.listing_pk is None:
            return None
        try:
            return selectors.provider_listing(provider=self.provider, pk=self.listing_pk)
        except Product.DoesNotExist:
            raise Http404("No such listing") from None

    def initial(self, listing):
        if listing is None:
            return {"pricing_mode": "fixed", "regions_served": [self.provider.region]}
        info = listing_info(listing)
        return {
            "title": listing.title,
            "title_zh": listing.title_zh,
            "category": info.category,
            "description": listing.description,
            "description_zh": listing.description_zh,
            "pricing_mode": info.pricing_mode,
            "price": info.price,
            "price_unit": info.price_unit,
            "service_days": info.service_days,
            "regions_served": list(info.regions_served),
            "deliverables": info.deliverables,
            "deliverables_zh": info.deliverables_zh,
            "milestones": info.milestones,
            "published": listing.is_public,
        }

    def get(self, request, *args, **kwargs):
        listing = self.get_listing()
        form = ListingForm(provider=self.provider, initial=self.initial(listing))
        return self.render_to_response(self.get_context_data(form=form, listing=listing))

    def post(self, request, *args, **kwargs):
        listing = self.get_listing()
        form = ListingForm(request.POST, provider=self.provider)
        if form.is_valid():
            try:
                if listing is None:
                    services.listing_create(provider=self.provider, user=request.user, data=form.listing_data())
                else:
                    services.listing_update(
                        provider=self.provider, user=request.user, listing=listing, data=form.listing_data()
                    )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Listing saved."))
                return redirect("providers:console-listings")
        return self.render_to_response(self.get_context_data(form=form, listing=listing))


class ConsoleListingPublishView(ConsoleMixin, View):
    def post(self, request, pk):
        try:
            listing = selectors.provider_listing(provider=self.provider, pk=pk)
        except Product.DoesNotExist:
            raise Http404("No such listing") from None
        published = request.POST.get("published") == "1"
        try:
            services.listing_set_published(
                provider=self.provider, user=request.user, listing=listing, published=published
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Listing published.") if published else _("Listing withdrawn."))
        return redirect("providers:console-listings")


class ConsoleTeamView(ConsoleMixin, TemplateView):
    template_name = "providers/console/team.html"
    console_section = "team"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", MemberAddForm())
        context["members"] = self.provider.memberships.select_related("user")
        return context

    def post(self, request):
        form = MemberAddForm(request.POST)
        if form.is_valid():
            try:
                services.member_add(provider=self.provider, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Team member added."))
                return redirect("providers:console-team")
        return self.render_to_response(self.get_context_data(form=form))


class ConsoleTeamRoleView(ConsoleMixin, View):
    def post(self, request, pk):
        try:
            membership = self.provider.memberships.select_related("user").get(pk=pk)
        except ProviderMember.DoesNotExist:
            raise Http404("No such team member") from None
        try:
            services.member_set_role(
                provider=self.provider, actor=request.user, membership=membership, role=request.POST.get("role", "")
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Role changed."))
        return redirect("providers:console-team")


class ConsoleTeamRemoveView(ConsoleMixin, View):
    def post(self, request, pk):
        try:
            membership = self.provider.memberships.select_related("user").get(pk=pk)
        except ProviderMember.DoesNotExist:
            raise Http404("No such team member") from None
        try:
            services.member_remove(provider=self.provider, actor=request.user, membership=membership)
        except ValidationError as error:
            flash_service_errors(request, error)
            return redirect("providers:console-team")
        messages.success(request, _("Team member removed."))
        if membership.user_id == request.user.pk:
            return redirect("home")
        return redirect("providers:console-team")


# --- Scans -----------------------------------------------------------------------------------------


class QualificationScanView(LoginRequiredMixin, View):
    """The scan file, to its own provider's members and to staff only; always as a download."""

    def get(self, request, pk):
        try:
            qualification = selectors.qualification_for_scan(user=request.user, pk=pk)
        except Qualification.DoesNotExist:
            raise Http404("No such qualification") from None
        return private_file_response(qualification.scan, missing_message="The scan file is missing")


# --- Staff review ----------------------------------------------------------------------------------


class StaffMixin(StaffRequiredMixin):
    staff_only_message = gettext_lazy("Only platform staff may review providers.")


class ReviewQueueView(StaffMixin, TemplateView):
    template_name = "providers/review/queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status") or Provider.Status.PENDING_REVIEW
        if status not in Provider.Status.values:
            status = Provider.Status.PENDING_REVIEW
        context.update(
            status=status,
            statuses=Provider.Status.choices,
            providers=selectors.providers_for_review(status=status),
            pending_qualifications=selectors.pending_qualifications(),
        )
        return context


class ReviewProviderView(StaffMixin, TemplateView):
    template_name = "providers/review/provider.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        provider = get_object_or_404(Provider, pk=kwargs["pk"])
        context.update(
            provider=provider,
            qualifications=provider.qualifications.select_related("category", "reviewed_by"),
            members=provider.memberships.select_related("user"),
            events=provider.events.select_related("actor", "qualification")[:30],
            reason_form=ReasonForm(),
            bans=selectors.bans_of(provider=provider),
            ban_form=BanForm(),
            today=selectors.today(),
        )
        return context


# Lazy: this module is imported by the first request, whatever its language; plain gettext here
# froze the messages in that language for the life of the process.
PROVIDER_ACTIONS = {
    "certify": (services.provider_certify, False, gettext_lazy("Provider certified.")),
    "send-back": (services.provider_send_back, True, gettext_lazy("Provider sent back for changes.")),
    "suspend": (services.provider_suspend, True, gettext_lazy("Provider suspended.")),
    "reinstate": (services.provider_reinstate, False, gettext_lazy("Provider reinstated.")),
    "revoke": (services.provider_revoke, True, gettext_lazy("Certification revoked.")),
}


class ReviewProviderActionView(StaffMixin, View):
    def post(self, request, pk, action):
        if action not in PROVIDER_ACTIONS:
            raise Http404("No such action")
        provider = get_object_or_404(Provider, pk=pk)
        service, needs_reason, done = PROVIDER_ACTIONS[action]
        kwargs = {"provider": provider, "reviewer": request.user}
        if needs_reason:
            kwargs["reason"] = request.POST.get("reason", "")
        try:
            service(**kwargs)
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, done)
        return redirect("providers:review-provider", pk=provider.pk)


class ReviewQualificationActionView(StaffMixin, View):
    def post(self, request, pk, action):
        try:
            qualification = Qualification.objects.select_related("provider").get(pk=pk)
        except Qualification.DoesNotExist:
            raise Http404("No such qualification") from None
        try:
            if action == "approve":
                services.qualification_approve(qualification=qualification, reviewer=request.user)
                messages.success(request, _("Qualification approved."))
            elif action == "reject":
                services.qualification_reject(
                    qualification=qualification, reviewer=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Qualification rejected."))
            else:
                raise Http404("No such action")
        except ValidationError as error:
            flash_service_errors(request, error)
        return redirect("providers:review-provider", pk=qualification.provider_id)
