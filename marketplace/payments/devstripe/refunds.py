"""Refunds as Stripe makes them (https://docs.stripe.com/api/refunds/create), and charges listed by intent.

localstripe refunds any amount, any number of times, and lists an intent's refunds from its latest
charge only. Here, as on Stripe:

- ``POST /v1/refunds`` (``payment_intent`` or ``charge``; ``amount`` defaults to what is left;
  ``metadata``; ``reason``) refunds only up to the charge's unrefunded amount: beyond it, 400
  ``invalid_request_error`` code ``amount_too_large``; on a fully refunded charge, code
  ``charge_already_refunded``; on a charge that has been charged back (a dispute), code
  ``charge_disputed``; an intent without a successful charge, 400. The refund names its ``charge``
  and ``payment_intent``; the charge's ``amount_refunded`` and ``refunded`` follow (localstripe
  computes them from the stored refunds). Events ``charge.refunded`` (the charge) and
  ``refund.created`` (the refund).
- ``GET /v1/refunds?payment_intent=pi_…`` lists the refunds of every charge of that intent (a declined
  attempt leaves a failed charge behind, so an intent can have several); ``?charge=ch_…`` one charge's.
- ``GET /v1/charges?payment_intent=pi_…`` lists that intent's charges, newest first.

localstripe's routes are closures over its classes, so these replace the classes' API methods.
"""

from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Event,
    PaymentIntent,
    Refund,
    store,
    try_convert_to_int,
)
from localstripe.webhooks import schedule_webhook

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency.upper()}"


def newest_first(li) -> None:
    """Stripe lists newest first; ``created`` is in seconds, so ties keep the store's order, reversed."""
    li._list.reverse()
    li._list.sort(key=lambda obj: obj.created, reverse=True)


def charges_of(payment_intent: str) -> list:
    return [obj for key, obj in store.items() if key.startswith("charge:") and obj.payment_intent == payment_intent]


def _intent_id(payment_intent) -> str:
    if not (isinstance(payment_intent, str) and payment_intent.startswith("pi_")):
        raise UserError(400, "Bad request", {"param": "payment_intent"})
    PaymentIntent._api_retrieve(payment_intent)  # 404 if there is none
    return payment_intent


def _charge_to_refund(charge, payment_intent):
    if (charge is None) == (payment_intent is None):
        raise UserError(400, "Expected charge or payment_intent")
    if charge is not None:
        if not (isinstance(charge, str) and charge.startswith("ch_")):
            raise UserError(400, "Bad request", {"param": "charge"})
        charge_obj = Charge._api_retrieve(charge)
    else:
        succeeded = [c for c in charges_of(_intent_id(payment_intent)) if c.status == "succeeded"]
        if not succeeded:
            raise UserError(
                400,
                f"This PaymentIntent ({payment_intent}) does not have a successful charge to refund.",
                {"param": "payment_intent"},
            )
        charge_obj = succeeded[-1]
    if charge_obj.status == "failed":
        raise UserError(400, "Cannot refund a failed payment.")
    return charge_obj


def _api_create(cls, charge=None, payment_intent=None, amount=None, metadata=None, reason=None, **data):
    charge_obj = _charge_to_refund(charge, payment_intent)
    amount = try_convert_to_int(amount)
    if amount is not None and (type(amount) is not int or amount <= 0):
        raise UserError(400, "Invalid positive integer", {"param": "amount"})
    if reason is not None and reason not in REASONS:
        raise UserError(400, f"Invalid reason: must be one of {', '.join(REASONS)}", {"param": "reason"})
    if metadata is not None and type(metadata) is not dict:
        raise UserError(400, "Invalid metadata", {"param": "metadata"})
    if getattr(charge_obj, "disputed", False):
        raise UserError(
            400,
            f"The charge you're attempting to refund ({charge_obj.id}) has been charged back.",
            {"code": "charge_disputed", "charge": charge_obj.id},
        )
    remaining = charge_obj.amount - charge_obj.amount_refunded
    if remaining <= 0:
        raise UserError(
            400,
            f"Charge {charge_obj.id} has already been refunded.",
            {"code": "charge_already_refunded", "charge": charge_obj.id},
        )
    if amount is None:
        amount = remaining
    elif amount > remaining:
        raise UserError(
            400,
            f"Refund amount ({money(amount, charge_obj.currency)}) is greater than unrefunded amount on "
            f"charge ({money(remaining, charge_obj.currency)})",
            {"code": "amount_too_large", "param": "amount", "charge": charge_obj.id},
        )

    refund = cls(charge=charge_obj.id, amount=amount, metadata=metadata, **data)
    refund.payment_intent = charge_obj.payment_intent
    refund.reason = reason
    schedule_webhook(Event("charge.refunded", charge_obj))
    schedule_webhook(Event("refund.created", refund))
    return refund


def _refunds_list_all(cls, url, charge=None, payment_intent=None, limit=None, starting_after=None, **kwargs):
    if kwargs:
        raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    if charge is not None and payment_intent is not None:
        raise UserError(400, "Bad request")
    li = super(Refund, cls)._api_list_all(url, limit=limit, starting_after=starting_after)
    if charge is not None:
        if not (isinstance(charge, str) and charge.startswith("ch_")):
            raise UserError(400, "Bad request", {"param": "charge"})
        Charge._api_retrieve(charge)  # 404 if there is none
        li._list = [r for r in li._list if r.charge == charge]
    elif payment_intent is not None:
        charge_ids = {c.id for c in charges_of(_intent_id(payment_intent))}
        li._list = [r for r in li._list if r.charge in charge_ids]
    newest_first(li)
    return li


_charges_list_all = Charge._api_list_all  # localstripe's, bound to Charge


def _charges_list_all_by_intent(cls, url, payment_intent=None, **data):
    if payment_intent is not None:
        _intent_id(payment_intent)
    li = _charges_list_all(url, **data)
    if payment_intent is not None:
        li._list = [c for c in li._list if c.payment_intent == payment_intent]
    newest_first(li)
    return li


def install() -> None:
    Refund._api_create = classmethod(_api_create)
    Refund._api_list_all = classmethod(_refunds_list_all)
    Charge._api_list_all = classmethod(_charges_list_all_by_intent)
