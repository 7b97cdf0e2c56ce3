"""The contract every ``PaymentGateway`` must keep, whatever is behind it (shaped like the search backend
contract): each test runs against every implementation available here, through ``get_gateway()``.

- ``localstripe``: ``StripeGateway`` against a real devstripe process (localstripe extended by
  ``marketplace.payments.devstripe`` with idempotency keys, per-charge refund caps, disputes and Connect
  transfers; always here). Only opening a dispute needs devstripe's dev route (Stripe opens them
  itself, from a test card): that test skips on real Stripe.
- ``stripe``: ``StripeGateway`` against Stripe's test mode, when ``STRIPE_TEST_SECRET_KEY`` is set
  (``STRIPE_TEST_CONNECTED_ACCOUNT`` too for transfers). Not run here: no network to Stripe.

A new gateway adds a param with its own ``Harness`` (how the browser turns a card into a payment
method, how its webhooks are signed) and must pass every test here.
"""

import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from marketplace.payments import gateway as stripe_gateway
from marketplace.payments.interfaces import (
    CardDeclined,
    GatewayError,
    GatewayRefused,
    PaymentGateway,
    SignatureError,
    get_gateway,
)
from marketplace.payments.money import CURRENCY

STRIPE_GATEWAY = "marketplace.payments.gateway.StripeGateway"
WEBHOOK_SECRET = "whsec_onewindow_contract"
NO_STRIPE = "STRIPE_TEST_SECRET_KEY is not set: no Stripe test-mode account to hold the gateway to"


@dataclass(frozen=True)
class Harness:
    """What a test needs that is not part of the gateway: the browser's and the gateway's own side."""

    card: Callable[[str], str]  # "ok" | "declined" -> a payment method id, as the browser's script makes it
    sign: Callable[..., str]  # (payload, *, secret, at) -> the webhook signature header
    unsupported: dict[str, str] = field(default_factory=dict)  # capability -> why it cannot be checked here
    connected_account: str = ""

    def require(self, capability: str) -> None:
        if capability in self.unsupported:
            pytest.skip(self.unsupported[capability])


def _stripe_sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), b"%d.%s" % (at, payload), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _localstripe_card(kind: str) -> str:
    number = {"ok": "4242424242424242", "declined": "4000000000000341"}[kind]
    params = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    return stripe_gateway._client().v1.payment_methods.create(params=params)["id"]


def _stripe_card(kind: str) -> str:
    # Stripe's test mode refuses raw card numbers over the API; these are its documented test methods.
    return {"ok": "pm_card_visa", "declined": "pm_card_chargeDeclined"}[kind]


@pytest.fixture(
    params=[
        "localstripe",
        pytest.param(
            "stripe", marks=pytest.mark.skipif(not os.environ.get("STRIPE_TEST_SECRET_KEY"), reason=NO_STRIPE)
        ),
    ]
)
def harness(request, settings) -> Harness:
    settings.PAYMENT_GATEWAY = STRIPE_GATEWAY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    if request.param == "localstripe":
        settings.STRIPE_API_BASE = request.getfixturevalue("localstripe_url")
        settings.STRIPE_SECRET_KEY = "sk_test_onewindow_tests"
        # devstripe (our extended localstripe) keeps idempotency keys, refuses an over-refund and takes
        # transfers to any acct_ id: there are no connected accounts to create on it.
        return Harness(card=_localstripe_card, sign=_stripe_sign, unsupported={}, connected_account="acct_devstripe")
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    settings.STRIPE_SECRET_KEY = os.environ["STRIPE_TEST_SECRET_KEY"]
    account = os.environ.get("STRIPE_TEST_CONNECTED_ACCOUNT", "")
    unsupported = {"open_dispute": "real Stripe opens disputes itself (test card 4000000000000259), later"}
    if not account:
        unsupported["transfers"] = "STRIPE_TEST_CONNECTED_ACCOUNT is not set"
    return Harness(card=_stripe_card, sign=_stripe_sign, unsupported=unsupported, connected_account=account)


@pytest.fixture
def gateway(harness) -> PaymentGateway:
    return get_gateway()


def key() -> str:
    return f"contract-{uuid.uuid4().hex}"


def paid_intent(gateway, harness, amount: int = 50_000):
    intent = gateway.payment_intent_create(amount=amount, metadata={"order": "contract"}, idempotency_key=key())
    return gateway.payment_intent_pay(intent_id=intent.id, payment_method=harness.card("ok"))


def test_the_configured_gateway_keeps_the_protocol(gateway):
    assert isinstance(gateway, PaymentGateway)
    assert get_gateway() is gateway  # one instance per configured class


def test_an_intent_has_the_amount_and_currency_asked_for(gateway):
    intent = gateway.payment_intent_create(amount=12_345, metadata={"service_order": "7"}, idempotency_key=key())
    assert (intent.amount, intent.currency) == (12_345, CURRENCY)
    assert intent.status == "requires_payment_method" and intent.client_secret
    assert intent.metadata == {"service_order": "7"}
    again = gateway.payment_intent_retrieve(intent_id=intent.id)
    assert (again.id, again.amount, again.currency, again.status) == (intent.id, 12_345, CURRENCY, intent.status)


def test_an_idempotency_key_returns_the_same_intent(gateway, harness):
    harness.require("idempotency")
    same = key()
    first = gateway.payment_intent_create(amount=1_000, metadata={}, idempotency_key=same)
    assert gateway.payment_intent_create(amount=1_000, metadata={}, idempotency_key=same).id == first.id
    assert gateway.payment_intent_create(amount=1_000, metadata={}, idempotency_key=key()).id != first.id


def test_confirming_with_a_good_card_succeeds(gateway, harness):
    intent = paid_intent(gateway, harness, amount=48_000)
    assert (intent.status, intent.amount) == ("succeeded", 48_000)
    assert gateway.payment_intent_retrieve(intent_id=intent.id).status == "succeeded"


def test_a_declined_card_raises_a_message_for_the_buyer_and_charges_nothing(gateway, harness):
    intent = gateway.payment_intent_create(amount=48_000, metadata={}, idempotency_key=key())
    with pytest.raises(CardDeclined) as declined:
        gateway.payment_intent_pay(intent_id=intent.id, payment_method=harness.card("declined"))
    assert declined.value.message and "sk_" not in declined.value.message
    assert gateway.payment_intent_retrieve(intent_id=intent.id).status != "succeeded"


def test_a_cancelled_intent_reads_back_cancelled(gateway):
    intent = gateway.payment_intent_create(amount=1_000, metadata={}, idempotency_key=key())
    gateway.payment_intent_cancel(intent_id=intent.id)
    assert gateway.payment_intent_retrieve(intent_id=intent.id).status == "canceled"


def test_a_setup_intent_gives_the_browser_a_secret(gateway):
    assert gateway.setup_intent_create()


def test_an_unknown_intent_is_a_gateway_error_not_an_sdk_error(gateway):
    with pytest.raises(GatewayError) as error:
        gateway.payment_intent_retrieve(intent_id="pi_does_not_exist")
    # Refused (404: retrying cannot help), as a GatewayError the callers catch, never the SDK's own error.
    assert type(error.value) is GatewayRefused and "pi_does_not_exist" not in str(error.value)


def test_a_refund_returns_part_of_a_payment(gateway, harness):
    intent = paid_intent(gateway, harness, amount=50_000)
    first = gateway.refund_create(intent_id=intent.id, amount=20_000, idempotency_key=key())
    second = gateway.refund_create(intent_id=intent.id, amount=30_000, idempotency_key=key())
    assert (first.amount, second.amount) == (20_000, 30_000) and first.id != second.id
    assert first.status == second.status == "succeeded"


def test_a_refund_retried_with_its_key_is_the_same_refund(gateway, harness):
    harness.require("idempotency")
    intent = paid_intent(gateway, harness)
    same = key()
    first = gateway.refund_create(intent_id=intent.id, amount=1_000, idempotency_key=same)
    assert gateway.refund_create(intent_id=intent.id, amount=1_000, idempotency_key=same).id == first.id


def test_a_refund_beyond_what_was_paid_is_refused(gateway, harness):
    harness.require("over_refund")
    intent = paid_intent(gateway, harness, amount=50_000)
    with pytest.raises(GatewayError):
        gateway.refund_create(intent_id=intent.id, amount=50_001, idempotency_key=key())
    gateway.refund_create(intent_id=intent.id, amount=40_000, idempotency_key=key())
    with pytest.raises(GatewayError):
        gateway.refund_create(intent_id=intent.id, amount=10_001, idempotency_key=key())


def test_a_refund_of_an_unpaid_intent_is_refused(gateway):
    intent = gateway.payment_intent_create(amount=1_000, metadata={}, idempotency_key=key())
    with pytest.raises(GatewayError):
        gateway.refund_create(intent_id=intent.id, amount=1_000, idempotency_key=key())


def test_a_transfer_pays_a_connected_account(gateway, harness):
    harness.require("transfers")
    transfer = gateway.transfer_create(
        amount=1_000, destination=harness.connected_account, transfer_group="contract", idempotency_key=key()
    )
    assert transfer


def test_refunds_of_an_intent_are_listed_with_the_metadata_they_were_made_with(gateway, harness):
    intent = paid_intent(gateway, harness, amount=50_000)
    ours = gateway.refund_create(intent_id=intent.id, amount=20_000, idempotency_key=key(), metadata={"ow": "1"})
    listed = {refund.id: refund for refund in gateway.refunds_list(intent_id=intent.id)}
    assert set(listed) == {ours.id}
    assert (listed[ours.id].amount, listed[ours.id].intent_id, listed[ours.id].metadata) == (
        20_000,
        intent.id,
        {"ow": "1"},
    )


def test_transfers_of_a_group_are_listed_and_a_reversal_is_counted_on_its_transfer(gateway, harness):
    harness.require("transfers")
    group = f"contract-{uuid.uuid4().hex[:8]}"
    transfer_id = gateway.transfer_create(
        amount=3_000, destination=harness.connected_account, transfer_group=group, idempotency_key=key()
    )
    reversal = gateway.transfer_reversal_create(
        transfer_id=transfer_id, amount=1_000, idempotency_key=key(), metadata={"ow": "2"}
    )
    assert (reversal.amount, reversal.transfer_id) == (1_000, transfer_id)
    assert gateway.transfer_reversals_list(transfer_id=transfer_id) == [reversal]
    assert reversal.metadata == {"ow": "2"}
    [listed] = gateway.transfers_list(transfer_group=group)
    assert (listed.id, listed.amount, listed.amount_reversed) == (transfer_id, 3_000, 1_000)
    with pytest.raises(GatewayRefused):  # never more than is left on the transfer
        gateway.transfer_reversal_create(transfer_id=transfer_id, amount=2_001, idempotency_key=key())


def test_a_dispute_is_listed_on_its_intent_and_read_back(gateway, harness):
    harness.require("open_dispute")
    intent = paid_intent(gateway, harness, amount=7_000)
    stripe_gateway._client().raw_request("post", "/_dev/disputes", payment_intent=intent.id)
    [dispute] = gateway.disputes_list(intent_id=intent.id)
    assert (dispute.amount, dispute.intent_id, dispute.closed) == (7_000, intent.id, False)
    assert gateway.dispute_retrieve(dispute_id=dispute.id) == dispute


def test_a_correctly_signed_webhook_gives_back_its_event(gateway, harness):
    payload = json.dumps({"id": "evt_contract", "object": "event", "type": "payment_intent.succeeded"}).encode()
    event = gateway.event_construct(payload=payload, signature=harness.sign(payload, secret=WEBHOOK_SECRET))
    assert (event["id"], event["type"]) == ("evt_contract", "payment_intent.succeeded")


@pytest.mark.parametrize("how", ["missing", "wrong secret", "stale", "tampered payload", "garbage"])
def test_a_webhook_not_signed_by_the_gateway_is_refused(gateway, harness, how):
    payload = json.dumps({"id": "evt_contract", "object": "event", "type": "payment_intent.succeeded"}).encode()
    signature, body = {
        "missing": (None, payload),
        "wrong secret": (harness.sign(payload, secret="whsec_someone_else"), payload),
        "stale": (harness.sign(payload, secret=WEBHOOK_SECRET, at=int(time.time()) - 3600), payload),
        "tampered payload": (harness.sign(payload, secret=WEBHOOK_SECRET), payload.replace(b"succeeded", b"canceled")),
        "garbage": ("t=1,v1=00", payload),
    }[how]
    with pytest.raises(SignatureError):
        gateway.event_construct(payload=body, signature=signature)
