"""Errors the payment service raises to the layers above; every message is safe to show."""

from django.core.exceptions import ValidationError


class PaymentError(ValidationError):
    """Something the buyer or staff can correct; the message is safe to show."""


class PaymentUnavailable(PaymentError):
    """The gateway could not be reached for a call that moves money. What was decided is kept and the call
    waits in the outbox; a webhook that hits this answers 503, so the gateway retries it."""
