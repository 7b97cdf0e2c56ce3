"""Fault injection over every money flow: stop right after Stripe answers and before our commit, then run
reconciliation. Afterwards the books balance to the fen against Stripe (``books.assert_books``): charges =
refunds + chargebacks + fees + payouts + held, Stripe's totals equal the ledger's, and nothing was
refunded or transferred twice.

The fault is injected by making the step that records Stripe's answer raise (``Crash``) inside its
transaction, after the gateway call returned: the transaction rolls back as a killed process's would.
The tests run with real commits (``transaction=True``), so what the outbox committed before the call
really is committed, and after-commit work runs at the commit as it does in production.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute
from marketplace.payments import gateway, ledger, operations, services
from marketplace.payments.gateway import StripeGateway
from marketplace.payments.interfaces import GatewayError, get_gateway
from marketplace.payments.models import FeeInvoice, PaymentDifference, Payout, StripeOperation, StripePayment
from tests.factories import deliver, make_service_order
from tests.payments.books import assert_books, stripe_books
from tests.payments.test_stripe import PRICE_FEN, card, paid_by_card, signed, status

pytestmark = pytest.mark.django_db(transaction=True)


class Crash(Exception):
    """The process dies here: after the gateway answered, before the transaction recording it commits."""


@pytest.fixture
def crash_after(monkeypatch):
    """``crash_after("refund")``: the next time an outbox operation of that kind is recorded, die instead."""

    def arm(kind: str):
        real = operations._finish
        armed = [True]

        def finish(operation, **kwargs):
            if armed[0] and operation.kind == kind:
                armed[0] = False
                raise Crash(kind)
            return real(operation, **kwargs)

        monkeypatch.setattr(operations, "_finish", finish)

    return arm


def stripe_refunds(order) -> list:
    client = gateway._client()
    return [
        refund
        for payment in order.stripe_payments.all()
        for refund in client.v1.refunds.list(params={"payment_intent": payment.intent_id}).auto_paging_iter()
    ]


def disputed(order, buyer):
    paid_by_card(order)
    return hiring.dispute_open(service_order=order, user=buyer, reason="Not what was agreed")


def test_pay_crash_after_the_card_is_charged_is_applied_by_reconciliation(stripe_settings, deal, crash_after):
    order, _buyer, _provider, _staff = deal
    crash_after("intent_confirm")
    with pytest.raises(Crash):
        paid_by_card(order)
    assert status(order) == "awaiting_payment" and not order.payments.exists()
    assert stripe_books(order)["charged"] == PRICE_FEN  # Stripe holds money the ledger does not know

    report = payment_flow.payments_reconcile()

    assert status(order) == "in_service" and report.recorded == 1
    charge = order.payments.get(kind="charge")
    assert (charge.amount_fen, charge.origin, charge.intent_id) == (PRICE_FEN, "reconciliation", charge.reference)
    assert order.stripe_operations.get(kind="intent_confirm").status == "succeeded"
    assert_books(order)


def test_intent_creation_crash_is_recovered_with_the_same_key_on_the_next_page_load(stripe_settings, deal, crash_after):
    order, _buyer, _provider, _staff = deal
    crash_after("intent_create")
    with pytest.raises(Crash):
        payment_flow.service_order_payment_intent(service_order=order)
    assert not StripePayment.objects.exists()
    operation = StripeOperation.objects.get(kind="intent_create", status="pending")

    payment = payment_flow.service_order_payment_intent(service_order=order)  # the buyer reloads the page

    operation.refresh_from_db()
    assert operation.status == "succeeded" and operation.result_id == payment.intent_id
    assert StripePayment.objects.count() == 1
    intent = get_gateway().payment_intent_retrieve(intent_id=payment.intent_id)
    assert intent.metadata["ow_operation"] == operation.idempotency_key  # the very intent the first call made


def test_late_payment_refund_crash_is_finished_by_reconciliation_once(stripe_settings, deal, crash_after):
    order, buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
    intent = get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    StripePayment.objects.filter(pk=payment.pk).update(status="requires_payment_method")  # cancel can't close it
    hiring.service_order_cancel(service_order=order, user=buyer, reason="Changed plans")
    crash_after("refund")
    with pytest.raises(Crash):
        payment_flow.service_order_payment_apply(intent=intent)
    assert len(stripe_refunds(order)) == 1 and not order.payments.filter(kind="refund").exists()

    payment_flow.payments_reconcile()
    payment_flow.payments_reconcile()  # twice: nothing more

    assert status(order) == "cancelled" and len(stripe_refunds(order)) == 1
    assert order.payments.get(kind="refund").intent_id == payment.intent_id
    balance = assert_books(order)
    assert (balance.charged, balance.refunded, balance.held) == (PRICE_FEN, PRICE_FEN, 0)


def test_dispute_full_refund_crash_is_finished_by_reconciliation(stripe_settings, deal, crash_after):
    order, buyer, _provider, staff = deal
    dispute = disputed(order, buyer)
    crash_after("refund")
    with pytest.raises(Crash):
        hiring.dispute_resolve(dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Refund")
    assert status(order) == "refunded"  # the decision committed before the call
    assert not Payout.objects.exists()

    payment_flow.payments_reconcile()

    assert len(stripe_refunds(order)) == 1
    balance = assert_books(order)
    assert (balance.refunded, balance.held) == (PRICE_FEN, 0)


def test_split_refund_crash_never_pays_out_the_refunded_part(stripe_settings, deal, crash_after):
    """The issue's loss: Stripe refunded ¥8,000, the ledger showed nothing, and the payout took the
    whole ¥48,000. Now the payout is worked out from what is held less the refund under way, waits
    while it is unfinished, and the decision cannot be taken again."""
    order, buyer, _provider, staff = deal
    dispute = disputed(order, buyer)
    crash_after("refund")
    with pytest.raises(Crash):
        hiring.dispute_resolve(
            dispute=dispute, user=staff, outcome=Dispute.Outcome.SPLIT, decision="Part", refund_amount=Decimal("8000")
        )
    payout = Payout.objects.get(service_order=order)
    assert (payout.amount_fen, payout.fee_fen) == (3_800_000, 200_000)  # (48,000 − 8,000) less 5 %
    assert payout.status != "paid" and services.payout_hold_reason(service_order=order) == "refund"
    with pytest.raises(Exception, match="already been decided"):
        hiring.dispute_resolve(dispute=dispute, user=staff, outcome=Dispute.Outcome.COMPLETE, decision="Again")

    payment_flow.payments_reconcile()

    payout.refresh_from_db()
    assert payout.status == "pending" and payout.hold_reason == ""  # no connected account: waits for one
    balance = assert_books(order)
    assert (balance.refunded, balance.fees, balance.held) == (800_000, 200_000, 3_800_000)


def test_the_order_page_shows_a_crashed_refund_as_on_its_way_until_reconciled(
    stripe_settings, deal, crash_after, client
):
    """The order page reads its refund figures in the order's own query (``ledger.refund_annotations``);
    they must say what the ledger and the outbox say: under way after the crash, refunded once
    reconciliation has finished it, never both and never twice."""
    order, buyer, _provider, staff = deal
    dispute = disputed(order, buyer)
    crash_after("refund")
    with pytest.raises(Crash):
        hiring.dispute_resolve(
            dispute=dispute, user=staff, outcome=Dispute.Outcome.SPLIT, decision="Part", refund_amount=Decimal("8000")
        )
    client.force_login(buyer)
    page = client.get(order.get_absolute_url())
    assert (page.context["refunded"], page.context["refund_pending"]) == (Decimal("0.00"), Decimal("8000.00"))
    assert page.context["refund_pending"] * 100 == ledger.pending_outflow(service_order=order)
    assert "a refund of ¥8000.00 is on its way" in page.content.decode()

    payment_flow.payments_reconcile()

    page = client.get(order.get_absolute_url())
    assert (page.context["refunded"], page.context["refund_pending"]) == (Decimal("8000.00"), Decimal("0.00"))
    assert page.context["refunded"] * 100 == services.ledger_balance(service_order=order).refunded
    assert "is on its way" not in page.content.decode()


def test_a_retry_after_stripe_forgot_the_key_finds_the_refund_instead_of_making_another(
    stripe_settings, deal, crash_after
):
    """Stripe keeps an idempotency key 24 hours. A refund made, its recording crashed, and the retry comes
    after Stripe forgot the key (devstripe's dev route lets the day pass): the retry looks for the refund
    carrying the operation's metadata first, so the buyer is not refunded twice."""
    order, buyer, _provider, staff = deal
    dispute = disputed(order, buyer)
    crash_after("refund")
    with pytest.raises(Crash):
        hiring.dispute_resolve(
            dispute=dispute, user=staff, outcome=Dispute.Outcome.SPLIT, decision="Part", refund_amount=Decimal("8000")
        )
    gateway._client().raw_request("post", "/_dev/idempotency_keys/expire")

    payment_flow.payments_reconcile(now=timezone.now() + datetime.timedelta(days=1))

    assert [r["amount"] for r in stripe_refunds(order)] == [800_000]
    assert assert_books(order).refunded == 800_000


def test_a_refund_retried_a_day_later_sends_the_stored_key(stripe_settings, deal, monkeypatch):
    """The refund call never reached Stripe (the gateway is down; injected), so the decision waits in the
    outbox. A day later reconciliation sends exactly the key stored with it, and the money moves once."""
    order, buyer, _provider, staff = deal
    dispute = disputed(order, buyer)
    sent = []
    real = StripeGateway.refund_create

    def down(self, **kwargs):
        raise GatewayError("APIConnectionError")

    with monkeypatch.context() as patch:
        patch.setattr(StripeGateway, "refund_create", down)
        hiring.dispute_resolve(dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Refund")
    operation = order.stripe_operations.get(kind="refund")
    assert operation.status == "pending" and not stripe_refunds(order)

    def spy(self, **kwargs):
        sent.append(kwargs["idempotency_key"])
        return real(self, **kwargs)

    monkeypatch.setattr(StripeGateway, "refund_create", spy)
    payment_flow.payments_reconcile(now=timezone.now() + datetime.timedelta(days=1))

    assert sent == [operation.idempotency_key]
    operation.refresh_from_db()
    assert operation.status == "succeeded" and operation.attempts == 2
    assert_books(order)


def test_an_unreachable_gateway_leaves_the_operation_pending_and_then_before_staff(stripe_settings, deal, monkeypatch):
    """Still unreachable after three attempts and an hour: a stalled difference holds the payout and is
    listed for staff; it closes itself when the operation finally goes through."""
    order, buyer, _provider, staff = deal
    dispute = disputed(order, buyer)
    monkeypatch.setattr(StripeGateway, "refund_create", lambda self, **kw: (_ for _ in ()).throw(GatewayError("x")))
    hiring.dispute_resolve(dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Refund")
    later = timezone.now() + datetime.timedelta(hours=2)
    for _ in range(3):
        report = payment_flow.payments_reconcile(now=later)
    assert report.unavailable == [order.pk]
    stalled = PaymentDifference.objects.get(kind="stalled_operation", resolved_at__isnull=True)
    assert stalled.service_order_id == order.pk and stalled.amount_fen == PRICE_FEN

    monkeypatch.undo()
    payment_flow.payments_reconcile(now=later)
    stalled.refresh_from_db()
    assert stalled.resolved_at is not None
    assert_books(order)


def completed_with_account(order, buyer, provider_user):
    services.payout_account_set(provider=order.provider, stripe_account_id="acct_provider_1")
    order.deliverables.create(file="x.pdf", name="report.pdf")
    deliver(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)


def test_payout_crash_after_the_transfer_is_finished_by_reconciliation_once(stripe_settings, deal, crash_after):
    """The issue's stuck payout: transferred at Stripe, ``pending`` for ever here. Now reconciliation
    records the transfer it finds (by the operation's key) and the payout is paid, once."""
    order, buyer, provider_user, _staff = deal
    paid_by_card(order)
    crash_after("transfer")
    with pytest.raises(Crash):
        completed_with_account(order, buyer, provider_user)
    assert status(order) == "completed" and Payout.objects.get().status == "pending"
    assert stripe_books(order)["transferred"] == 4_560_000

    payment_flow.payments_reconcile()
    payment_flow.payments_reconcile()

    payout = Payout.objects.get()
    assert payout.status == "paid" and payout.transfer_id.startswith("tr_")
    transfers = gateway._client().v1.transfers.list(params={"transfer_group": order.order.number})
    assert len(transfers.data) == 1
    balance = assert_books(order)
    assert (balance.fees, balance.transferred, balance.held) == (240_000, 4_560_000, 0)


def test_chargeback_after_payout_with_the_reversal_crashed_is_recovered_once(
    stripe_settings, deal, client, crash_after
):
    order, buyer, provider_user, _staff = deal
    payment = paid_by_card(order)
    completed_with_account(order, buyer, provider_user)
    assert Payout.objects.get().status == "paid"
    client_ = gateway._client()
    dispute = json.loads(client_.raw_request("post", "/_dev/disputes", payment_intent=payment.intent_id).body)
    client_.v1.disputes.close(dispute["id"])
    crash_after("reversal")
    with pytest.raises(Crash):  # the chargeback webhook: recorded, then the reversal's recording dies
        payment_flow.payment_webhook_process(
            **signed_event("evt_cb", "charge.dispute.closed", dispute, stripe_settings)
        )
    assert order.payments.filter(kind="chargeback").count() == 1
    assert PaymentDifference.objects.filter(kind="shortfall", resolved_at__isnull=True).exists()
    client_.raw_request("post", "/_dev/idempotency_keys/expire")  # and a day passes: the key is no help

    payment_flow.payments_reconcile()

    assert len(client_.v1.transfers.reversals.list(Payout.objects.get().transfer_id).data) == 1
    balance = assert_books(order)
    assert (balance.chargebacks, balance.fees, balance.transferred, balance.held) == (PRICE_FEN, 0, 0, 0)
    assert not PaymentDifference.objects.filter(resolved_at__isnull=True).exists()


def signed_event(event_id: str, kind: str, obj: dict, settings) -> dict:
    payload = json.dumps({"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}).encode()
    return {"payload": payload, "signature": signed(payload, secret=settings.STRIPE_WEBHOOK_SECRET)}


# --- orders paid in stages (issue 23) ----------------------------------------------------------------------


def staged_order(order, buyer):
    return make_service_order(
        enterprise=order.enterprise, buyer=buyer, provider=order.provider, milestone_plan="A; 50%; 5\nB; 50%; 9"
    )


def test_a_stage_refund_crash_is_recorded_once_on_that_stage_and_its_payout_is_worked_out_without_it(
    stripe_settings, deal, crash_after
):
    """Stage 2 of two is split by a dispute; Stripe refunds ¥8,000 of stage 2's charge and the process dies
    before the ledger records it. The stage's payout already leaves the refund out; reconciliation records
    the refund once, on stage 2, and stage 1's money is never touched."""
    order, buyer, provider_user, staff = deal
    staged = staged_order(order, buyer)
    first = paid_by_card(staged)
    staged.deliverables.create(file="x.pdf", name="a.pdf")
    deliver(staged, provider_user)
    hiring.service_order_accept(service_order=staged, user=buyer)
    second = paid_by_card(staged)
    dispute = hiring.dispute_open(service_order=staged, user=buyer, reason="Half missing")
    crash_after("refund")
    with pytest.raises(Crash):
        hiring.dispute_resolve(
            dispute=dispute, user=staff, outcome=Dispute.Outcome.SPLIT, decision="Part", refund_amount=Decimal("8000")
        )
    stage_one, stage_two = staged.milestones.order_by("position")
    payout = Payout.objects.get(milestone=stage_two)
    assert (payout.amount_fen, payout.fee_fen) == (1_520_000, 80_000)  # (24,000 − 8,000) less 5 %

    payment_flow.payments_reconcile()
    payment_flow.payments_reconcile()

    refunds = staged.payments.filter(kind="refund")
    assert [(r.amount_fen, r.milestone_id, r.intent_id) for r in refunds] == [(800_000, stage_two.pk, second.intent_id)]
    assert ledger.charge_left(service_order=staged, intent_id=first.intent_id) == 2_400_000
    assert len(stripe_refunds(staged)) == 1
    balance = assert_books(staged)
    two = services.ledger_balance(service_order=staged, milestone_id=stage_two.pk)
    assert (two.charged, two.refunded, two.fees, two.held) == (2_400_000, 800_000, 80_000, 1_520_000)
    assert balance.charged == 4_800_000


def test_a_stage_payout_crash_after_the_transfer_is_paid_and_invoiced_once(stripe_settings, deal, crash_after):
    """The stage's transfer is made at Stripe and the process dies before it is recorded: reconciliation
    records it once, the stage's payout is paid, and the platform's fee invoice for it is issued once."""
    order, buyer, provider_user, _staff = deal
    staged = staged_order(order, buyer)
    paid_by_card(staged)
    services.payout_account_set(provider=staged.provider, stripe_account_id="acct_provider_1")
    staged.deliverables.create(file="x.pdf", name="a.pdf")
    deliver(staged, provider_user)
    crash_after("transfer")
    with pytest.raises(Crash):
        hiring.service_order_accept(service_order=staged, user=buyer)
    stage_one = staged.milestones.get(position=1)
    assert Payout.objects.get(milestone=stage_one).status == "pending" and not FeeInvoice.objects.exists()

    payment_flow.payments_reconcile()
    payment_flow.payments_reconcile()

    assert Payout.objects.get(milestone=stage_one).status == "paid"
    assert [f.amount_fen for f in FeeInvoice.objects.all()] == [120_000]
    one = services.ledger_balance(service_order=staged, milestone_id=stage_one.pk)
    assert (one.fees, one.transferred, one.held) == (120_000, 2_280_000, 0)
    assert_books(staged)
