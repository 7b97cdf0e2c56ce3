"""Card payments, webhooks, refunds and payouts end to end against a real devstripe process (localstripe
extended with Connect transfers, disputes, refund caps and idempotency keys: ``payments/devstripe``)."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute
from marketplace.payments import gateway, services
from marketplace.payments.interfaces import get_gateway
from marketplace.payments.models import Payout, PayoutAccount
from tests.factories import deliver, make_buyer

PRICE_FEN = 4_800_000  # ¥48,000.00
WEBHOOK = "/payments/stripe/webhook/"


def card(number: str = "4242424242424242") -> str:
    """What Stripe.js does in the browser: turn card details into a PaymentMethod id."""
    params = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    return gateway._client().v1.payment_methods.create(params=params)["id"]


def signed(payload: bytes, *, secret: str, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), b"%d.%s" % (at, payload), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def event(event_id: str, kind: str, intent_id: str) -> bytes:
    body = {"id": event_id, "object": "event", "type": kind, "data": {"object": {"id": intent_id}}}
    return json.dumps(body).encode()


def post_event(client, payload: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    return client.post(WEBHOOK, payload, content_type="application/json", **headers)


def assert_ledger(
    order, *, held: int, charged: int = PRICE_FEN, refunded: int = 0, fees: int = 0, transferred=0, chargebacks=0
):
    """The ledger to the fen: charges = refunds + chargebacks + fees + payouts (net) + held, and held ≥ 0."""
    balance = services.ledger_balance(service_order=order)
    assert (balance.charged, balance.refunded, balance.chargebacks, balance.fees, balance.transferred) == (
        charged,
        refunded,
        chargebacks,
        fees,
        transferred,
    )
    assert balance.held == held == charged - refunded - chargebacks - transferred - fees and held >= 0


def status(order) -> str:
    order.order.refresh_from_db()
    return order.order.status


def paid_by_card(order):
    return payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())


def test_dispute_split_refunds_part_through_stripe_then_pays_the_rest_less_fee(stripe_settings, deal, committed):
    order, buyer, provider_user, staff = deal
    paid_by_card(order)
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Late")
    committed(
        hiring.dispute_resolve,
        dispute=dispute,
        user=staff,
        outcome=Dispute.Outcome.SPLIT,
        decision="Half",
        refund_amount=Decimal("8000"),
    )
    refund = order.payments.get(kind="refund")
    assert refund.reference.startswith("re_") and refund.amount_fen == 800_000
    payout = Payout.objects.get(service_order=order)
    assert (payout.fee_fen, payout.amount_fen, payout.status) == (200_000, 3_800_000, "pending")
    assert_ledger(order, held=3_800_000, refunded=800_000, fees=200_000)
    assert order.order.sources.get().amount_refunded == Decimal("8000.00")


def test_dispute_refund_returns_everything_through_stripe(stripe_settings, deal, committed):
    order, buyer, _provider, staff = deal
    paid_by_card(order)
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Nothing done")
    committed(hiring.dispute_resolve, dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Refund")
    assert status(order) == "refunded"
    assert_ledger(order, held=0, refunded=PRICE_FEN)
    assert not Payout.objects.exists()


def test_completion_transfers_to_the_connected_account_less_fee(stripe_settings, deal, committed):
    order, buyer, provider_user, _staff = deal
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference="manual:bank-1")
    PayoutAccount.objects.create(provider=order.provider, stripe_account_id="acct_provider")
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    payout = Payout.objects.get(service_order=order)
    transfer = gateway._client().v1.transfers.retrieve(payout.transfer_id).to_dict()
    assert (transfer["amount"], transfer["destination"], transfer["currency"]) == (4_560_000, "acct_provider", "cny")
    assert transfer["transfer_group"] == order.order.number
    # Made by the outbox row committed before the call: its key and metadata name that row.
    operation = order.stripe_operations.get(kind="transfer")
    assert transfer["metadata"]["ow_operation"] == operation.idempotency_key and operation.status == "succeeded"
    assert payout.status == "paid"
    assert_ledger(order, held=0, fees=240_000, transferred=4_560_000)


def test_without_connected_account_the_payout_is_pending_and_shown(deal, client):
    order, buyer, provider_user, _staff = deal
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference="manual:bank-2")
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    assert Payout.objects.get().status == "pending"
    client.force_login(provider_user)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert "45600.00" in page and order.order.number in page
    other = make_buyer()[1]
    client.force_login(other)
    assert order.order.number not in client.get(reverse("payments:earnings")).content.decode()


def test_staff_connecting_an_account_releases_pending_payouts(stripe_settings, deal, committed):
    order, buyer, provider_user, _staff = deal
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference="manual:bank-3")
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    with pytest.raises(ValidationError):
        services.payout_account_set(provider=order.provider, stripe_account_id="not-an-account")
    committed(services.payout_account_set, provider=order.provider, stripe_account_id="acct_later")
    assert Payout.objects.get().status == "paid"
    assert_ledger(order, held=0, fees=240_000, transferred=4_560_000)


def test_pages_in_chinese_and_odd_requests_get_answers_not_errors(stripe_settings, deal, client):
    order, buyer, provider_user, staff = deal
    client.force_login(buyer)
    page = client.get(f"/zh-hans/payments/orders/{order.pk}/pay/").content.decode()
    assert "支付订单" in page and "银行卡" in page
    assert client.post(reverse("payments:pay", args=[order.pk]), {"payment_method": "nonsense"}).status_code == 400
    assert client.post(reverse("payments:pay-check", args=[order.pk])).status_code == 302
    junk = b"not json"
    assert post_event(client, junk, signed(junk, secret=stripe_settings.STRIPE_WEBHOOK_SECRET)).status_code == 400
    assert client.get(WEBHOOK).status_code == 405
    client.force_login(staff)
    assert "资金台账" in client.get(f"/zh-hans/payments/orders/{order.pk}/ledger/").content.decode()
    client.force_login(provider_user)
    assert "待结算" in client.get("/zh-hans/payments/earnings/").content.decode()


def test_cancelling_an_order_closes_its_open_payment_intent(stripe_settings, deal, django_capture_on_commit_callbacks):
    order, buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
    with django_capture_on_commit_callbacks(execute=True):
        hiring.service_order_cancel(service_order=order, user=buyer, reason="Changed plans")
    payment.refresh_from_db()
    assert payment.status == "canceled"
    assert get_gateway().payment_intent_retrieve(intent_id=payment.intent_id).status == "canceled"
    assert_ledger(order, held=0, charged=0)
