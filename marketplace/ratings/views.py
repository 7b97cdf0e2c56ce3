"""Authority officers evaluate deliverables they used; platform staff evaluate providers' conduct."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.permissions import StaffRequiredMixin
from marketplace.core.views import OrganisationObjectMixin, apply_service_errors, flash_service_errors
from marketplace.hiring import selectors as hiring_selectors
from marketplace.hiring.models import ServiceOrder

from . import selectors, services
from .forms import AuthorityEvaluationForm, PlatformEvaluationForm, RatingForm


class AuthorityEvaluationView(LoginRequiredMixin, TemplateView):
    """Look a completed order up by its number and evaluate its deliverable for one's own authority."""

    template_name = "ratings/authority_evaluation.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.authorities = selectors.evaluating_authorities(user=request.user)
        if not self.authorities.exists():
            raise PermissionDenied(_("Only officers of an issuing authority may evaluate deliverables."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        number = self.request.GET.get("order") or self.request.POST.get("order") or ""
        order = selectors.order_for_authority_evaluation(user=self.request.user, order_number=number)
        context.update(
            number=number.strip(),
            order=order,
            evaluations=selectors.authority_evaluations(authorities=self.authorities),
        )
        if order is not None:
            context.setdefault("form", AuthorityEvaluationForm(authorities=self.authorities))
        return context

    def post(self, request):
        number = request.POST.get("order", "")
        order = selectors.order_for_authority_evaluation(user=request.user, order_number=number)
        form = AuthorityEvaluationForm(request.POST, authorities=self.authorities)
        if order is None:
            messages.error(request, _("No completed order has that number."))
            return redirect("ratings:authority")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.authority_evaluation_create(service_order=order, user=request.user, **data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Evaluation recorded; it now counts in the provider's credit record."))
                return redirect("ratings:authority")
        return self.render_to_response(self.get_context_data(form=form))


class PlatformEvaluationView(StaffRequiredMixin, TemplateView):
    template_name = "ratings/platform_evaluation.html"
    staff_only_message = gettext_lazy("Only platform staff may evaluate providers' conduct.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PlatformEvaluationForm(initial={"provider": self.request.GET.get("provider")}))
        context["evaluations"] = selectors.platform_evaluations()
        return context

    def post(self, request):
        form = PlatformEvaluationForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            number = data.pop("order_number").strip()
            service_order = None
            if number:
                service_order = ServiceOrder.objects.filter(order__number=number, provider=data["provider"]).first()
                if service_order is None:
                    form.add_error("order_number", _("That order is not one of this provider's."))
            if form.is_valid():
                try:
                    services.platform_evaluation_create(user=request.user, service_order=service_order, **data)
                except ValidationError as error:
                    apply_service_errors(form, error)
                else:
                    messages.success(request, _("Evaluation recorded."))
                    return redirect("ratings:platform")
        return self.render_to_response(self.get_context_data(form=form))


# --- The buyer's rating and the provider's reply, posted from the order page ----------------------


class _OrderRatingPost(OrganisationObjectMixin, View):
    """Posted from the order page: a party to the order only (anyone else's order is a 404)."""

    object_selector = hiring_selectors.order_for_user
    not_found_message = "No such order"

    def get(self, request, pk):
        return redirect("hiring:detail", pk=pk)


class RateView(_OrderRatingPost):
    def post(self, request, pk):
        service_order = self.object
        form = RatingForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give 1 to 5 stars for each of the four aspects."))
            return redirect(service_order.get_absolute_url())
        try:
            services.rating_create(
                service_order=service_order, user=request.user, comment=form.cleaned_data["comment"], **form.stars()
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect(service_order.get_absolute_url())


class ReplyView(_OrderRatingPost):
    def post(self, request, pk):
        service_order = self.object
        rating = selectors.order_rating(service_order=service_order)
        if rating is None:
            raise Http404("No rating")
        try:
            services.rating_reply(rating=rating, user=request.user, reply=request.POST.get("reply", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        return redirect(service_order.get_absolute_url())
