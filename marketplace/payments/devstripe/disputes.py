"""Disputes (https://docs.stripe.com/api/disputes), which localstripe lacks, with Stripe's test-mode behaviour.

- Paying with the test card 4000000000000259 succeeds, then the charge is disputed as fraudulent for
  its full amount (https://docs.stripe.com/testing#disputes): a dispute ``needs_response``, reason
  ``fraudulent``; event ``charge.dispute.created``; the charge reads ``disputed: true``.
- ``POST /_dev/disputes`` (``charge`` or ``payment_intent``, optional ``amount`` and ``reason``) opens
  one on any succeeded charge: a development route, since tests need disputes on charges they choose.
  A charge has at most one dispute (400 otherwise).
- ``GET /v1/disputes/{id}``; ``GET /v1/disputes`` filtered by ``charge`` or ``payment_intent``.
- ``POST /v1/disputes/{id}`` with ``evidence[…]`` and ``metadata``; submitting (``submit``, default
  true) evidence whose ``uncategorized_text`` is ``winning_evidence`` wins the dispute and
  ``losing_evidence`` loses it, as in Stripe's test mode; other evidence leaves it ``under_review``.
  ``submit=false`` only stages the evidence. Event ``charge.dispute.updated``, and
  ``charge.dispute.closed`` when it is decided. A closed dispute takes no more evidence (400).
- ``POST /v1/disputes/{id}/close`` accepts the dispute: ``lost``, event ``charge.dispute.closed``.

Opening a dispute withdraws its amount from the balance (a ``balance_transaction`` of type
``adjustment``, category ``dispute``; event ``charge.dispute.funds_withdrawn``); winning it
reinstates it (category ``dispute_reversal``; event ``charge.dispute.funds_reinstated``). Both are
in ``balance_transactions``. Stripe's dispute fee is left out: its amount depends on the account.

Ids start ``dp_`` (as the brief asks; Stripe's current ones start ``du_``).
"""

from localstripe.errors import UserError
from localstripe.resources import (
    BalanceTransaction,
    Charge,
    Event,
    PaymentMethod,
    StripeObject,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.webhooks import schedule_webhook

from .refunds import charges_of, newest_first

DISPUTED_CARD = "4000000000000259"
REASONS = (
    "bank_cannot_process",
    "check_returned",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)
EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)
OPEN = ("warning_needs_response", "needs_response", "warning_under_review", "under_review")
OUTCOMES = {"winning_evidence": "won", "losing_evidence": "lost"}  # Stripe's test-mode evidence
EVIDENCE_DAYS = 21


class DisputeBalanceTransaction(BalanceTransaction):
    """A dispute's move of funds; localstripe's BalanceTransaction only knows charges and refunds."""

    def __init__(self, dispute, amount: int, reporting_category: str):
        StripeObject.__init__(self)  # localstripe's checks allow only type charge or refund
        verb = "withdrawal" if amount < 0 else "reversal"
        self.amount = amount
        self.available_on = self.created
        self.currency = dispute.currency
        self.description = f"Chargeback {verb} for {dispute.charge}"
        self.exchange_rate = None
        self.fee = 0
        self.fee_details = []
        self.reporting_category = reporting_category
        self.source = dispute.id
        self.status = "available"
        self.type = "adjustment"


class Dispute(StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge=None, amount=None, reason="fraudulent"):
        # Only opened by the card network (here: the test card or /_dev/disputes), never by POST /v1/disputes.
        super().__init__()
        self.amount = amount
        self.balance_transactions = []
        self.charge = charge.id
        self.currency = charge.currency
        self.evidence = dict.fromkeys(EVIDENCE_FIELDS)
        self.evidence_details = {
            "due_by": self.created + EVIDENCE_DAYS * 24 * 60 * 60,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        }
        self.is_charge_refundable = False  # a chargeback, not an inquiry: refunds are refused
        self.metadata = {}
        self.network_reason_code = None
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = "needs_response"

    def _move_funds(self, amount: int, reporting_category: str) -> None:
        # A new list, not append: localstripe's export hands an empty list over as it is, so an event
        # already made would otherwise see this transaction (as an object it cannot serialise).
        transaction = DisputeBalanceTransaction(self, amount, reporting_category)
        self.balance_transactions = [*self.balance_transactions, transaction]

    @classmethod
    def _open(cls, charge, amount=None, reason="fraudulent"):
        amount = charge.amount if amount is None else try_convert_to_int(amount)
        if type(amount) is not int or not 0 < amount <= charge.amount:
            raise UserError(400, f"amount must be between 1 and {charge.amount}", {"param": "amount"})
        if reason not in REASONS:
            raise UserError(400, "Invalid reason", {"param": "reason"})
        if charge.status != "succeeded" or not charge.captured:
            raise UserError(400, f"Charge {charge.id} has not succeeded: there is nothing to dispute.")
        if charge.disputed:
            raise UserError(400, f"Charge {charge.id} is already disputed.", {"code": "charge_disputed"})
        dispute = cls(charge=charge, amount=amount, reason=reason)
        charge.disputed = True
        schedule_webhook(Event("charge.dispute.created", dispute))
        dispute._move_funds(-amount, "dispute")
        schedule_webhook(Event("charge.dispute.funds_withdrawn", dispute))
        return dispute

    @classmethod
    def _api_dev_open(cls, charge=None, payment_intent=None, amount=None, reason="fraudulent", **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        if (charge is None) == (payment_intent is None):
            raise UserError(400, "Expected charge or payment_intent")
        if charge is not None:
            charge_obj = Charge._api_retrieve(str(charge))
        else:
            succeeded = [c for c in charges_of(str(payment_intent)) if c.status == "succeeded"]
            if not succeeded:
                raise UserError(400, f"PaymentIntent {payment_intent} has no successful charge to dispute.")
            charge_obj = succeeded[-1]
        return cls._open(charge_obj, amount=amount, reason=reason)

    @classmethod
    def _api_create(cls, **data):
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_delete(cls, id):
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_update(cls, id, evidence=None, metadata=None, submit=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        submit = True if submit is None else try_convert_to_bool(submit)
        if type(submit) is not bool:
            raise UserError(400, "Bad request", {"param": "submit"})
        if evidence is not None and (type(evidence) is not dict or not set(evidence) <= set(EVIDENCE_FIELDS)):
            raise UserError(400, "Bad request", {"param": "evidence"})
        if metadata is not None and type(metadata) is not dict:
            raise UserError(400, "Bad request", {"param": "metadata"})
        dispute = cls._api_retrieve(id)
        if dispute.status not in OPEN:
            raise UserError(400, f"This dispute is already closed ({dispute.status}): it cannot be updated.")

        dispute.metadata.update(metadata or {})
        if evidence:
            dispute.evidence.update(evidence)
            dispute.evidence_details["has_evidence"] = True
        if submit and evidence:
            dispute.evidence_details["submission_count"] += 1
            dispute.status = OUTCOMES.get(dispute.evidence.get("uncategorized_text"), "under_review")
        if dispute.status == "won":
            dispute._move_funds(dispute.amount, "dispute_reversal")
        schedule_webhook(Event("charge.dispute.updated", dispute))
        if dispute.status not in OPEN:
            schedule_webhook(Event("charge.dispute.closed", dispute))
        if dispute.status == "won":
            schedule_webhook(Event("charge.dispute.funds_reinstated", dispute))
        return dispute

    @classmethod
    def _api_close(cls, id, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        dispute = cls._api_retrieve(id)
        if dispute.status not in OPEN:
            raise UserError(400, f"This dispute is already closed ({dispute.status}).")
        dispute.status = "lost"
        schedule_webhook(Event("charge.dispute.closed", dispute))
        return dispute

    @classmethod
    def _api_list_all(cls, url, charge=None, payment_intent=None, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        li = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        if charge is not None:
            li._list = [d for d in li._list if d.charge == charge]
        if payment_intent is not None:
            li._list = [d for d in li._list if d.payment_intent == payment_intent]
        newest_first(li)
        return li


def _card_number(charge) -> str | None:
    try:
        method = PaymentMethod._api_retrieve(charge.payment_method)
    except UserError:  # a legacy source, not a PaymentMethod
        return None
    return getattr(method, "_card_number", None)


_trigger_payment = Charge._trigger_payment  # localstripe's


def _trigger_payment_then_dispute(self, on_success=None):
    def succeeded():
        if on_success:
            on_success()
        if _card_number(self) == DISPUTED_CARD:
            Dispute._open(self)

    _trigger_payment(self, on_success=succeeded)


def install() -> None:
    # Stripe's charge always says whether it is disputed; localstripe's has no such field.
    Charge.disputed = False
    Charge._trigger_payment = _trigger_payment_then_dispute


# Served like localstripe's extra_apis, before the resource's own routes.
EXTRA_ROUTES = (
    ("POST", "/_dev/disputes", Dispute._api_dev_open),
    ("POST", "/v1/disputes/{id}/close", Dispute._api_close),
)
