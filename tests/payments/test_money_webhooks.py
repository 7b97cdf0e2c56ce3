"""What Stripe does on its own reaches the ledger: refunds made in the Stripe dashboard, chargebacks and
their outcome, transfers reversed; events about objects not known yet are parked and retried. End to end
against devstripe, with events signed as Stripe signs them and state always read back from devstripe."""

import datetime
import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from marketplace.core.append_only import suspended
from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute
from marketplace.payments import gateway, services
from marketplace.payments.interfaces import get_gateway
from marketplace.payments.ledger import charge_left
from marketplace.payments.models import PaymentDifference, PaymentRecord, Payout, StripeEvent, StripePayment
from tests.factories import deliver as deliver_order
from tests.payments.books import assert_books
from tests.payments.test_stripe import PRICE_FEN, WEBHOOK, card, paid_by_card, post_event, signed, status

pytestmark = pytest.mark.django_db


def charge_of(intent_id: str) -> dict:
    intent = gateway._client().v1.payment_intents.retrieve(intent_id).to_dict()
    charge = intent.get("latest_charge") or intent["charges"]["data"][0]
    charge = charge if isinstance(charge, dict) else gateway._client().v1.charges.retrieve(charge).to_dict()
    return charge


def deliver(client, settings, event_id: str, kind: str, obj: dict):  # noqa: PLR0913 - an event's parts
    """Post an event as Stripe would: ``data.object`` is the object's state when the event was made."""
    payload = json.dumps({"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}).encode()
    return post_event(client, payload, signed(payload, secret=settings.STRIPE_WEBHOOK_SECRET))


def dashboard_refund(intent_id: str, amount: int) -> dict:
    """A refund made by hand in the Stripe dashboard: no idempotency key, no metadata of ours."""
    return gateway._client().v1.refunds.create(params={"payment_intent": intent_id, "amount": amount}).to_dict()


def delivered_and_accepted(order, buyer, provider_user):
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver_order(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)


def test_a_dashboard_refund_reaches_the_ledger_and_the_payout_is_worked_out_without_it(stripe_settings, deal, client):
    order, buyer, provider_user, _staff = deal
    payment = paid_by_card(order)
    refund = dashboard_refund(payment.intent_id, 500_000)

    response = deliver(client, stripe_settings, "evt_dash", "charge.refunded", charge_of(payment.intent_id))
    assert (response.status_code, response.content) == (200, b"processed")
    entry = order.payments.get(kind="refund")
    assert (entry.reference, entry.amount_fen, entry.origin, entry.intent_id) == (
        refund["id"],
        500_000,
        "webhook",
        payment.intent_id,
    )
    again = deliver(client, stripe_settings, "evt_dash_2", "charge.refunded", charge_of(payment.intent_id))
    assert again.status_code == 200 and order.payments.filter(kind="refund").count() == 1  # another event, same refund

    delivered_and_accepted(order, buyer, provider_user)
    payout = Payout.objects.get(service_order=order)
    assert (payout.amount_fen, payout.fee_fen) == (4_085_000, 215_000)  # 43,000 less 5 %
    assert_books(order)


def test_a_dashboard_refund_after_completion_reworks_a_payout_not_yet_sent(stripe_settings, deal, client):
    """The provider has no connected account yet, so the payout still waits: the fee is returned and the
    payout and fee are worked out again from what is left."""
    order, buyer, provider_user, _staff = deal
    payment = paid_by_card(order)
    delivered_and_accepted(order, buyer, provider_user)
    assert Payout.objects.get().amount_fen == 4_560_000
    dashboard_refund(payment.intent_id, 800_000)
    deliver(client, stripe_settings, "evt_dash_late", "charge.refunded", charge_of(payment.intent_id))
    payout = Payout.objects.get()
    assert (payout.amount_fen, payout.fee_fen, payout.status) == (3_800_000, 200_000, "pending")
    balance = assert_books(order)
    assert (balance.fees, balance.held) == (200_000, 3_800_000)
    kinds = list(order.payments.values_list("kind", flat=True))
    assert kinds.count("fee") == 2 and kinds.count("fee_return") == 1


def test_paid_twice_the_stale_charge_goes_back_and_a_dispute_refund_takes_only_what_is_left(
    stripe_settings, deal, committed
):
    """The issue's paid-twice case: the newer intent paid, then a stale tab confirmed the older one. The
    older charge is refunded in full on that charge; a later dispute refund goes on the kept charge only,
    never beyond what is left on any charge."""
    order, buyer, _provider, staff = deal
    older = payment_flow.service_order_payment_intent(service_order=order)
    StripePayment.objects.filter(pk=older.pk).update(last_error="card declined")
    newer = paid_by_card(order)
    stale = get_gateway().payment_intent_pay(intent_id=older.intent_id, payment_method=card())  # the stale tab
    committed(payment_flow.service_order_payment_apply, intent=stale)
    assert charge_left(service_order=order, intent_id=older.intent_id) == 0

    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Half done")
    committed(
        hiring.dispute_resolve,
        dispute=dispute,
        user=staff,
        outcome=Dispute.Outcome.SPLIT,
        decision="Half",
        refund_amount="24000",
    )
    refunds = {r.intent_id: r.amount_fen for r in order.payments.filter(kind="refund")}
    # The stale charge refunded whole; the split only on the kept charge, never on the refunded one.
    assert refunds == {older.intent_id: PRICE_FEN, newer.intent_id: 2_400_000}
    split = order.stripe_operations.get(purpose__startswith=f"refund:dispute-{dispute.pk}:")
    assert (split.target, split.amount_fen, split.status) == (newer.intent_id, 2_400_000, "succeeded")
    assert charge_left(service_order=order, intent_id=newer.intent_id) == 2_400_000
    assert status(order) == "completed"
    assert_books(order)


def test_a_refund_spreads_over_charges_newest_first_capped_at_what_is_left_on_each(deal):
    """The plan alone, on a ledger set up directly (two card charges of one order, one partly refunded
    already): the amount goes newest charge first and never beyond what is left on a charge."""
    order = deal[0]
    for reference, intent_id, kind, amount in (
        ("pi_a", "pi_a", "charge", 3_000_000),
        ("pi_b", "pi_b", "charge", 1_800_000),
        ("re_b", "pi_b", "refund", 1_000_000),
    ):
        PaymentRecord.objects.create(
            service_order=order, kind=kind, amount_fen=amount, reference=reference, intent_id=intent_id
        )
    assert services._refund_plan(order, 1_500_000) == [("pi_b", 800_000), ("pi_a", 700_000)]
    assert services._refund_plan(order, 3_800_000) == [("pi_b", 800_000), ("pi_a", 3_000_000)]
    assert services._refund_plan(order, 4_000_000)[-1] == ("", 200_000)  # beyond every charge: not by card


def test_an_event_about_an_unknown_charge_is_parked_and_processed_once_known(stripe_settings, deal, client):
    """An intent created at Stripe whose creation the platform never recorded (a crash; simulated by
    deleting our record of it) is unknown to a webhook: the event is parked, not consumed. Once
    reconciliation has adopted the intent (its metadata names our outbox row), the event is applied."""
    order, _buyer, _provider, _staff = deal
    payment = paid_by_card(order)
    operation = order.stripe_operations.get(kind="intent_create")
    dashboard_refund(payment.intent_id, 100_000)
    # Forget the intent as a crash before recording it would have: the outbox row is pending again.
    with suspended(connection):  # the ledger is append-only: lifted to stage the crash
        PaymentRecord.objects.filter(service_order=order).delete()
    StripePayment.objects.filter(pk=payment.pk).delete()
    type(operation).objects.filter(pk=operation.pk).update(status="pending", result_id="")

    response = deliver(client, stripe_settings, "evt_early", "charge.refunded", charge_of(payment.intent_id))
    assert (response.status_code, response.content) == (200, b"parked")
    assert StripeEvent.objects.get(event_id="evt_early").status == "parked"

    payment_flow.payments_reconcile()
    assert StripeEvent.objects.get(event_id="evt_early").status == "processed"
    assert order.payments.filter(kind="refund").count() == 1
    assert not PaymentDifference.objects.filter(kind="unknown_object").exists()


def test_staff_see_found_refunds_on_the_ledger_page(stripe_settings, deal, client, staff):
    order, _buyer, _provider, _staff = deal
    payment = paid_by_card(order)
    dashboard_refund(payment.intent_id, 100_000)
    payment_flow.payments_reconcile()
    entry = order.payments.get(kind="refund")
    assert entry.origin == "reconciliation"
    found = PaymentDifference.objects.get(kind="recorded", key=entry.reference)
    assert found.resolved_at is not None and found.amount_fen == 100_000
    client.force_login(staff)
    assert client.get(reverse("payments:ledger", args=[order.pk])).status_code == 200
    assert WEBHOOK


# --- chargebacks and transfers (devstripe's Connect and dispute extensions) ---------------------------------


def open_chargeback(intent_id: str, amount: int | None = None) -> dict:
    """The buyer's bank disputes the charge (devstripe's /_dev/disputes stands in for the card network)."""
    params = {"payment_intent": intent_id, **({"amount": amount} if amount else {})}
    body = gateway._client().raw_request("post", "/_dev/disputes", **params)
    return json.loads(body.body)


def close_chargeback(dispute_id: str, *, won: bool) -> dict:
    client = gateway._client()
    if won:  # Stripe's test mode: this evidence text wins the dispute
        obj = client.v1.disputes.update(dispute_id, params={"evidence": {"uncategorized_text": "winning_evidence"}})
    else:  # accepting the dispute closes it as lost
        obj = client.v1.disputes.close(dispute_id)
    return obj.to_dict()


def connected(order):
    services.payout_account_set(provider=order.provider, stripe_account_id="acct_provider_1")


def test_a_chargeback_freezes_the_payout_and_a_lost_one_is_settled_in_the_ledger(
    stripe_settings, deal, client, committed
):
    order, buyer, provider_user, _staff = deal
    payment = paid_by_card(order)
    connected(order)
    dispute = open_chargeback(payment.intent_id)
    assert deliver(client, stripe_settings, "evt_cb_1", "charge.dispute.created", dispute).status_code == 200
    chargeback = order.chargebacks.get()
    assert (chargeback.dispute_id, chargeback.amount_fen, chargeback.closed_at) == (dispute["id"], PRICE_FEN, None)

    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver_order(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    payout = Payout.objects.get()
    assert (payout.status, payout.hold_reason) == ("held", "chargeback")  # frozen, not transferred
    assert not order.stripe_operations.filter(kind="transfer").exists()

    closed = close_chargeback(dispute["id"], won=False)  # the closing event settles it and cancels the payout
    assert deliver(client, stripe_settings, "evt_cb_2", "charge.dispute.closed", closed).status_code == 200
    chargeback.refresh_from_db()
    assert chargeback.status == "lost" and chargeback.closed_at is not None
    payout.refresh_from_db()
    assert payout.status == "cancelled" and payout.amount_fen == 0
    balance = assert_books(order)
    assert (balance.chargebacks, balance.fees, balance.transferred, balance.held) == (PRICE_FEN, 0, 0, 0)


def test_a_won_chargeback_releases_the_payout(stripe_settings, deal, client, committed):
    order, buyer, provider_user, _staff = deal
    payment = paid_by_card(order)
    connected(order)
    dispute = open_chargeback(payment.intent_id)
    deliver(client, stripe_settings, "evt_w_1", "charge.dispute.created", dispute)
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver_order(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    assert Payout.objects.get().status == "held"

    closed = close_chargeback(dispute["id"], won=True)
    response = committed(
        deliver, client=client, settings=stripe_settings, event_id="evt_w_2", kind="charge.dispute.closed", obj=closed
    )
    assert response.status_code == 200
    assert Payout.objects.get().status == "paid"
    balance = assert_books(order)
    assert (balance.chargebacks, balance.fees, balance.transferred, balance.held) == (0, 240_000, 4_560_000, 0)


def test_events_out_of_order_settle_a_chargeback_once(stripe_settings, deal, client):
    """``closed`` arrives before ``created``: state is read back from Stripe, so the chargeback is recorded
    once, as lost, and the late ``created`` changes nothing."""
    order, _buyer, _provider, _staff = deal
    payment = paid_by_card(order)
    dispute = open_chargeback(payment.intent_id, amount=1_000_000)
    closed = close_chargeback(dispute["id"], won=False)
    deliver(client, stripe_settings, "evt_o_2", "charge.dispute.closed", closed)
    deliver(client, stripe_settings, "evt_o_1", "charge.dispute.created", dispute)
    assert order.chargebacks.get().status == "lost"
    assert order.payments.filter(kind="chargeback").count() == 1
    balance = assert_books(order)
    assert (balance.chargebacks, balance.held) == (1_000_000, 3_800_000)


def test_a_chargeback_after_the_payout_is_recovered_from_the_transfer_and_the_fee(
    stripe_settings, deal, client, committed
):
    """Paid out, then the buyer's bank takes the whole charge back: the provider's transfer is reversed
    (an outbox operation) and the platform gives up its fee, so the order's books balance again."""
    order, buyer, provider_user, _staff = deal
    payment = paid_by_card(order)
    connected(order)
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver_order(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    payout = Payout.objects.get()
    assert payout.status == "paid"

    dispute = open_chargeback(payment.intent_id)
    deliver(client, stripe_settings, "evt_a_1", "charge.dispute.created", dispute)
    closed = close_chargeback(dispute["id"], won=False)
    response = committed(
        deliver, client=client, settings=stripe_settings, event_id="evt_a_2", kind="charge.dispute.closed", obj=closed
    )
    assert response.status_code == 200
    reversal = order.stripe_operations.get(kind="reversal")
    assert (reversal.target, reversal.amount_fen, reversal.status) == (payout.transfer_id, 4_560_000, "succeeded")
    balance = assert_books(order)
    assert (balance.chargebacks, balance.fees, balance.transferred, balance.held) == (PRICE_FEN, 0, 0, 0)
    assert not PaymentDifference.objects.filter(kind="shortfall", resolved_at__isnull=True).exists()


def test_a_transfer_reversed_in_the_dashboard_reaches_the_ledger(stripe_settings, deal, client, committed):
    order, buyer, provider_user, _staff = deal
    paid_by_card(order)
    connected(order)
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver_order(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    transfer_id = Payout.objects.get().transfer_id
    gateway._client().v1.transfers.reversals.create(transfer_id, params={"amount": 1_000_000})
    transfer = gateway._client().v1.transfers.retrieve(transfer_id).to_dict()
    assert deliver(client, stripe_settings, "evt_tr", "transfer.reversed", transfer).status_code == 200
    entry = order.payments.get(kind="reversal")
    assert (entry.amount_fen, entry.origin, entry.intent_id) == (1_000_000, "webhook", transfer_id)
    balance = assert_books(order)
    assert (balance.transferred, balance.held) == (3_560_000, 1_000_000)


def test_an_event_still_about_nothing_known_after_a_day_goes_before_staff(stripe_settings, deal, client):
    stranger = get_gateway().payment_intent_create(amount=100, metadata={}, idempotency_key="ow-test-stranger")
    response = deliver(client, stripe_settings, "evt_stranger", "payment_intent.succeeded", {"id": stranger.id})
    assert response.content == b"parked"
    payment_flow.payments_reconcile()
    assert not PaymentDifference.objects.exists()  # retried, still parked, not yet for staff

    payment_flow.payments_reconcile(now=timezone.now() + datetime.timedelta(hours=25))
    difference = PaymentDifference.objects.get(kind="unknown_object", resolved_at__isnull=True)
    assert difference.key == "evt_stranger" and stranger.id in difference.detail
    assert StripeEvent.objects.get(event_id="evt_stranger").status == "parked"  # still kept, never consumed
