"""Orders paid in stages (issue 23): each stage funded, delivered, accepted or disputed and refunded one by
one, with the ledger checked to the fen after each step — per stage and per order. Card money moves
through the real gateway flows against devstripe; bank money through the staff path."""

import datetime
import shutil
import subprocess
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.hiring import contract_pdf, contracts, milestones, payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute, Milestone, Status
from marketplace.payments import invoices, ledger, services
from marketplace.payments.models import FeeInvoice, PaymentDifference, PaymentRecord, Payout
from tests.factories import deliver as deliver_order
from tests.factories import make_service_order, staff_user
from tests.payments.books import assert_books
from tests.payments.test_money_webhooks import connected
from tests.payments.test_stripe import card

PLAN = "Draft report; 30%; 10\nExpert review; 30%; 20\nFinal report; 40%; 30"
STAGES_FEN = (1_440_000, 1_440_000, 1_920_000)  # of ¥48,000
FEE = Decimal("0.05")


@pytest.fixture
def staged(deal):
    """The deal's parties with an order of ¥48,000 paid in three stages."""
    order, buyer, provider_user, staff = deal
    staged = make_service_order(
        enterprise=order.enterprise, buyer=buyer, provider=order.provider, category=order.category, milestone_plan=PLAN
    )
    return staged, buyer, provider_user, staff


def stages(order) -> list[Milestone]:
    return list(order.milestones.order_by("position"))


def stage_books(order, *, stripe: bool = False) -> list:
    """Each stage's balance; together they are the order's (every entry carries its stage), and each and
    the order balance: no money held below zero, nothing refunded beyond a charge; with ``stripe``, the
    order's totals equal what Stripe itself holds (``assert_books``)."""
    balances = [services.ledger_balance(service_order=order, milestone_id=stage.pk) for stage in stages(order)]
    whole = assert_books(order) if stripe else services.ledger_balance(service_order=order)
    assert whole.held >= 0
    for field in ("charged", "refunded", "fees", "transferred", "chargebacks"):
        assert sum(getattr(balance, field) for balance in balances) == getattr(whole, field), field
    assert not PaymentRecord.objects.filter(service_order=order, milestone__isnull=True).exists()
    for balance in balances:
        assert balance.held >= 0 and balance.refunded + balance.chargebacks <= balance.charged
    return balances


def fee_of(amount_fen: int) -> int:
    return int(Decimal(amount_fen) * FEE)


def status(order) -> str:
    order.refresh_from_db()
    order.order.refresh_from_db()
    return order.status


def pay_bank(order, reference: str):
    due, _stage = milestones.amount_due(order)
    return payment_flow.service_order_pay(service_order=order, amount=due, reference=reference)


def delivered(order, provider_user, name="stage.pdf"):
    order.deliverables.create(file=f"x-{name}", name=name)
    deliver_order(order, provider_user)


def test_the_order_carries_its_stages_summing_to_the_price_and_the_contract_lists_them(staged, tmp_path):
    order, *_ = staged
    assert [(s.position, s.name, s.amount, s.due_day, s.status) for s in stages(order)] == [
        (1, "Draft report", Decimal("14400.00"), 10, "pending"),
        (2, "Expert review", Decimal("14400.00"), 20, "pending"),
        (3, "Final report", Decimal("19200.00"), 30, "pending"),
    ]
    platform = SimpleNamespace(name="OneWindow", name_zh="一网通办")
    content = contracts._contract_content(order, number="HT-1", token="t", platform=platform)
    assert content.milestones == (
        ("Draft report", "14,400.00", 10),
        ("Expert review", "14,400.00", 20),
        ("Final report", "19,200.00", 30),
    )
    path = tmp_path / "contract.pdf"
    path.write_bytes(contract_pdf.render_contract(content).pdf)
    text = subprocess.run(  # noqa: S603 - a fixed tool on our own file
        [shutil.which("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in ("分期付款", "Draft report", "19,200.00", "due on day 30", "stage by stage"):
        assert expected in text, expected


def test_a_plan_that_does_not_fit_the_price_refuses_the_order(deal):
    order, buyer, *_ = deal
    with pytest.raises(ValidationError, match="add up to 47000"):
        make_service_order(
            enterprise=order.enterprise, buyer=buyer, provider=order.provider, milestone_plan="A; 20000; 5\nB; 27000; 9"
        )
    assert not Milestone.objects.exists()


def test_stage_by_stage_by_bank_with_a_revision_the_ledger_to_the_fen_after_each_step(staged):
    order, buyer, provider_user, _staff = staged
    first, second, third = stages(order)

    # Paying the whole price, or anything but the stage's amount, is refused; nothing is recorded.
    with pytest.raises(ValidationError, match="14400.00 CNY due for this stage"):
        payment_flow.service_order_pay(service_order=order, amount=order.price, reference="bank-wrong")
    assert not order.payments.exists() and status(order) == Status.AWAITING_PAYMENT

    pay_bank(order, "bank-1")
    assert status(order) == Status.IN_SERVICE and stages(order)[0].status == "funded"
    books = stage_books(order)
    assert (books[0].charged, books[0].held, books[1].charged, books[2].charged) == (STAGES_FEN[0], STAGES_FEN[0], 0, 0)
    started, due_at = order.paid_at, order.due_at

    delivered(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    assert status(order) == Status.AWAITING_PAYMENT  # the next stage waits for its money
    assert [s.status for s in stages(order)] == ["released", "pending", "pending"]
    payout = Payout.objects.get(milestone=first)
    assert (payout.amount_fen, payout.fee_fen) == (STAGES_FEN[0] - fee_of(STAGES_FEN[0]), fee_of(STAGES_FEN[0]))
    books = stage_books(order)
    # No account to pay into yet: the stage's payout waits, and its money stays with its stage.
    assert (books[0].fees, books[0].held) == (fee_of(STAGES_FEN[0]), payout.amount_fen)
    assert order.accepted_at is None

    pay_bank(order, "bank-2")
    assert status(order) == Status.IN_SERVICE and (order.paid_at, order.due_at) == (started, due_at)
    delivered(order, provider_user, "review.pdf")
    hiring.service_order_request_revision(service_order=order, user=buyer, reason="Add the noise chapter.")
    hiring.service_order_resume(service_order=order, user=provider_user)
    delivered(order, provider_user, "review-2.pdf")
    hiring.service_order_accept(service_order=order, user=buyer)
    books = stage_books(order)
    assert (books[1].charged, books[1].fees) == (STAGES_FEN[1], fee_of(STAGES_FEN[1]))
    assert Payout.objects.get(milestone=second).amount_fen == STAGES_FEN[1] - fee_of(STAGES_FEN[1])

    pay_bank(order, "bank-3")
    delivered(order, provider_user, "final.pdf")
    hiring.service_order_accept(service_order=order, user=buyer)
    assert status(order) == Status.COMPLETED and order.accepted_at is not None
    assert [s.status for s in stages(order)] == ["released", "released", "released"]
    books = stage_books(order)
    whole = services.ledger_balance(service_order=order)
    assert whole.charged == 4_800_000 and whole.fees == sum(fee_of(amount) for amount in STAGES_FEN)
    assert sum(p.amount_fen for p in Payout.objects.filter(service_order=order)) == 4_800_000 - whole.fees
    assert not Payout.objects.filter(service_order=order, milestone__isnull=True).exists()  # never the order's own
    assert [e.kind for e in order.events.filter(kind__in=("paid", "accepted"))] == ["paid", "accepted"] * 3
    assert third.pk in {p.milestone_id for p in Payout.objects.filter(service_order=order)}


def test_by_card_with_payouts_a_split_dispute_on_one_stage_and_a_refund_ending_the_contract(  # noqa: PLR0915
    stripe_settings, staged, committed
):
    order, buyer, provider_user, staff = staged
    connected(order)
    first, second, third = stages(order)

    payment = payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())
    assert (payment.amount_fen, payment.milestone_id) == (STAGES_FEN[0], first.pk)
    delivered(order, provider_user)
    committed(hiring.service_order_accept, service_order=order, user=buyer)
    first_payout = Payout.objects.get(milestone=first)
    assert first_payout.status == "paid"
    books = stage_books(order, stripe=True)
    assert (books[0].transferred, books[0].held) == (first_payout.amount_fen, 0)
    # The platform's fee invoice for the stage paid out.
    assert [f.amount_fen for f in FeeInvoice.objects.filter(service_order=order)] == [fee_of(STAGES_FEN[0])]

    # Stage 2: a dispute split — ¥4,000 back to the buyer from stage 2's charge, the rest released.
    second_payment = payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())
    assert second_payment.milestone_id == second.pk
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="The review missed the river.")
    with pytest.raises(ValidationError, match="less than the 14400.00 CNY paid"):
        hiring.dispute_resolve(
            dispute=dispute, user=staff, outcome="split", decision="Half", refund_amount=Decimal("20000")
        )
    committed(
        hiring.dispute_resolve,
        dispute=dispute,
        user=staff,
        outcome=Dispute.Outcome.SPLIT,
        decision="Part of the review is missing.",
        refund_amount=Decimal("4000"),
    )
    assert status(order) == Status.AWAITING_PAYMENT and stages(order)[1].status == "released"
    refund = order.stripe_operations.get(kind="refund")
    assert (refund.target, refund.amount_fen, refund.status) == (second_payment.intent_id, 400_000, "succeeded")
    assert ledger.charge_left(service_order=order, intent_id=payment.intent_id) == STAGES_FEN[0]  # stage 1 untouched
    books = stage_books(order, stripe=True)
    kept = STAGES_FEN[1] - 400_000
    assert (books[1].refunded, books[1].fees, books[1].transferred, books[1].held) == (
        400_000,
        fee_of(kept),
        kept - fee_of(kept),
        0,
    )

    # Stage 3: paid, then refunded in full by a dispute: the contract ends there.
    third_payment = payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Work never started.")
    committed(
        hiring.dispute_resolve, dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Not started."
    )
    assert status(order) == Status.REFUNDED
    assert [s.status for s in stages(order)] == ["released", "released", "refunded"]
    books = stage_books(order, stripe=True)
    assert (books[2].charged, books[2].refunded, books[2].held) == (STAGES_FEN[2], STAGES_FEN[2], 0)
    assert ledger.charge_left(service_order=order, intent_id=third_payment.intent_id) == 0
    assert not Payout.objects.filter(milestone=third).exists()

    # Reconciliation finds Stripe and the ledger in agreement for every stage's intent.
    payment_flow.payments_reconcile()
    assert not PaymentDifference.objects.filter(resolved_at__isnull=True).exists()
    assert sum(f.signed_fen for f in FeeInvoice.objects.filter(service_order=order)) == books[0].fees + books[1].fees


def test_a_late_payment_for_a_settled_stage_is_returned_on_that_stage_not_taken_for_the_next(
    stripe_settings, staged, committed
):
    """The buyer opened the card form for stage 1, then staff recorded a bank transfer for it, and stage 1
    was delivered and accepted. The order now awaits stage 2's money (the same amount); the stage-1 card
    payment that still arrives is stage 1's, which awaits nothing: it is refunded in full, on that
    stage, and stage 2 still waits for its own payment."""
    order, buyer, provider_user, staff = staged
    intent = payment_flow.service_order_payment_intent(service_order=order)
    payment_flow.service_order_pay_manual(service_order=order, user=staff, reference="bank-late")
    delivered(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    assert status(order) == Status.AWAITING_PAYMENT and milestones.amount_due(order)[0] == Decimal("14400.00")
    committed(services.payment_confirm, payment=intent, payment_method=card())
    committed(payment_flow.service_order_payment_sync, intent_id=intent.intent_id)
    assert status(order) == Status.AWAITING_PAYMENT
    assert [s.status for s in stages(order)] == ["released", "pending", "pending"]
    books = stage_books(order)  # bank and card money: Stripe holds only the card's
    assert (books[0].charged, books[0].refunded) == (2 * STAGES_FEN[0], STAGES_FEN[0])
    assert (books[1].charged, books[1].refunded) == (0, 0)


def test_a_refund_never_reaches_another_stages_money(staged):
    """Stage 1 is released but its payout waits (no account): its money is still held. A dispute on stage 2
    can refund at most stage 2's money, and the ledger refuses an entry that would take another stage's."""
    order, buyer, provider_user, staff = staged
    pay_bank(order, "bank-1")
    delivered(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    pay_bank(order, "bank-2")
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Stalled.")
    hiring.dispute_resolve(dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Refund stage 2.")
    books = stage_books(order)
    assert (books[0].refunded, books[1].refunded) == (0, STAGES_FEN[1])
    assert books[0].held == Payout.objects.get(milestone=stages(order)[0]).amount_fen
    assert status(order) == Status.REFUNDED and stages(order)[2].status == "cancelled"

    locked = ledger.lock(order)
    with pytest.raises(ledger.LedgerError, match="stage"):
        ledger.entry(locked, PaymentRecord.Kind.REFUND, 1, "stolen", milestone_id=stages(order)[1].pk)


def test_each_delivered_stage_is_accepted_automatically_after_the_review_period(staged):
    order, _buyer, provider_user, _staff = staged
    pay_bank(order, "bank-1")
    delivered(order, provider_user)
    later = timezone.now() + datetime.timedelta(days=30)
    assert hiring.service_orders_auto_accept(now=later) == 1
    assert status(order) == Status.AWAITING_PAYMENT and stages(order)[0].status == "released"
    assert order.events.filter(kind="auto_accepted").get().data["stage"] == 1
    stage_books(order)


def test_ending_the_contract_between_stages_completes_it_and_before_any_stage_cancels_it(staged, deal):
    order, buyer, provider_user, _staff = staged
    pay_bank(order, "bank-1")
    delivered(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    hiring.service_order_cancel(service_order=order, user=buyer, reason="The project is stopped.")
    assert status(order) == Status.COMPLETED
    assert [s.status for s in stages(order)] == ["released", "cancelled", "cancelled"]

    other = make_service_order(enterprise=order.enterprise, buyer=buyer, provider=order.provider, milestone_plan=PLAN)
    hiring.service_order_cancel(service_order=other, user=buyer, reason="Changed our mind.")
    assert status(other) == Status.CANCELLED and {s.status for s in stages(other)} == {"cancelled"}
    with pytest.raises(ValidationError):
        pay_bank(other, "bank-too-late")


def test_the_order_and_pay_pages_show_the_stage_due(stripe_settings, staged, client):
    order, buyer, provider_user, _staff = staged
    client.force_login(buyer)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Paid in stages" in page and "Final report" in page and "Pay ¥14400.00 by card" in page
    pay = client.get(f"/payments/orders/{order.pk}/pay/").content.decode()
    assert "¥14400.00" in pay and "stage 1: Draft report" in pay
    assert order.stripe_payments.get().amount_fen == STAGES_FEN[0]
    chinese = client.get("/zh-hans" + order.get_absolute_url())
    assert chinese.status_code == 200


def test_an_order_paid_at_once_has_no_stages_and_moves_as_before(deal):
    order, buyer, provider_user, _staff = deal
    assert milestones.amount_due(order) == (order.price, None)
    pay_bank(order, "bank-once")
    delivered(order, provider_user)
    hiring.service_order_accept(service_order=order, user=buyer)
    assert status(order) == Status.COMPLETED
    payout = Payout.objects.get(service_order=order)
    assert payout.milestone_id is None and payout.amount_fen == 4_800_000 - fee_of(4_800_000)
    assert not invoices.FeeInvoice.objects.exists()  # not paid out yet: no account
    staff_user()  # the factories still work side by side
