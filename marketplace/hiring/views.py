"""Order pages: list and detail for the parties, one POST endpoint per lifecycle step, staff disputes.

Every lookup goes through ``selectors.order_for_user`` (the order page through ``selectors.order_page``,
the same scope): another organisation's order is a 404. The services decide who may take which step and
raise a message when they may not.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from marketplace.core import table_versions
from marketplace.core.permissions import StaffRequiredMixin
from marketplace.core.selectors import request_organisations
from marketplace.core.storage import pdf_download_response, private_file_response
from marketplace.core.uploads import file_digest
from marketplace.core.views import OrganisationObjectMixin, flash_service_errors
from marketplace.enterprises.selectors import enterprises_for_user
from marketplace.payments import selectors as payment_selectors
from marketplace.payments.models import Payout
from marketplace.payments.money import fen_to_yuan
from signing import services as signing_services
from signing import verifier
from signing.exceptions import SigningError
from signing.models import DocumentKind

from . import checkout, contracts, delivery_notes, milestones, payment_flow, selectors, services, tasks
from .forms import CheckoutForm, DeliverableForm, DisputeResolveForm, ExtensionForm, FileCheckForm, ReasonForm
from .models import Contract, Dispute, Extension, ServiceOrder, Status


class _OrderMixin(OrganisationObjectMixin):
    """The order the URL names, for a party to it or staff (``selectors.order_for_user``): 404 otherwise."""

    object_selector = selectors.order_for_user
    not_found_message = "No such order"


class OrderListView(LoginRequiredMixin, TemplateView):
    template_name = "hiring/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = selectors.orders_for_user(user=self.request.user)
        status = self.request.GET.get("status", "")
        if status in Status.values:
            queryset = queryset.filter(order__status=status)
        page = Paginator(queryset, 20).get_page(self.request.GET.get("page"))
        context.update(page=page, orders=page.object_list, statuses=Status.choices, status=status, now=timezone.now())
        return context


class OrderDetailView(_OrderMixin, TemplateView):
    """The order page, in the same number of queries however long its history, thread and lists grow:
    ``selectors.order_page`` reads the order with its contract, refund figures and which lists it has,
    and the user's side comes from the memberships the page's header reads anyway."""

    object_selector = selectors.order_page
    template_name = "hiring/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        service_order = self.object
        user = self.request.user
        party = selectors.order_party(service_order, user, request_organisations(self.request))
        status = service_order.order.status
        events = list(service_order.events.all())
        disputes = list(service_order.disputes.all()) if service_order.has_disputes else []
        contract = _contract_of(service_order)
        stages = list(service_order.milestones.all()) if service_order.has_milestones else []
        current = next((stage for stage in stages if stage.open), None)
        context.update(
            so=service_order,
            stages=[(stage, milestones.due_at(service_order, stage)) for stage in stages],
            current_stage=current,
            due=current.amount if current is not None else service_order.price,
            party=party,
            status=status,
            lateness=service_order.lateness(),
            events=events,
            deliverables=service_order.deliverables.all() if service_order.has_deliverables else [],
            delivery_notes=service_order.delivery_notes.select_related("document").defer("document__pdf")
            if service_order.has_delivery_notes
            else [],
            extensions=service_order.extensions.all() if service_order.has_extensions else [],
            disputes=disputes,
            reason_form=ReasonForm(),
            deliverable_form=DeliverableForm(),
            extension_form=ExtensionForm(),
            resolve_form=DisputeResolveForm() if party == "staff" and status == Status.DISPUTED else None,
            open_dispute=next((dispute for dispute in disputes if dispute.resolved_at is None), None),
            refunded=fen_to_yuan(service_order.refunded_fen),
            refund_pending=fen_to_yuan(service_order.refund_pending_fen),
            **_contract_context(service_order, contract, events),
            **_seal_context(service_order, contract, party, user, status),
        )
        return context


def _contract_of(service_order: ServiceOrder) -> Contract | None:
    try:
        return service_order.contract
    except Contract.DoesNotExist:
        return None


def _contract_context(service_order: ServiceOrder, contract: Contract | None, events: list) -> dict:
    """The contract box of the order page: its state and who sealed when (``events``: the order's history)."""
    if contract is not None:
        return {"contract": contract, "contract_seals": list(contract.seals.all())}
    failure = next((event for event in reversed(events) if event.kind == "contract_failed"), None)
    # Queued when the order was placed and not finished yet: the page waits for it.
    arriving = failure is None and bool(cache.get(tasks.contract_queued_key(service_order.pk)))
    if arriving:
        table_versions.note_untracked()  # the mark leaves the cache with no write to any table
    return {
        "contract": None,
        "contract_seals": [],
        "contract_failure": failure.reason if failure else "",
        "contract_arriving": arriving,
    }


def _seal_context(service_order: ServiceOrder, contract: Contract | None, party: str | None, user, status: str) -> dict:
    """What this user may do with their organisation's seal, where the page offers it: on the contract
    when it is their side's turn to seal, and (the provider's members) on delivering while in service.

    Only a member holding a grant gets the seal button; an owner without one (or whose organisation
    has no seal yet) gets the button that creates the seal or grants it to them. ``delivery_seal`` is
    None off the provider's turn to deliver. Both places ask about the same seal, read once with the
    user's grants on it; whether the user may manage it is read only when the page gets that far
    (no grant).
    """
    contract_turn = contract is not None and party in ("buyer", "provider") and contract.next_party == party
    delivering = party == "provider" and status in (Status.IN_SERVICE, Status.REVISION_REQUESTED)
    if not (contract_turn or delivering):
        return {"delivery_seal": None}
    owner = contracts.party_organisation(service_order, party)
    seal, held = signing_services.organisation_seal_with_grants(
        user=user, document_kinds=(DocumentKind.SERVICE_CONTRACT, DocumentKind.DELIVERY_NOTE), **owner
    )
    may_manage = SimpleLazyObject(
        lambda: signing_services.may_manage_seal(actor=user, organisation=next(iter(owner.values())))
    )
    context = {"delivery_seal": None}
    if contract_turn:
        context.update(
            seal_turn=True,
            own_seal=seal,
            may_apply_seal=DocumentKind.SERVICE_CONTRACT in held,
            may_manage_seal=may_manage,
        )
    if delivering:
        context["delivery_seal"] = {
            "exists": seal is not None,
            "ready": DocumentKind.DELIVERY_NOTE in held,
            "may_manage": may_manage,
        }
    return context


class _OrderPost(_OrderMixin, View):
    def get(self, request, pk, **kwargs):
        return redirect("hiring:detail", pk=pk)


ACTIONS = {
    "deliver": lambda so, user, post, files: services.service_order_deliver(service_order=so, user=user),
    "accept": lambda so, user, post, files: services.service_order_accept(service_order=so, user=user),
    "resume": lambda so, user, post, files: services.service_order_resume(service_order=so, user=user),
    "revision": lambda so, user, post, files: services.service_order_request_revision(
        service_order=so, user=user, reason=post.get("reason", "")
    ),
    "cancel": lambda so, user, post, files: services.service_order_cancel(
        service_order=so, user=user, reason=post.get("reason", "")
    ),
    "dispute": lambda so, user, post, files: services.dispute_open(
        service_order=so, user=user, reason=post.get("reason", "")
    ),
}


# Steps that move money or cannot be undone: the form must carry the ticked confirmation.
CONFIRMED_ACTIONS = {
    "accept": gettext_lazy("Tick the box to confirm you accept the delivery: it releases the payment."),
    "cancel": gettext_lazy("Tick the box to confirm the cancellation: it cannot be undone."),
}


def _done_message(action: str, service_order) -> str:
    """What happened, in words the person can check."""
    if action == "accept":
        payout = Payout.objects.filter(service_order=service_order).first()
        if payout is not None:
            return _("Delivery accepted; ¥%(amount)s released to %(provider)s.") % {
                "amount": payout.amount,
                "provider": service_order.provider.localized("name"),
            }
        return _("Delivery accepted.")
    return {
        "upload": _("The file is uploaded to the order."),
        "deliver": _("Marked as delivered; the buyer is asked to accept or request a revision."),
        "extension": _("Your request for more time is sent to the buyer."),
        "record-payment": _("The payment is recorded and the service has started."),
        "resume": _("The order is back in service."),
        "revision": _("The revision request is sent to the provider."),
        "cancel": _("The order is cancelled."),
        "dispute": _("The dispute is opened; platform staff will decide it."),
    }.get(action, _("Done."))


class OrderActionView(_OrderPost):
    def post(self, request, pk, action):
        service_order = self.object
        if action in CONFIRMED_ACTIONS and request.POST.get("confirm") != "yes":
            messages.error(request, CONFIRMED_ACTIONS[action])
            return redirect(service_order.get_absolute_url())
        try:
            if action == "upload":
                form = DeliverableForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise ValidationError(_("Choose a file to upload."))
                services.deliverable_upload(
                    service_order=service_order, user=request.user, file=form.cleaned_data["file"]
                )
            elif action == "extension":
                form = ExtensionForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Ask for 1 to 365 extra days and give a reason."))
                services.extension_request(
                    service_order=service_order,
                    user=request.user,
                    days=form.cleaned_data["days"],
                    reason=form.cleaned_data["reason"],
                )
            elif action == "record-payment":
                payment_flow.service_order_pay_manual(
                    service_order=service_order, user=request.user, reference=request.POST.get("reference", "")
                )
            elif action in ACTIONS:
                ACTIONS[action](service_order, request.user, request.POST, request.FILES)
            else:
                raise Http404("No such action")
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _done_message(action, service_order))
        return redirect(service_order.get_absolute_url())


class ExtensionDecideView(_OrderPost):
    def post(self, request, pk, ext_pk, decision):
        service_order = self.object
        extension = Extension.objects.filter(pk=ext_pk, service_order=service_order).first()
        if extension is None or decision not in ("grant", "refuse"):
            raise Http404("No such extension request")
        try:
            services.extension_decide(extension=extension, user=request.user, grant=decision == "grant")
        except ValidationError as error:
            flash_service_errors(request, error)
        return redirect(service_order.get_absolute_url())


class DeliverableDownloadView(_OrderMixin, View):
    def get(self, request, pk, file_pk):
        service_order = self.object
        deliverable = service_order.deliverables.filter(pk=file_pk).first()
        if deliverable is None:
            raise Http404("No such file")
        return private_file_response(deliverable.file, missing_message="The file is missing")


class DeliveryNoteDownloadView(_OrderMixin, View):
    """A delivery note as sealed, for the two parties and staff (the order lookup is scoped)."""

    def get(self, request, pk, note_pk):
        note = self.object.delivery_notes.select_related("document").filter(pk=note_pk).first()
        if note is None:
            raise Http404("No such delivery note")
        return delivery_notes.delivery_note_download(note)


def delivery_note_landing(request, token: str):
    """Where a delivery note's QR code leads (``signing:permit-public``): its registry record (who
    delivered what to whom, each file's SHA-256), and a check of any file against it: the file is
    hashed here and never kept. None for any other token."""
    note = delivery_notes.note_by_token(token)
    if note is None:
        return None
    form, checked = FileCheckForm(), None
    status = 200
    if request.method == "POST":
        form = FileCheckForm(request.POST, request.FILES)
        if form.is_valid():
            sha256, size = file_digest(form.cleaned_data["file"])
            checked = {"sha256": sha256, "size": size, "match": note.file_matching(sha256)}
        else:
            status = 400
    context = {"note": note, "record": delivery_notes.delivery_note_record(note), "form": form, "checked": checked}
    return render(request, "hiring/public_delivery_note.html", context, status=status)


class StaffMixin(StaffRequiredMixin):
    staff_only_message = gettext_lazy("Only platform staff may decide disputes.")


class DisputeQueueView(StaffMixin, TemplateView):
    template_name = "hiring/disputes.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["disputes"] = selectors.disputes_open()
        # Card disputes the buyer's bank opened with Stripe: nothing for staff to decide here, but their
        # orders' payouts are frozen until the card network does, so they belong on the same desk.
        context["chargebacks"] = payment_selectors.chargebacks_open()
        return context


class DisputeResolveView(StaffMixin, View):
    def post(self, request, pk):
        dispute = Dispute.objects.filter(pk=pk).select_related("service_order").first()
        if dispute is None:
            raise Http404("No such dispute")
        form = DisputeResolveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose an outcome and write the decision."))
        else:
            try:
                services.dispute_resolve(
                    dispute=dispute,
                    user=request.user,
                    outcome=form.cleaned_data["outcome"],
                    decision=form.cleaned_data["decision"],
                    refund_amount=form.cleaned_data.get("refund_amount"),
                )
            except ValidationError as error:
                flash_service_errors(request, error)
            else:
                messages.success(request, _("The dispute is decided."))
        return redirect(dispute.service_order.get_absolute_url())


class CheckoutView(LoginRequiredMixin, TemplateView):
    """Checkout without shipping: project name, site location and notes, then orders awaiting payment.

    Mounted at Oscar's ``/checkout/`` so the basket's "Proceed to checkout" button lands here.
    """

    template_name = "hiring/checkout.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.enterprises = enterprises_for_user(user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", CheckoutForm(enterprises=self.enterprises))
        context.update(
            basket=self.request.basket,
            lines=list(self.request.basket.all_lines()),
            has_enterprise=self.enterprises.exists(),
        )
        return context

    def post(self, request):
        form = CheckoutForm(request.POST, enterprises=self.enterprises)
        if form.is_valid():
            try:
                placed = checkout.direct_orders_place(basket=request.basket, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                if getattr(error, "code", None) == "already_placed":
                    messages.info(request, error.message)
                    return redirect("hiring:list")
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                for so in placed:
                    messages.success(
                        request,
                        _("Order %(number)s placed: %(service)s by %(provider)s, ¥%(price)s, awaiting payment.")
                        % {
                            "number": so.order.number,
                            "service": so.title,
                            "provider": so.provider.localized("name"),
                            "price": so.price,
                        },
                    )
                return redirect(placed[0].get_absolute_url() if len(placed) == 1 else "hiring:list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _get_contract(service_order: ServiceOrder) -> Contract:
    contract = Contract.objects.filter(service_order=service_order).select_related("document").first()
    if contract is None:
        raise Http404("This order has no contract yet")
    return contract


class ContractDownloadView(_OrderMixin, View):
    """The contract's latest version, for the two parties and staff (the order lookup is scoped)."""

    def get(self, request, pk):
        contract = _get_contract(self.object)
        return pdf_download_response(bytes(contract.document.pdf), filename=f"contract-{contract.number}.pdf")


class ContractActionView(_OrderPost):
    """Seal the contract (the party whose turn it is), create one's organisation seal, or issue a
    contract the platform could not issue when the order was placed."""

    def post(self, request, pk, step):
        service_order = self.object
        party = services.party_of(service_order, request.user)
        try:
            if step == "seal":
                contracts.contract_seal(contract=_get_contract(service_order), actor=request.user)
                message = _("Your organisation's seal is on the contract.")
            elif step == "own-seal":
                if party not in ("buyer", "provider"):
                    raise ValidationError(_("Only the buyer's and the provider's members have a seal to create."))
                signing_services.organisation_seal_create(
                    actor=request.user, **contracts.party_organisation(service_order, party)
                )
                message = _("Your organisation's electronic seal is ready.")
            elif step == "issue":
                contracts.contract_issue(service_order=service_order)
                message = _("The contract is issued and certified by the platform.")
            else:
                raise Http404("No such step")
        except SigningError as error:
            messages.error(request, str(error))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, message)
        return redirect(service_order.get_absolute_url())


def contract_landing(request, token: str):
    """Where a contract's QR code leads (``signing:permit-public``, the one QR address): its
    registry record (parties, who sealed, status), not its terms. None for any other token."""
    contract = selectors.contract_public(token=token)
    if contract is None:
        return None
    record = verifier.lookup_by_token(token)
    return render(request, "hiring/public_contract.html", {"contract": contract, "record": record})


class StockCheckoutGone(View):
    """Oscar's shipping-based checkout steps are not OneWindow's: orders are placed only through the service
    checkout, which records the enterprise and creates the service order and its contract."""

    def dispatch(self, request, *args, **kwargs):
        messages.info(
            request, _("Orders are placed through the service checkout: enterprise and project first, then payment.")
        )
        return redirect("direct-checkout")
