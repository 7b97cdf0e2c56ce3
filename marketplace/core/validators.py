"""Validators shared by every organisation on the platform."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the unified social credit code is 18 characters from this 31-symbol alphabet
# (no I, O, S, V, Z); the last one is a check character over the first 17.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    """The check character GB 32100-2015 prescribes for the first 17 characters."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    """Reject anything that is not a well-formed unified social credit code, saying why."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    bad = sorted({char for char in code if char not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("A unified social credit code cannot contain %(chars)s."),
            code="credit_code_characters",
            params={"chars": ", ".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 of a unified social credit code are the region code and must be digits."),
            code="credit_code_region",
        )
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("This unified social credit code fails its check digit; please check it for typing mistakes."),
            code="credit_code_check_digit",
        )


def validate_tax_number(value: str) -> None:
    """A taxpayer identification number (纳税人识别号) as Chinese invoices print it: today the 18-character
    unified social credit code (checked as such); older registrations have 15, 17 or 20 digits and
    capital letters."""
    number = normalize_credit_code(value)
    if len(number) == 18:
        validate_credit_code(number)
        return
    if len(number) not in (15, 17, 20) or not number.isalnum() or not number.isascii():
        raise ValidationError(
            _("A taxpayer identification number has 15, 17, 18 or 20 letters and digits."), code="tax_number"
        )
