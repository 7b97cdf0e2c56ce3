"""What applying money to an order did, reported to the layer above (hiring), which decides what the order does.

Plain frozen values (ids and amounts, no model instances): payments never moves an order itself.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .money import fen_to_yuan


class PaymentResult(StrEnum):
    APPLIED = "applied"  # the charge is recorded now: the order may start
    DUPLICATE = "duplicate"  # recorded before (a replayed notification): nothing changed
    REFUNDED = "refunded"  # paid after the order stopped awaiting payment: recorded and returned in full
    NOT_PAID = "not_paid"  # the intent has not succeeded (pending, declined, cancelled); its state is noted
    MISMATCH = "mismatch"  # the gateway reports another amount or currency than was asked: nothing recorded


@dataclass(frozen=True)
class PaymentOutcome:
    result: PaymentResult
    service_order_id: int
    amount_fen: int
    reference: str
    record_id: int | None = None  # the charge's ledger entry, when there is one
    recorded_at: datetime.datetime | None = None
    milestone_id: int | None = None  # the stage the charge funds, for an order paid in stages

    @property
    def applied(self) -> bool:
        return self.result == PaymentResult.APPLIED

    @property
    def duplicate(self) -> bool:
        return self.result == PaymentResult.DUPLICATE

    @property
    def refunded(self) -> bool:
        """Money that arrived after the order was cancelled, returned in full."""
        return self.result == PaymentResult.REFUNDED

    @property
    def amount(self) -> Decimal:
        return fen_to_yuan(self.amount_fen)
