"""The order's payment pages (pay by card, the server-side check after card authentication, the receipt /
ledger). They live with hiring because paying moves the order; the URLs keep the ``payments:`` names
(``payment_urls``). Views look the order up through a scoped selector, call a service and render.
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from marketplace.core.views import OrganisationObjectMixin
from marketplace.payments import selectors as payment_selectors
from marketplace.payments import services as payments
from marketplace.payments.interfaces import GatewayError, get_gateway
from marketplace.payments.models import Payout
from marketplace.payments.money import fen_to_yuan

from . import milestones, payment_flow, selectors
from .models import Status


class _PayerOrderMixin(OrganisationObjectMixin):
    """An order of one of the user's enterprises (the payer); anyone else's is a 404."""

    object_selector = selectors.order_for_payer
    not_found_message = "No such order"


def _charged(service_order) -> bool:
    """A charge is on the order's ledger (another window paid, or money came for a cancelled order):
    then no page may say "you have not been charged"."""
    return payments.ledger_balance(service_order=service_order).charged > 0


# The pay pages call the gateway: never inside the request's transaction, never under a row lock.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PayView(_PayerOrderMixin, View):
    """One page: the card field (Stripe.js), the price from the order, clear errors; the server confirms."""

    template_name = "payments/pay.html"

    def _render(self, request, service_order, payment=None, error="", authenticate=False, status=200):
        setup_secret = ""
        if payment is not None and not authenticate:
            try:
                setup_secret = get_gateway().setup_intent_create()
            except GatewayError:
                error = error or _("The payment service is not reachable right now. Please try again in a minute.")
        stage = milestones.current(service_order)
        context = {
            "so": service_order,
            "due": stage.amount if stage is not None else service_order.price,
            "stage": stage,
            "payment": payment,
            "error": error,
            "authenticate": authenticate,
            "setup_secret": setup_secret,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        service_order = self.object
        if service_order.status != Status.AWAITING_PAYMENT:
            return redirect(service_order.get_absolute_url())
        try:
            payment = payment_flow.service_order_payment_intent(service_order=service_order)
        except payments.PaymentError as error:
            return self._render(request, service_order, error=" ".join(error.messages), status=503)
        return self._render(request, service_order, payment)

    def post(self, request, pk):
        # Any "amount" the browser sends is ignored: the intent's amount is the order's price.
        service_order = self.object
        if service_order.status != Status.AWAITING_PAYMENT:
            return redirect(service_order.get_absolute_url())
        try:
            payment = payment_flow.service_order_pay_by_card(
                service_order=service_order, payment_method=request.POST.get("payment_method", "")
            )
        except payments.PaymentError as error:
            if _charged(service_order):
                return self._already_paid(request, service_order)
            payment = service_order.stripe_payments.first()
            return self._render(request, service_order, payment, error=" ".join(error.messages), status=400)
        if payment.status == "succeeded":
            messages.success(request, _("Payment received. The service has started."))
            return redirect(service_order.get_absolute_url())
        if payment.status == "requires_action":
            return self._render(request, service_order, payment, authenticate=True)
        if _charged(service_order):
            return self._already_paid(request, service_order)
        return self._render(
            request,
            service_order,
            payment,
            error=_("The payment did not go through. Try another card; you have not been charged."),
            status=400,
        )

    @staticmethod
    def _already_paid(request, service_order):
        # Never "you have not been charged" when a charge exists: say what did happen.
        messages.info(request, _("This order was already paid in another window. This attempt charged nothing more."))
        return redirect(service_order.get_absolute_url())


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PayCheckView(_PayerOrderMixin, View):
    """After card authentication: the server asks Stripe what happened (the browser's word is not enough)."""

    def post(self, request, pk):
        service_order = self.object
        payment = service_order.stripe_payments.first()
        if payment is not None:
            payment = payment_flow.service_order_payment_sync(intent_id=payment.intent_id) or payment
        service_order.refresh_from_db()
        service_order.order.refresh_from_db()
        if service_order.status == Status.IN_SERVICE:
            messages.success(request, _("Payment received. The service has started."))
        elif payment is not None and payment.status == "processing":
            messages.info(request, _("Your payment is being processed; this page updates when it is confirmed."))
        elif _charged(service_order):
            # Charged, but the order did not start (another window paid, or it was cancelled and the
            # money is on its way back): the receipt says which, never "not charged".
            messages.info(request, _("A payment for this order is on record; its receipt shows what became of it."))
            return redirect("payments:ledger", pk=service_order.pk)
        else:
            messages.error(request, _("The payment was not completed. You have not been charged."))
            return redirect("payments:pay", pk=service_order.pk)
        return redirect(service_order.get_absolute_url())


class LedgerView(OrganisationObjectMixin, TemplateView):
    """The buyer's receipt; staff see the whole per-order ledger with its balance."""

    template_name = "payments/ledger.html"
    object_selector = selectors.order_for_receipt
    not_found_message = "No such order"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        service_order = self.object
        staff_view = user.is_staff
        balance = payments.ledger_balance(service_order=service_order)
        context.update(
            so=service_order,
            staff_view=staff_view,
            entries=payment_selectors.ledger_entries(service_order=service_order, buyer_view=not staff_view),
            paid=fen_to_yuan(balance.charged),
            refunded=fen_to_yuan(balance.refunded),
            fees=fen_to_yuan(balance.fees),
            transferred=fen_to_yuan(balance.transferred),
            held=fen_to_yuan(balance.held),
            payout=Payout.objects.filter(service_order=service_order).first(),
        )
        if staff_view:  # the outbox and what reconciliation found are the platform's, not the buyer's
            context.update(
                operations=payment_selectors.order_operations(service_order=service_order),
                differences=payment_selectors.order_differences_open(service_order=service_order),
            )
        return context
