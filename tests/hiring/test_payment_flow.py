"""Where money meets the order: payments applies a payment and returns a ``PaymentOutcome``; hiring's
``service_order_payment_received`` starts the order from it (or keeps it as it is)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from oscar.apps.order.models import Order

from marketplace.hiring import payment_flow, services
from marketplace.hiring.models import ServiceOrder
from marketplace.payments import gateway
from marketplace.payments import services as payments
from marketplace.payments.interfaces import get_gateway
from marketplace.payments.models import PaymentRecord, StripePayment
from marketplace.payments.outcomes import PaymentOutcome, PaymentResult
from tests.factories import make_service_order, pay
from tests.payments.test_stripe import PRICE_FEN, assert_ledger, card

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, providers):
    enterprise, owner = buyer
    return make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], days=10)


def reload(so) -> ServiceOrder:
    return ServiceOrder.objects.select_related("order").get(pk=so.pk)


def status(so) -> str:
    return Order.objects.get(pk=so.order_id).status


def test_applying_a_payment_returns_the_outcome_and_hiring_starts_the_order_from_it(order):
    outcome = payments.payment_record(service_order=order, amount=order.price, reference="bank-1")
    assert isinstance(outcome, PaymentOutcome) and outcome.applied and not outcome.duplicate
    assert (outcome.service_order_id, outcome.amount, outcome.reference) == (order.pk, Decimal("48000.00"), "bank-1")
    assert outcome.record_id == PaymentRecord.objects.get(reference="bank-1").pk
    assert status(order) == "awaiting_payment"  # payments recorded money; it did not move the order

    payment_flow.service_order_payment_received(order=order, outcome=outcome)
    order = reload(order)
    assert status(order) == "in_service"
    assert order.paid_at == outcome.recorded_at and (order.due_at - order.paid_at).days == 10


def test_a_replayed_payment_is_a_duplicate_and_changes_nothing(order):
    first = pay(order, "bank-2")
    paid_at = reload(order).paid_at
    again = payments.payment_record(service_order=order, amount=order.price, reference="bank-2")
    assert again.duplicate and again.record_id == first.record_id
    payment_flow.service_order_payment_received(order=order, outcome=again)
    assert reload(order).paid_at == paid_at and PaymentRecord.objects.count() == 1


def test_an_outcome_is_applied_only_to_its_own_order(order, buyer, providers):
    other = make_service_order(enterprise=buyer[0], buyer=buyer[1], provider=providers[1])
    outcome = payments.payment_record(service_order=other, amount=other.price, reference="bank-3")
    with pytest.raises(ValueError):
        payment_flow.service_order_payment_received(order=order, outcome=outcome)
    assert status(order) == "awaiting_payment"


def test_money_for_an_order_no_longer_awaiting_payment_is_refused_and_nothing_is_recorded(order, buyer):
    services.service_order_cancel(service_order=order, user=buyer[1], reason="Changed plans")
    with pytest.raises(services.TransitionNotAllowed):
        payment_flow.service_order_pay(service_order=order, amount=order.price, reference="bank-4")
    assert not PaymentRecord.objects.exists() and status(order) == "cancelled"


def test_staff_record_a_bank_transfer_and_others_may_not(order, buyer, staff):
    with pytest.raises(ValidationError):
        payment_flow.service_order_pay_manual(service_order=order, user=buyer[1], reference="BANK-9")
    with pytest.raises(ValidationError):
        payment_flow.service_order_pay_manual(service_order=order, user=staff, reference="  ")
    outcome = payment_flow.service_order_pay_manual(service_order=order, user=staff, reference="BANK-9")
    assert outcome.applied and outcome.reference == "manual:BANK-9" and status(order) == "in_service"


def test_the_card_intent_is_offered_only_while_the_order_awaits_payment(order, buyer):
    services.service_order_cancel(service_order=order, user=buyer[1], reason="Changed plans")
    with pytest.raises(payments.PaymentError) as error:
        payment_flow.service_order_payment_intent(service_order=order)
    assert error.value.code == "not_awaiting_payment" and not StripePayment.objects.exists()


def test_payment_arriving_after_cancellation_is_refunded_in_full(stripe_settings, deal, committed):
    """Hiring answers "no longer awaiting payment" under the order's lock; payments keeps nothing and
    says so (``refunded``); the refund goes out once the decision is committed."""
    order, buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
    intent = get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    StripePayment.objects.filter(pk=payment.pk).update(status="requires_payment_method")  # cancel can't close it
    services.service_order_cancel(service_order=order, user=buyer, reason="Changed plans")
    outcome = committed(payment_flow.service_order_payment_apply, intent=intent)
    assert outcome.result == PaymentResult.REFUNDED and outcome.amount_fen == PRICE_FEN
    assert status(order) == "cancelled" and payments.amount_refunded(service_order=order) == Decimal("48000.00")
    assert_ledger(order, held=0, refunded=PRICE_FEN)
    again = payment_flow.service_order_payment_apply(intent=intent)
    assert again.duplicate
    assert_ledger(order, held=0, refunded=PRICE_FEN)


def test_a_card_payment_applied_twice_starts_the_order_once(stripe_settings, deal):
    order, _buyer, _provider, _staff = deal
    payment = payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())
    assert payment.status == "succeeded" and status(order) == "in_service"
    intent = get_gateway().payment_intent_retrieve(intent_id=payment.intent_id)
    assert payment_flow.service_order_payment_apply(intent=intent).duplicate
    assert payment_flow.service_order_payment_sync(intent_id=payment.intent_id).status == "succeeded"
    assert_ledger(order, held=PRICE_FEN)


def test_an_intent_that_is_not_ours_gives_no_outcome(stripe_settings, deal):
    intent = get_gateway().payment_intent_create(amount=100, metadata={}, idempotency_key="not-ours")
    assert payment_flow.service_order_payment_apply(intent=intent) is None


def test_a_declined_card_is_noted_and_the_order_keeps_waiting(stripe_settings, deal):
    order, _buyer, _provider, _staff = deal
    with pytest.raises(payments.PaymentError) as error:
        payment_flow.service_order_pay_by_card(service_order=order, payment_method=card("4000000000000341"))
    assert error.value.code == "card_declined" and status(order) == "awaiting_payment"
    payment = order.stripe_payments.get()
    assert payment.status != "succeeded" and payment.last_error
    assert not PaymentRecord.objects.exists()


def _charge_of(intent_id: str) -> str:
    intent = gateway._client().v1.payment_intents.retrieve(intent_id).to_dict()
    charge = intent.get("latest_charge") or intent["charges"]["data"][0]
    return charge["id"] if isinstance(charge, dict) else charge  # localstripe expands it


def test_a_stale_tab_paying_an_older_intent_is_refunded_on_that_intent(stripe_settings, deal, committed):
    """Paid twice: a newer intent paid and started the order, then a stale tab confirmed the older
    one. The older intent's money goes back to the older charge, never to the newer one."""
    order, _buyer, _provider, _staff = deal
    older = payment_flow.service_order_payment_intent(service_order=order)
    StripePayment.objects.filter(pk=older.pk).update(last_error="card declined")  # the tab tries another card
    newer = payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())
    assert newer.intent_id != older.intent_id and status(order) == "in_service"

    stale = get_gateway().payment_intent_pay(intent_id=older.intent_id, payment_method=card())
    outcome = committed(payment_flow.service_order_payment_apply, intent=stale)

    assert outcome.result == PaymentResult.REFUNDED
    refund = PaymentRecord.objects.get(service_order=order, kind="refund")
    assert gateway._client().v1.refunds.retrieve(refund.reference)["charge"] == _charge_of(older.intent_id)
    assert status(order) == "in_service"
    assert_ledger(order, held=PRICE_FEN, charged=2 * PRICE_FEN, refunded=PRICE_FEN)
