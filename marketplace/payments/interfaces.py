"""What the platform needs from a payment gateway, and the one place that picks the implementation.

The rest of the code talks to ``get_gateway()`` and catches the errors defined here; only the
implementation (``gateway.StripeGateway``, named by ``settings.PAYMENT_GATEWAY``) knows its SDK.
Amounts are integers in fen; the currency is ``money.CURRENCY``. Any implementation must pass
``tests/payments/test_gateway_contract.py``.
"""

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string


class GatewayError(Exception):
    """The gateway could not be reached or refused the request."""


class GatewayRefused(GatewayError):
    """The gateway refused the request as invalid (an over-refund, an unknown account): the same call
    will never succeed, so an outbox operation that gets this is failed rather than retried."""


class CardDeclined(GatewayError):
    """The card was declined; ``message`` is safe to show the buyer."""

    def __init__(self, message: str, code: str = "card_declined"):
        super().__init__(message)
        self.message = message
        self.code = code


class SignatureError(Exception):
    """A webhook whose signature is missing, wrong or too old."""


@dataclass(frozen=True)
class Intent:
    """A payment intent as the gateway reports it (``status`` uses Stripe's vocabulary)."""

    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    metadata: dict[str, str] = field(default_factory=dict)
    error_message: str = ""


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    status: str
    intent_id: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dispute:
    """A chargeback as the gateway reports it (``status`` uses Stripe's vocabulary)."""

    id: str
    amount: int
    status: str
    intent_id: str
    reason: str = ""

    @property
    def closed(self) -> bool:
        return self.status in ("won", "lost", "warning_closed")

    @property
    def lost(self) -> bool:
        return self.status == "lost"


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    amount_reversed: int
    destination: str
    transfer_group: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TransferReversal:
    id: str
    amount: int
    transfer_id: str
    metadata: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class PaymentGateway(Protocol):
    """Every call is keyword-only; every failure is a ``GatewayError`` (or ``CardDeclined``)."""

    def payment_intent_create(self, *, amount: int, metadata: dict[str, str], idempotency_key: str) -> Intent:
        """A new intent for ``amount`` fen; the same ``idempotency_key`` returns the same intent."""
        ...

    def payment_intent_retrieve(self, *, intent_id: str) -> Intent: ...

    def payment_intent_pay(self, *, intent_id: str, payment_method: str, idempotency_key: str | None = None) -> Intent:
        """Attach the buyer's payment method and confirm on the server; ``CardDeclined`` if refused."""
        ...

    def payment_intent_cancel(self, *, intent_id: str) -> None: ...

    def setup_intent_create(self) -> str:
        """A client secret the browser uses to turn a card into a payment method."""
        ...

    def refund_create(
        self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str] | None = None
    ) -> Refund:
        """Refund part or all of a succeeded intent's charge; never more than is left on it (``GatewayRefused``)."""
        ...

    def refunds_list(self, *, intent_id: str) -> list[Refund]:
        """Every refund of the intent's charges, whoever made them (the platform or the gateway's dashboard)."""
        ...

    def disputes_list(self, *, intent_id: str) -> list[Dispute]:
        """Every chargeback opened against the intent's charges."""
        ...

    def dispute_retrieve(self, *, dispute_id: str) -> Dispute: ...

    def transfer_create(
        self,
        *,
        amount: int,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Pay ``amount`` fen out to a provider's connected account; returns the transfer's id."""
        ...

    def transfers_list(self, *, transfer_group: str) -> list[Transfer]:
        """Every transfer made for one order (its ``transfer_group``), with what was reversed of each."""
        ...

    def transfer_reversals_list(self, *, transfer_id: str) -> list[TransferReversal]: ...

    def transfer_reversal_create(
        self, *, transfer_id: str, amount: int, idempotency_key: str, metadata: dict[str, str] | None = None
    ) -> TransferReversal:
        """Take ``amount`` fen of a transfer back from the connected account (``GatewayRefused`` past what is left)."""
        ...

    def event_construct(self, *, payload: bytes, signature: str | None) -> dict[str, Any]:
        """Verify a webhook's signature and age (``SignatureError`` otherwise); the event as plain data."""
        ...


@cache
def _gateway(path: str) -> PaymentGateway:
    return import_string(path)()


def get_gateway() -> PaymentGateway:
    """The configured gateway (``settings.PAYMENT_GATEWAY``, a dotted class path); one instance per path."""
    return _gateway(settings.PAYMENT_GATEWAY)


__all__ = [
    "CardDeclined",
    "Dispute",
    "GatewayError",
    "GatewayRefused",
    "Intent",
    "PaymentGateway",
    "Refund",
    "SignatureError",
    "Transfer",
    "TransferReversal",
    "get_gateway",
]
