"""The order's payment pages and the Stripe webhook, now hiring's views (paying moves the order), end to
end against a real localstripe process: the pay page, the server-side check, the receipt, and the
webhook's signature check, idempotency and answers."""

import time
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.payments import interfaces
from marketplace.payments.gateway import StripeGateway
from marketplace.payments.interfaces import get_gateway
from marketplace.payments.models import PaymentRecord, StripeEvent, StripePayment
from tests.factories import make_buyer
from tests.payments.test_stripe import PRICE_FEN, WEBHOOK, assert_ledger, card, event, post_event, signed, status


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
        payment = payment_flow.service_order_payment_intent(service_order=order)
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


def test_duplicate_and_out_of_order_webhooks_change_nothing(stripe_settings, deal, client):
    order, _buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
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
    payment = payment_flow.service_order_payment_intent(service_order=order)
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


def test_pages_are_scoped(stripe_settings, deal, client):
    order, buyer, provider_user, staff = deal
    stranger = make_buyer()[1]
    for user, pay, ledger in ((stranger, 404, 404), (provider_user, 404, 404), (buyer, 200, 200), (staff, 404, 200)):
        client.force_login(user)
        assert client.get(reverse("payments:pay", args=[order.pk])).status_code == pay, user
        assert client.get(reverse("payments:ledger", args=[order.pk])).status_code == ledger, user


def test_webhook_answers_503_and_keeps_nothing_when_the_gateway_cannot_be_asked(stripe_settings, deal, client):
    """Verifying and claiming the event (payments) and applying it (hiring) are one transaction: when the
    intent cannot be read back, the claim rolls back too, so Stripe's retry is applied, not a duplicate."""
    order, _buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
    get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    payload = event("evt_retry", "payment_intent.succeeded", payment.intent_id)
    signature = signed(payload, secret=stripe_settings.STRIPE_WEBHOOK_SECRET)
    base = stripe_settings.STRIPE_API_BASE
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    assert post_event(client, payload, signature).status_code == 503
    assert not StripeEvent.objects.exists() and status(order) == "awaiting_payment"
    stripe_settings.STRIPE_API_BASE = base
    response = post_event(client, payload, signature)
    assert (response.status_code, response.content) == (200, b"processed")
    assert status(order) == "in_service"
    assert_ledger(order, held=PRICE_FEN)


def test_webhook_for_an_intent_not_known_yet_is_parked_not_consumed(stripe_settings, deal, client):
    """An event about an intent the platform has no record of is kept (parked, with its payload) for
    reconciliation to retry, and changes nothing now."""
    order, _buyer, _provider, _staff = deal
    stranger = get_gateway().payment_intent_create(amount=100, metadata={}, idempotency_key="evt-other-intent")
    payload = event("evt_other", "payment_intent.succeeded", stranger.id)
    response = post_event(client, payload, signed(payload, secret=stripe_settings.STRIPE_WEBHOOK_SECRET))
    assert (response.status_code, response.content) == (200, b"parked")
    parked = StripeEvent.objects.get()
    assert (parked.event_id, parked.status, parked.payload["id"]) == ("evt_other", "parked", "evt_other")
    assert not PaymentRecord.objects.exists() and status(order) == "awaiting_payment"


def test_the_pay_page_of_an_order_no_longer_awaiting_payment_goes_back_to_the_order(stripe_settings, deal, client):
    order, buyer, _provider, _staff = deal
    client.force_login(buyer)
    client.post(reverse("payments:pay", args=[order.pk]), {"payment_method": card()})
    assert status(order) == "in_service"
    for response in (
        client.get(reverse("payments:pay", args=[order.pk])),
        client.post(reverse("payments:pay", args=[order.pk]), {"payment_method": card()}),
    ):
        assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert order.stripe_payments.count() == 1
    assert_ledger(order, held=PRICE_FEN)


def test_a_late_payment_whose_refund_cannot_be_made_answers_503_and_is_applied_on_retry(
    stripe_settings, deal, client, monkeypatch
):
    """Money arrives for a cancelled order and must go back, but the refund call fails. The webhook
    answers 503 (not 500): the charge and the decided refund are kept (the refund waits in the outbox),
    and Stripe's retry of the event sends it with the same key. The refund failure is injected at the
    gateway (devstripe cannot be made to be unreachable for one call)."""
    order, buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
    get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    StripePayment.objects.filter(pk=payment.pk).update(status="requires_payment_method")
    hiring.service_order_cancel(service_order=order, user=buyer, reason="Changed plans")
    payload = event("evt_late", "payment_intent.succeeded", payment.intent_id)
    signature = signed(payload, secret=stripe_settings.STRIPE_WEBHOOK_SECRET)

    def refuse(self, **kwargs):
        raise interfaces.GatewayError("refunds are down")

    with monkeypatch.context() as patch:
        patch.setattr(StripeGateway, "refund_create", refuse)
        assert post_event(client, payload, signature).status_code == 503
    assert_ledger(order, held=PRICE_FEN)  # the money is recorded, and its refund is decided …
    pending = order.stripe_operations.get(kind="refund")
    assert (pending.status, pending.amount_fen, pending.target) == ("pending", PRICE_FEN, payment.intent_id)

    response = post_event(client, payload, signature)  # … and sent when Stripe retries the event
    assert (response.status_code, response.content) == (200, b"duplicate")
    assert status(order) == "cancelled"
    assert_ledger(order, held=0, refunded=PRICE_FEN)
    pending.refresh_from_db()
    assert pending.status == "succeeded" and pending.attempts == 2


def test_two_tabs_paying_at_once_are_told_the_truth_about_the_charge(stripe_settings, deal, client, monkeypatch):
    """Both tabs loaded the pay page while the order awaited payment; the first tab's payment commits
    while the second is on its way (the interleaving is injected). The second tab is told the order
    was paid in another window, never "you have not been charged", and nothing more is charged."""
    order, buyer, _provider, _staff = deal
    client.force_login(buyer)
    pay_by_card = payment_flow.service_order_pay_by_card

    def first_tab_wins(*, service_order, payment_method):
        pay_by_card(service_order=ServiceOrder.objects.get(pk=service_order.pk), payment_method=card())
        return pay_by_card(service_order=service_order, payment_method=payment_method)

    monkeypatch.setattr(payment_flow, "service_order_pay_by_card", first_tab_wins)
    response = client.post(reverse("payments:pay", args=[order.pk]), {"payment_method": card()}, follow=True)
    html = response.content.decode()
    assert "already paid in another window" in html and "not been charged" not in html
    assert status(order) == "in_service"
    assert_ledger(order, held=PRICE_FEN)  # one charge


def test_after_authentication_a_charge_for_a_cancelled_order_sends_the_buyer_to_the_receipt(
    stripe_settings, deal, client, django_capture_on_commit_callbacks
):
    """The buyer authenticated the card in one tab while the order was cancelled in another: the
    money came and went back. The check page must not say "you have not been charged"."""
    order, buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
    get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    StripePayment.objects.filter(pk=payment.pk).update(status="requires_payment_method")
    hiring.service_order_cancel(service_order=order, user=buyer, reason="Changed plans")
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):  # the refund leaves once the charge is committed
        response = client.post(reverse("payments:pay-check", args=[order.pk]))
    assert response.status_code == 302 and response.url == reverse("payments:ledger", args=[order.pk])
    page = client.get(response.url).content.decode()
    assert "A payment for this order is on record" in page and "not been charged" not in page
    assert_ledger(order, held=0, refunded=PRICE_FEN)
