"""The one boundary between order prices (``Decimal`` yuan) and gateway amounts (integer fen).

Everything on the Stripe side of the payment service — PaymentIntents, refunds, transfers, the
ledger — counts in fen; only the order's price and the hiring interface speak yuan.
"""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "cny"
FEN_PER_YUAN = 100


def yuan_to_fen(amount: Decimal) -> int:
    """``Decimal('480.50')`` → ``48050``; refuses amounts with more than two places."""
    amount = Decimal(amount)
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} CNY is not a whole number of fen")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def percent_of(fen: int, percent: Decimal) -> int:
    """A share of an amount, rounded half up to the fen (used for the platform fee)."""
    return int((Decimal(int(fen)) * Decimal(percent) / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
