"""The only module that imports ``stripe``: ``StripeGateway``, the ``interfaces.PaymentGateway`` the platform uses.

Configured from settings (``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE``, ``STRIPE_WEBHOOK_SECRET``);
in development and tests ``STRIPE_API_BASE`` points at a ``localstripe`` process on loopback.
Amounts are integers in fen. Every error comes out as ``GatewayError`` (or ``CardDeclined``), so
no Stripe exception — nor the key — reaches a view or a log line. The rest of the code reaches it
through ``interfaces.get_gateway()`` (``settings.PAYMENT_GATEWAY``), never by importing this module.
"""

import stripe
from django.conf import settings

from .interfaces import (
    CardDeclined,
    Dispute,
    GatewayError,
    GatewayRefused,
    Intent,
    Refund,
    SignatureError,
    Transfer,
    TransferReversal,
)
from .money import CURRENCY


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE}, max_network_retries=0
    )


def _intent(obj) -> Intent:
    obj = obj.to_dict()
    error = obj.get("last_payment_error") or {}
    return Intent(
        id=obj["id"],
        status=obj["status"],
        amount=int(obj["amount"]),
        currency=obj["currency"],
        client_secret=obj.get("client_secret") or "",
        metadata=dict(obj.get("metadata") or {}),
        error_message=(error.get("message") or "") if error else "",
    )


def _refund(obj, intent_id: str) -> Refund:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return Refund(
        id=obj["id"],
        amount=int(obj["amount"]),
        status=obj.get("status") or "",
        intent_id=obj.get("payment_intent") or intent_id,
        metadata=dict(obj.get("metadata") or {}),
    )


def _dispute(obj) -> Dispute:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return Dispute(
        id=obj["id"],
        amount=int(obj["amount"]),
        status=obj.get("status") or "",
        intent_id=obj.get("payment_intent") or "",
        reason=obj.get("reason") or "",
    )


def _reversal(obj, transfer_id: str) -> TransferReversal:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return TransferReversal(
        id=obj["id"], amount=int(obj["amount"]), transfer_id=transfer_id, metadata=dict(obj.get("metadata") or {})
    )


def _list(list_method, params: dict) -> list:
    """Every object of a list endpoint, page by page (Stripe pages at most 100)."""
    page = _call(list_method, params={**params, "limit": 100})
    return list(_call(lambda: list(page.auto_paging_iter())))


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as error:
        raise CardDeclined(error.user_message or "Your card was declined.", error.code or "card_declined") from None
    except stripe.InvalidRequestError as error:
        # 400/404: the request itself is refused (an over-refund, an unknown account); retrying cannot help.
        # Only the code: Stripe's message may echo request parameters.
        raise GatewayRefused(error.code or type(error).__name__) from None
    except stripe.StripeError as error:
        # Only the class name: Stripe's message may echo request parameters.
        raise GatewayError(type(error).__name__) from None


class StripeGateway:
    """Stripe (or localstripe, by ``STRIPE_API_BASE``) behind ``interfaces.PaymentGateway``; stateless."""

    def payment_intent_create(self, *, amount: int, metadata: dict, idempotency_key: str) -> Intent:
        obj = _call(
            _client().v1.payment_intents.create,
            params={"amount": int(amount), "currency": CURRENCY, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return _intent(obj)

    def payment_intent_retrieve(self, *, intent_id: str) -> Intent:
        return _intent(_call(_client().v1.payment_intents.retrieve, intent_id))

    def payment_intent_pay(self, *, intent_id: str, payment_method: str, idempotency_key: str | None = None) -> Intent:
        """Attach the buyer's card (a PaymentMethod id from Stripe.js) and confirm on the server."""
        client = _client()
        _call(client.v1.payment_intents.update, intent_id, params={"payment_method": payment_method})
        return _intent(
            _call(
                client.v1.payment_intents.confirm,
                intent_id,
                options={"idempotency_key": idempotency_key} if idempotency_key else {},
            )
        )

    def payment_intent_cancel(self, *, intent_id: str) -> None:
        _call(_client().v1.payment_intents.cancel, intent_id)

    def setup_intent_create(self) -> str:
        """A SetupIntent client secret: Stripe.js turns the card into a PaymentMethod with it."""
        return _call(_client().v1.setup_intents.create, params={"usage": "on_session"})["client_secret"]

    def refund_create(
        self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str] | None = None
    ) -> Refund:
        obj = _call(
            _client().v1.refunds.create,
            params={"payment_intent": intent_id, "amount": int(amount), "metadata": metadata or {}},
            options={"idempotency_key": idempotency_key},
        )
        return _refund(obj, intent_id)

    def refunds_list(self, *, intent_id: str) -> list[Refund]:
        return [_refund(obj, intent_id) for obj in _list(_client().v1.refunds.list, {"payment_intent": intent_id})]

    def disputes_list(self, *, intent_id: str) -> list[Dispute]:
        return [_dispute(obj) for obj in _list(_client().v1.disputes.list, {"payment_intent": intent_id})]

    def dispute_retrieve(self, *, dispute_id: str) -> Dispute:
        return _dispute(_call(_client().v1.disputes.retrieve, dispute_id))

    def transfer_create(
        self,
        *,
        amount: int,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """A Stripe Connect transfer from the platform balance to a provider's connected account."""
        obj = _call(
            _client().v1.transfers.create,
            params={
                "amount": int(amount),
                "currency": CURRENCY,
                "destination": destination,
                "transfer_group": transfer_group,
                "metadata": metadata or {},
            },
            options={"idempotency_key": idempotency_key},
        )
        return obj["id"]

    def transfers_list(self, *, transfer_group: str) -> list[Transfer]:
        objs = [obj.to_dict() for obj in _list(_client().v1.transfers.list, {"transfer_group": transfer_group})]
        return [
            Transfer(
                id=obj["id"],
                amount=int(obj["amount"]),
                amount_reversed=int(obj.get("amount_reversed") or 0),
                destination=obj.get("destination") or "",
                transfer_group=obj.get("transfer_group") or "",
                metadata=dict(obj.get("metadata") or {}),
            )
            for obj in objs
        ]

    def transfer_reversal_create(
        self, *, transfer_id: str, amount: int, idempotency_key: str, metadata: dict[str, str] | None = None
    ) -> TransferReversal:
        obj = _call(
            _client().v1.transfers.reversals.create,
            transfer_id,
            params={"amount": int(amount), "metadata": metadata or {}},
            options={"idempotency_key": idempotency_key},
        )
        return _reversal(obj, transfer_id)

    def transfer_reversals_list(self, *, transfer_id: str) -> list[TransferReversal]:
        return [
            _reversal(obj, transfer_id)
            for obj in _list(lambda params: _client().v1.transfers.reversals.list(transfer_id, params=params), {})
        ]

    def event_construct(self, *, payload: bytes, signature: str | None) -> dict:
        """Verify a webhook's signature and age; return the event as plain data."""
        if not signature:
            raise SignatureError("missing signature")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
            )
        except (stripe.SignatureVerificationError, ValueError):
            raise SignatureError("bad signature") from None
        return event.to_dict()
