"""Card payments, webhooks, refunds and payouts end to end against a real localstripe process.

Only the Connect transfer test replaces anything: localstripe does not implement ``/v1/transfers``,
so that test swaps the stripe client's HTTP layer for a recorder (said again in its docstring).
"""

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute
from marketplace.payments import gateway, services
from marketplace.payments.interfaces import get_gateway
from marketplace.payments.models import PaymentRecord, Payout, PayoutAccount, StripeEvent, StripePayment
from tests.factories import make_buyer

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


def assert_ledger(order, *, held: int, charged: int = PRICE_FEN, refunded: int = 0, fees: int = 0, transferred=0):
    balance = services.ledger_balance(service_order=order)
    assert (balance.charged, balance.refunded, balance.fees, balance.transferred) == (
        charged,
        refunded,
        fees,
        transferred,
    )
    assert balance.held == held == charged - refunded - transferred - fees and held >= 0


def status(order) -> str:
    order.order.refresh_from_db()
    return order.order.status


def paid_by_card(order):
    return payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())


@pytest.mark.django_db(transaction=True)
def test_signed_webhook_from_localstripe_confirms_payment_and_starts_service(stripe_settings, deal, live_server):
    """The browser confirms with Stripe directly; only localstripe's signed webhook moves the order on."""
    order, buyer, _provider, _staff = deal
    hook = f"{stripe_settings.STRIPE_API_BASE}/_config/webhooks/onewindow"

    def register(url):
        data = urllib.parse.urlencode({"url": url, "secret": stripe_settings.STRIPE_WEBHOOK_SECRET}).encode()
        urllib.request.urlopen(hook, data=data, timeout=5).read()  # noqa: S310 - localstripe on loopback

    register(live_server.url + WEBHOOK)
    try:
        payment = services.payment_intent_for_order(service_order=order)
        get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())  # not through the platform
        assert status(order) == "awaiting_payment"
        deadline = time.monotonic() + 15
        while status(order) != "in_service" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        register("http://127.0.0.1:9/")  # stop delivering to this test's server
    assert status(order) == "in_service"
    # (localstripe also delivers events of earlier tests' intents here: those are not ours and change nothing)
    assert StripeEvent.objects.filter(type="payment_intent.succeeded").exists()
    assert order.payments.filter(kind="charge").count() == 1
    assert_ledger(order, held=PRICE_FEN)
    source = order.order.sources.get()
    assert source.source_type.name == "Stripe" and source.amount_debited == Decimal("48000.00")
    assert order.order.payment_events.get().event_type.name == "paid"


def test_pay_page_uses_stripe_js_and_ignores_a_tampered_amount(stripe_settings, deal, client):
    order, buyer, _provider, _staff = deal
    client.force_login(buyer)
    page = client.get(reverse("payments:pay", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert stripe_settings.STRIPE_JS_URL in html and "pk_test_onewindow_tests" in html
    assert stripe_settings.STRIPE_SECRET_KEY not in html
    response = client.post(reverse("payments:pay", args=[order.pk]), {"payment_method": card(), "amount": "1"})
    assert response.status_code == 302
    assert status(order) == "in_service"
    payment = order.stripe_payments.get()
    assert get_gateway().payment_intent_retrieve(intent_id=payment.intent_id).amount == PRICE_FEN
    assert_ledger(order, held=PRICE_FEN)


def test_declined_card_shows_a_clear_error_and_changes_nothing(stripe_settings, deal, client):
    order, buyer, _provider, _staff = deal
    client.force_login(buyer)
    response = client.post(reverse("payments:pay", args=[order.pk]), {"payment_method": card("4000000000000341")})
    assert response.status_code == 400
    assert "Your card was declined" in response.content.decode()
    assert status(order) == "awaiting_payment"
    assert not PaymentRecord.objects.exists()
    # a second card on the same page works
    client.post(reverse("payments:pay", args=[order.pk]), {"payment_method": card()})
    assert status(order) == "in_service"
    assert_ledger(order, held=PRICE_FEN)


def test_the_browser_saying_paid_is_not_enough(stripe_settings, deal, client):
    order, buyer, _provider, _staff = deal
    client.force_login(buyer)
    client.get(reverse("payments:pay", args=[order.pk]))
    response = client.post(reverse("payments:pay-check", args=[order.pk]), {"status": "succeeded"})
    assert response.status_code == 302 and status(order) == "awaiting_payment"
    assert_ledger(order, held=0, charged=0)


def test_dispute_split_refunds_part_through_stripe_then_pays_the_rest_less_fee(stripe_settings, deal):
    order, buyer, provider_user, staff = deal
    paid_by_card(order)
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Late")
    hiring.dispute_resolve(
        dispute=dispute, user=staff, outcome=Dispute.Outcome.SPLIT, decision="Half", refund_amount=Decimal("8000")
    )
    refund = order.payments.get(kind="refund")
    assert refund.reference.startswith("re_") and refund.amount_fen == 800_000
    payout = Payout.objects.get(service_order=order)
    assert (payout.fee_fen, payout.amount_fen, payout.status) == (200_000, 3_800_000, "pending")
    assert_ledger(order, held=3_800_000, refunded=800_000, fees=200_000)
    assert order.order.sources.get().amount_refunded == Decimal("8000.00")


def test_dispute_refund_returns_everything_through_stripe(stripe_settings, deal):
    order, buyer, _provider, staff = deal
    paid_by_card(order)
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Nothing done")
    hiring.dispute_resolve(dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Refund")
    assert status(order) == "refunded"
    assert_ledger(order, held=0, refunded=PRICE_FEN)
    assert not Payout.objects.exists()


def test_payment_arriving_after_cancellation_is_refunded_in_full(stripe_settings, deal):
    order, buyer, _provider, _staff = deal
    payment = services.payment_intent_for_order(service_order=order)
    intent = get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    StripePayment.objects.filter(pk=payment.pk).update(status="requires_payment_method")  # cancel can't close it
    hiring.service_order_cancel(service_order=order, user=buyer, reason="Changed plans")
    payment_flow.service_order_payment_apply(intent=intent)
    assert status(order) == "cancelled"
    assert_ledger(order, held=0, refunded=PRICE_FEN)


def test_duplicate_and_out_of_order_webhooks_change_nothing(stripe_settings, deal, client):
    order, _buyer, _provider, _staff = deal
    payment = services.payment_intent_for_order(service_order=order)
    get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    secret = stripe_settings.STRIPE_WEBHOOK_SECRET
    failed = event("evt_failed", "payment_intent.payment_failed", payment.intent_id)
    # the failure report arrives first, but Stripe says the intent succeeded: the order is paid
    assert post_event(client, failed, signed(failed, secret=secret)).status_code == 200
    assert status(order) == "in_service"
    succeeded = event("evt_ok", "payment_intent.succeeded", payment.intent_id)
    for _ in range(2):
        assert post_event(client, succeeded, signed(succeeded, secret=secret)).status_code == 200
    assert post_event(client, failed, signed(failed, secret=secret)).content == b"duplicate"
    assert StripeEvent.objects.count() == 2
    assert order.payments.count() == 1 and status(order) == "in_service"
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert_ledger(order, held=PRICE_FEN)


@pytest.mark.parametrize("how", ["missing", "forged", "stale"])
def test_bad_signatures_are_rejected_and_nothing_changes(stripe_settings, deal, client, how):
    order, _buyer, _provider, _staff = deal
    payment = services.payment_intent_for_order(service_order=order)
    get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    payload = event("evt_bad", "payment_intent.succeeded", payment.intent_id)
    signature = {
        "missing": None,
        "forged": signed(payload, secret="whsec_someone_else"),
        "stale": signed(payload, secret=stripe_settings.STRIPE_WEBHOOK_SECRET, at=int(time.time()) - 3600),
    }[how]
    assert post_event(client, payload, signature).status_code == 400
    assert not StripeEvent.objects.exists() and status(order) == "awaiting_payment"
    assert_ledger(order, held=0, charged=0)


class RecordingHTTPClient(gateway.stripe.HTTPClient):
    """Stands in for the network under the stripe client: answers /v1/transfers like Stripe would."""

    name = "recording"

    def __init__(self):
        super().__init__()
        self.requests = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, post_data, dict(headers or {})))
        return json.dumps({"id": "tr_test_1", "object": "transfer"}), 200, {}

    def close(self):
        pass


def test_completion_transfers_to_the_connected_account_less_fee(
    settings, deal, monkeypatch, django_capture_on_commit_callbacks
):
    """Connect transfers are not implemented by localstripe: the stripe client's HTTP layer is replaced
    by ``RecordingHTTPClient``, so this tests the request the gateway sends and the ledger it leaves."""
    settings.PLATFORM_FEE_PERCENT = 5
    order, buyer, provider_user, _staff = deal
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference="manual:bank-1")
    PayoutAccount.objects.create(provider=order.provider, stripe_account_id="acct_provider")
    http = RecordingHTTPClient()
    monkeypatch.setattr(gateway, "_HTTP_CLIENT", http)
    order.deliverables.create(file="x.pdf", name="report.pdf")
    hiring.service_order_deliver(service_order=order, user=provider_user)
    with django_capture_on_commit_callbacks(execute=True):
        hiring.service_order_accept(service_order=order, user=buyer)
    method, url, body, headers = http.requests[-1]
    assert method == "post" and url.endswith("/v1/transfers")
    assert "amount=4560000" in body and "destination=acct_provider" in body and "currency=cny" in body
    assert headers.get("Idempotency-Key", "").startswith("ow-payout-")
    payout = Payout.objects.get(service_order=order)
    assert payout.status == "paid" and payout.transfer_id == "tr_test_1"
    assert_ledger(order, held=0, fees=240_000, transferred=4_560_000)


def test_without_connected_account_the_payout_is_pending_and_shown(deal, client):
    order, buyer, provider_user, _staff = deal
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference="manual:bank-2")
    order.deliverables.create(file="x.pdf", name="report.pdf")
    hiring.service_order_deliver(service_order=order, user=provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    assert Payout.objects.get().status == "pending"
    client.force_login(provider_user)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert "45600.00" in page and order.order.number in page
    other = make_buyer()[1]
    client.force_login(other)
    assert order.order.number not in client.get(reverse("payments:earnings")).content.decode()


def test_pages_are_scoped(stripe_settings, deal, client):
    order, buyer, provider_user, staff = deal
    stranger = make_buyer()[1]
    for user, pay, ledger in ((stranger, 404, 404), (provider_user, 404, 404), (buyer, 200, 200), (staff, 404, 200)):
        client.force_login(user)
        assert client.get(reverse("payments:pay", args=[order.pk])).status_code == pay, user
        assert client.get(reverse("payments:ledger", args=[order.pk])).status_code == ledger, user


def test_staff_connecting_an_account_releases_pending_payouts(deal, monkeypatch, django_capture_on_commit_callbacks):
    """Connect transfers are not implemented by localstripe: the stripe client's HTTP layer is replaced
    by ``RecordingHTTPClient``."""
    order, buyer, provider_user, _staff = deal
    payment_flow.service_order_pay(service_order=order, amount=order.price, reference="manual:bank-3")
    order.deliverables.create(file="x.pdf", name="report.pdf")
    hiring.service_order_deliver(service_order=order, user=provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    with pytest.raises(ValidationError):
        services.payout_account_set(provider=order.provider, stripe_account_id="not-an-account")
    monkeypatch.setattr(gateway, "_HTTP_CLIENT", RecordingHTTPClient())
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_account_set(provider=order.provider, stripe_account_id="acct_later")
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
    payment = services.payment_intent_for_order(service_order=order)
    with django_capture_on_commit_callbacks(execute=True):
        hiring.service_order_cancel(service_order=order, user=buyer, reason="Changed plans")
    payment.refresh_from_db()
    assert payment.status == "canceled"
    assert get_gateway().payment_intent_retrieve(intent_id=payment.intent_id).status == "canceled"
    assert_ledger(order, held=0, charged=0)
