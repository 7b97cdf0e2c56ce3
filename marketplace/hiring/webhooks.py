"""The payment gateway's webhook endpoint (``/payments/stripe/webhook/``, outside the language prefix).

It lives with hiring, not payments, because a webhook that confirms a payment starts the order:
payments verifies and claims the event, hiring applies it (``payment_flow.payment_webhook_process``).
"""

from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from marketplace.payments import services as payments
from marketplace.payments.interfaces import GatewayError, SignatureError

from . import payment_flow


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class StripeWebhookView(View):
    """Stripe → platform. 400 for a bad signature (nothing changed); 2xx only once the change is committed;
    503 when Stripe cannot be asked for the intent's state or cannot make a refund it must make
    (Stripe retries later)."""

    def post(self, request):
        try:
            outcome = payment_flow.payment_webhook_process(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except SignatureError:
            return HttpResponseBadRequest("invalid signature")
        except (GatewayError, payments.PaymentUnavailable):
            # Nothing was kept (the event's claim rolls back with the rest): Stripe retries later.
            return HttpResponse("payment service unavailable", status=503)
        return HttpResponse(outcome)
