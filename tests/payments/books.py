"""Checking the books of an order against Stripe itself, to the fen (used by the fault and webhook tests).

Stripe's side is read through the stripe SDK straight from devstripe — not through the platform's gateway
or ledger — so a bug in what the platform records cannot hide itself.
"""

from collections import Counter

from marketplace.payments import gateway, services
from marketplace.payments.models import PaymentRecord, StripeOperation


def stripe_books(order) -> dict[str, int]:
    """What Stripe holds for the order: charged, refunded, chargebacks (lost), transferred (net of reversals)."""
    client = gateway._client()
    books = {"charged": 0, "refunded": 0, "chargebacks": 0, "transferred": 0}
    for payment in order.stripe_payments.all():
        intent = client.v1.payment_intents.retrieve(payment.intent_id)
        if intent["status"] == "succeeded":
            books["charged"] += intent["amount"]
        refunds = client.v1.refunds.list(params={"payment_intent": payment.intent_id, "limit": 100})
        books["refunded"] += sum(r["amount"] for r in refunds.auto_paging_iter() if r["status"] == "succeeded")
        try:
            disputes = client.v1.disputes.list(params={"payment_intent": payment.intent_id, "limit": 100})
        except gateway.stripe.StripeError:  # plain localstripe has no disputes
            continue
        books["chargebacks"] += sum(d["amount"] for d in disputes.auto_paging_iter() if d["status"] == "lost")
    try:
        transfers = client.v1.transfers.list(params={"transfer_group": order.order.number, "limit": 100})
        books["transferred"] = sum(
            t["amount"] - (t.to_dict().get("amount_reversed") or 0) for t in transfers.auto_paging_iter()
        )
    except gateway.stripe.StripeError:  # plain localstripe has no transfers
        pass
    return books


def ledger_books(order) -> dict[str, int]:
    balance = services.ledger_balance(service_order=order)
    return {
        "charged": balance.charged,
        "refunded": balance.refunded,
        "chargebacks": balance.chargebacks,
        "transferred": balance.transferred,
    }


def assert_books(order) -> services.Balance:
    """Stripe's totals equal the ledger's; charges = refunds + chargebacks + fees + payouts + held, held ≥ 0;
    no refund or transfer recorded twice, and no outbox operation made two objects at Stripe."""
    assert stripe_books(order) == ledger_books(order)
    balance = services.ledger_balance(service_order=order)
    assert balance.charged == (
        balance.refunded + balance.chargebacks + balance.fees + balance.transferred + balance.held
    )
    assert balance.held >= 0
    references = Counter(PaymentRecord.objects.filter(service_order=order).values_list("reference", flat=True))
    assert max(references.values(), default=1) == 1
    client = gateway._client()
    made = Counter()
    for payment in order.stripe_payments.all():
        refunds = client.v1.refunds.list(params={"payment_intent": payment.intent_id, "limit": 100})
        made.update((r.to_dict().get("metadata") or {}).get("ow_operation") for r in refunds.auto_paging_iter())
    made.pop(None, None)
    assert max(made.values(), default=1) == 1, f"an operation refunded twice: {made}"
    assert not StripeOperation.objects.filter(service_order=order, status="pending").exists()
    return balance
