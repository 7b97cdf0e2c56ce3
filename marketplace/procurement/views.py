"""Request-for-quotes pages. Thin: selectors scoped to the acting user (another organisation's id
gives 404), one service call per POST, and the sealed-quote rule enforced in ``selectors``.
"""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from marketplace.catalogue.models import Category
from marketplace.core.permissions import StaffRequiredMixin
from marketplace.core.storage import private_file_response
from marketplace.core.views import OrganisationObjectMixin, apply_service_errors, flash_service_errors
from marketplace.enterprises.selectors import enterprises_for_user
from marketplace.ratings.selectors import bayesian_average
from providers.listings import listing_info
from providers.selectors import membership_for_user

from . import addressed, awards, methods, selectors, services
from .feeds import filter_query, outcome_label
from .forms import ObjectionDecisionForm, QuoteForm, ReasonForm, RepublishForm, RequestForm, ResultFilterForm
from .models import Objection, Quote, RequestForQuotes


class RequestListView(TemplateView):
    template_name = "procurement/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        category = None
        category_id = self.request.GET.get("category", "")
        if category_id.isdigit():
            category = Category.objects.filter(pk=category_id).first()
        page = Paginator(selectors.open_requests(category=category), 20).get_page(self.request.GET.get("page"))
        context.update(page=page, requests=page.object_list, category=category)
        return context


class ResultListView(TemplateView):
    """The public results list: requests in their publicity period, awarded, failed or cancelled, with
    their filters; a filter that does not validate is named on the page and left out of the list."""

    template_name = "procurement/results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ResultFilterForm(self.request.GET)
        form.is_valid()
        filters = form.filters()
        page = Paginator(selectors.published_results(**filters), selectors.RESULTS_PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        rows = list(page.object_list)
        for row in rows:
            row.outcome = outcome_label(row)
            row.winner = selectors.winning_quote(row)
        query = filter_query(form)
        context.update(
            form=form,
            filtered=bool(filters),
            page=page,
            rows=rows,
            feed_url=reverse("procurement:results-feed") + (f"?{query}" if query else ""),
        )
        return context


class MyRequestsView(LoginRequiredMixin, TemplateView):
    template_name = "procurement/mine.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.enterprise_requests(user=self.request.user), 20).get_page(
            self.request.GET.get("page")
        )
        context.update(
            page=page, requests=page.object_list, has_enterprise=enterprises_for_user(user=self.request.user).exists()
        )
        return context


class MyQuotesView(LoginRequiredMixin, TemplateView):
    template_name = "procurement/my_quotes.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.provider_quotes(user=self.request.user), 20).get_page(self.request.GET.get("page"))
        context.update(page=page, quotes=page.object_list, invitations=selectors.invitations(user=self.request.user))
        return context


class RequestCreateView(LoginRequiredMixin, TemplateView):
    """Publish a request for quotes; with ``?listing=<id>`` (a "from" or quote-only listing) the request
    is addressed to that listing's provider alone."""

    template_name = "procurement/create.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.enterprises = enterprises_for_user(user=request.user)
            if not self.enterprises.exists():
                raise PermissionDenied(_("Only members of an enterprise may publish requests for quotes."))
            listing_id = request.POST.get("listing") or request.GET.get("listing")
            self.listing = addressed.addressable_listing(pk=listing_id) if listing_id else None
            if listing_id and self.listing is None:
                messages.error(request, _("This listing can no longer be asked for a quote; choose another provider."))
                return redirect("catalogue:index")
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None):
        initial = {}
        if self.listing is not None:
            initial = {
                "title": self.listing.localized("title") if hasattr(self.listing, "localized") else self.listing.title,
                "deadline": timezone.localtime() + datetime.timedelta(days=addressed.DEFAULT_DAYS_TO_ANSWER),
            }
        return RequestForm(data, enterprises=self.enterprises, addressed=self.listing is not None, initial=initial)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self._form())
        context["listing"] = self.listing
        context["listing_info"] = listing_info(self.listing) if self.listing is not None else None
        return context

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            common = {
                "enterprise": data["enterprise"],
                "user": request.user,
                "title": data["title"],
                "description": data["description"],
                "region": data["region"],
                "budget": data["budget"],
                "deadline": data["deadline"],
                "required_grade": data.get("required_grade") or "",
            }
            try:
                if self.listing is not None:
                    created = addressed.request_address(listing=self.listing, **common)
                else:
                    created = services.request_publish(
                        category=data["category"],
                        method=data["method"],
                        state_funded=data.get("state_funded", False),
                        side_contact_forbidden=data.get("side_contact_forbidden", False),
                        **common,
                    )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if created.is_addressed:
                    messages.success(
                        request,
                        _("Your request is sent to %(provider)s, who alone can quote on it.")
                        % {"provider": created.invited_provider.localized("name")},
                    )
                else:
                    messages.success(request, _("Your request is published."))
                return redirect(created.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form))


class RequestDetailView(TemplateView):
    template_name = "procurement/detail.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            self.rfq = selectors.request_page(pk=kwargs["pk"], user=request.user)
        except RequestForQuotes.DoesNotExist:
            raise Http404("No such request") from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        """``rfq`` comes from ``selectors.request_page``. ``membership`` and ``is_buyer`` are read once
        here; the clarifications below the page (``{% request_clarifications %}``) use them too."""
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rfq = self.rfq
        membership = membership_for_user(user=user)
        is_buyer = rfq.viewer_is_buyer
        quotes = selectors.unsealed_quotes(request=rfq)
        own = selectors.own_quote(provider=membership.provider, request=rfq, unsealed=quotes) if membership else None
        current, past_selections = selectors.selections(request=rfq)
        by_id = {quote.pk: quote for quote in quotes}
        table = []
        if current:
            for row in current.table:
                table.append({**row, "quote": by_id.get(row["quote_id"])})
        ineligible = None
        if membership and rfq.status == RequestForQuotes.Status.OPEN:
            ineligible = services.provider_ineligibility(provider=membership.provider, request=rfq)
        if own and "quote_form" not in context:
            context["quote_form"] = QuoteForm(
                initial={
                    "price": own.price,
                    "service_days": own.service_days,
                    "note": own.note,
                    "milestones": own.milestones,
                }
            )
        context.setdefault("quote_form", QuoteForm())
        context.setdefault("objection_form", ReasonForm())
        context.update(
            rfq=rfq,
            now=timezone.now(),
            membership=membership,
            own_quote=own,
            is_buyer=is_buyer,
            can_quote=bool(membership) and ineligible is None and rfq.status == "open" and not rfq.deadline_passed(),
            ineligible=ineligible,
            current=current,
            table=table,
            quotes=quotes,
            show_notes=is_buyer or (user.is_authenticated and user.is_staff),
            # What a provider with no ratings yet is scored at (the Bayesian prior), said under the table.
            rating_prior=bayesian_average(total=Decimal("0"), count=0) if rfq.method == "scored" else None,
            past_selections=past_selections,
            # Objections follow an award, so there are none to show while the request is open.
            objections=selectors.visible_objections(
                request=rfq,
                sees_all=is_buyer or (user.is_authenticated and user.is_staff),
                provider=membership.provider if membership else None,
            )
            if rfq.quotes_unsealed
            else [],
            can_object=bool(own) and rfq.status == "publicity" and current and current.winner_id != own.pk,
            can_decline=bool(own) and rfq.status == "publicity" and current and current.winner_id == own.pk,
            republish_form=RepublishForm() if is_buyer and rfq.status in ("failed", "cancelled") else None,
            algorithm=current.algorithm if current is not None else methods.published_algorithm(rfq),
            min_valid_quotes=methods.min_valid_quotes(rfq),
            beacon=selectors.beacon_json(rfq),
            draw_seed=methods.draw_seed(rfq) if rfq.seed_is_public and rfq.beacon.get("randomness") else "",
            choosable_ids=(
                {c.quote_id for c in methods.choosable(current, services.candidates(rfq))}
                if current is not None and rfq.status == RequestForQuotes.Status.CHOOSING
                else set()
            ),
            service_order=getattr(rfq, "order", None) if rfq.status == "awarded" else None,
        )
        return context


class _RequestPost(LoginRequiredMixin, View):
    def get(self, request, pk):
        return redirect("procurement:detail", pk=pk)


class _BuyerRequestPost(OrganisationObjectMixin, _RequestPost):
    """A step only the buyer enterprise takes: another organisation's request is a 404."""

    object_selector = selectors.enterprise_request
    not_found_message = "No such request"


class QuoteView(_RequestPost):
    def post(self, request, pk):
        try:
            rfq = selectors.public_request(pk=pk)
        except RequestForQuotes.DoesNotExist:
            raise Http404("No such request") from None
        form = QuoteForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.quote_submit(
                    request=rfq,
                    user=request.user,
                    price=form.cleaned_data["price"],
                    service_days=form.cleaned_data["service_days"],
                    note=form.cleaned_data["note"],
                    milestones=form.cleaned_data["milestones"],
                    attachment=form.cleaned_data.get("attachment"),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if rfq.is_addressed:
                    messages.success(request, _("Your quote is sent to the buyer, who can accept it now."))
                else:
                    messages.success(request, _("Your quote is submitted and sealed until the deadline."))
                return redirect(rfq.get_absolute_url())
        view = RequestDetailView()
        view.setup(request, pk=pk)
        view.rfq = selectors.request_page(pk=pk, user=request.user)
        return view.render_to_response(view.get_context_data(quote_form=form), status=400)


class ChooseView(_BuyerRequestPost):
    def post(self, request, pk):
        rfq = self.object
        try:
            services.request_choose(request=rfq, user=request.user, quote_id=request.POST.get("quote", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            rfq.refresh_from_db()
            if rfq.status == RequestForQuotes.Status.AWARDED:
                messages.success(request, _("Quote accepted: the order is placed and awaits your payment."))
                return redirect(rfq.order.get_absolute_url())
            messages.success(request, _("Your choice is published for the publicity period."))
        return redirect(rfq.get_absolute_url())


class RepublishView(_BuyerRequestPost):
    def post(self, request, pk):
        rfq = self.object
        form = RepublishForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Enter a valid new deadline."))
            return redirect(rfq.get_absolute_url())
        try:
            again = services.request_republish(request=rfq, user=request.user, deadline=form.cleaned_data["deadline"])
        except ValidationError as error:
            flash_service_errors(request, error)
            return redirect(rfq.get_absolute_url())
        messages.success(request, _("The request is published again."))
        return redirect(again.get_absolute_url())


class ObjectionView(_RequestPost):
    def post(self, request, pk):
        try:
            rfq = selectors.public_request(pk=pk)
        except RequestForQuotes.DoesNotExist:
            raise Http404("No such request") from None
        form = ReasonForm(request.POST)
        try:
            services.objection_file(request=rfq, user=request.user, reason=form.data.get("reason", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Your objection is filed; platform staff will decide it."))
        return redirect(rfq.get_absolute_url())


class DeclineAwardView(_RequestPost):
    def post(self, request, pk):
        try:
            rfq = selectors.public_request(pk=pk)
        except RequestForQuotes.DoesNotExist:
            raise Http404("No such request") from None
        try:
            awards.award_decline(request=rfq, user=request.user, reason=request.POST.get("reason", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("You declined the award; the request's rule picks again."))
        return redirect(rfq.get_absolute_url())


class QuoteAttachmentView(LoginRequiredMixin, View):
    def get(self, request, pk, quote_pk):
        try:
            quote = selectors.quote_for_attachment(user=request.user, request_pk=pk, quote_pk=quote_pk)
        except Quote.DoesNotExist:
            raise Http404("No such attachment") from None
        return private_file_response(quote.attachment, missing_message="The file is missing")


class StaffMixin(StaffRequiredMixin):
    staff_only_message = gettext_lazy("Only platform staff may decide objections.")


class ObjectionQueueView(StaffMixin, TemplateView):
    template_name = "procurement/objections.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(objections=selectors.pending_objections(), form=ObjectionDecisionForm())
        return context


class ObjectionDecideView(StaffMixin, View):
    def post(self, request, pk):
        objection = Objection.objects.filter(pk=pk).select_related("request").first()
        if objection is None:
            raise Http404("No such objection")
        form = ObjectionDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a decision and write its reason."))
            return redirect("procurement:objections")
        try:
            services.objection_decide(
                objection=objection,
                user=request.user,
                uphold=form.cleaned_data["decision"] == "uphold",
                outcome=form.cleaned_data.get("outcome") or "",
                decision=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("The objection is decided."))
        return redirect("procurement:objections")
