"""Milestone plans: how a listing or a quote splits the work and its price into stages, paid one by one.

A plan is written one stage per line, ``name; share or amount; due day``::

    Draft report; 30%; 20
    Expert review; 30%; 35
    Final report; 40%; 50

The second part is a share of the price (``30%``) or an amount in CNY (``12000``); every line uses the
same kind. Shares add up to 100 %; amounts add up to the price. The due day counts days from the start
of the order, and each stage is due no earlier than the one before. An empty plan means one stage of
100 % — the order is paid and delivered at once, as every order was before milestones.

``allocate`` turns a plan into amounts for a price, to the fen: each share is rounded down to the fen
and the last stage takes what is left, so the stages always add up to the price exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_STAGES = 10
FEN = Decimal("0.01")


@dataclass(frozen=True)
class Stage:
    name: str
    share: Decimal | None  # percent, when the plan is in shares
    amount: Decimal | None  # CNY, when the plan is in amounts
    due_day: int


def _error(line_number: int, message, **params) -> ValidationError:
    text = _("Line %(line)s: ") % {"line": line_number} + (message % params if params else str(message))
    return ValidationError(text, code="milestone_plan")


def _parse_line(number: int, line: str) -> Stage:
    parts = [part.strip() for part in line.replace("；", ";").split(";")]
    if len(parts) != 3 or not all(parts):
        raise _error(number, _("write a name, a share or amount, and a due day, separated by semicolons."))
    name, size, due = parts
    if len(name) > 100:
        raise _error(number, _("a stage's name has at most 100 characters."))
    is_share = size.endswith(("%", "％"))
    try:
        value = Decimal(size.rstrip("%％").strip().replace(",", ""))
    except InvalidOperation:
        raise _error(
            number, _("“%(size)s” is neither a share such as 30%% nor an amount such as 12000."), size=size
        ) from None
    if not value.is_finite() or value <= 0:
        raise _error(number, _("a share or amount must be more than zero."))
    try:
        due_day = int(due)
    except ValueError:
        raise _error(number, _("the due day must be a whole number of days.")) from None
    if not 1 <= due_day <= 3650:
        raise _error(number, _("the due day must be between 1 and 3650."))
    if is_share:
        return Stage(name=name, share=value, amount=None, due_day=due_day)
    if value != value.quantize(FEN):
        raise _error(number, _("an amount has at most two decimals (fen)."))
    return Stage(name=name, share=None, amount=value, due_day=due_day)


def parse(text: str) -> list[Stage]:
    """The stages a plan's text describes (``[]`` for an empty plan), or ``ValidationError`` saying
    which line is wrong and why. Checks the plan on its own; ``allocate`` checks it against a price."""
    lines = [(number, line.strip()) for number, line in enumerate((text or "").splitlines(), start=1)]
    stages = [_parse_line(number, line) for number, line in lines if line]
    if not stages:
        return []
    if len(stages) < 2:
        raise ValidationError(
            _("A plan has at least two stages; leave it empty to be paid at once."), code="milestone_plan"
        )
    if len(stages) > MAX_STAGES:
        raise ValidationError(
            _("A plan has at most %(max)s stages."), code="milestone_plan", params={"max": MAX_STAGES}
        )
    if len({stage.share is None for stage in stages}) > 1:
        raise ValidationError(
            _("Use shares (30%) on every line or amounts (12000) on every line, not both."), code="milestone_plan"
        )
    if stages[0].share is not None and sum(stage.share for stage in stages) != 100:
        raise ValidationError(
            _("The shares add up to %(total)s%%; they must add up to 100%%."),
            code="milestone_plan",
            params={"total": sum(stage.share for stage in stages)},
        )
    days = [stage.due_day for stage in stages]
    if days != sorted(days):
        raise ValidationError(_("Each stage must be due no earlier than the one before it."), code="milestone_plan")
    return stages


def allocate(stages: list[Stage], price: Decimal) -> list[Decimal]:
    """Each stage's amount for ``price``: shares rounded down to the fen, the last stage taking the rest.
    An amount plan must add up to the price (``ValidationError`` otherwise)."""
    price = Decimal(price).quantize(FEN)
    if not stages:
        return [price]
    if stages[0].amount is not None:
        total = sum(stage.amount for stage in stages)
        if total != price:
            raise ValidationError(
                _("The stages add up to %(total)s CNY but the price is %(price)s CNY."),
                code="milestone_plan_total",
                params={"total": total, "price": price},
            )
        return [stage.amount for stage in stages]
    amounts = [(price * stage.share / 100).quantize(FEN, rounding=ROUND_DOWN) for stage in stages[:-1]]
    last = price - sum(amounts)
    if last <= 0 or any(amount <= 0 for amount in amounts):
        raise ValidationError(
            _("The price of %(price)s CNY is too small to split into these stages."),
            code="milestone_plan_total",
            params={"price": price},
        )
    return [*amounts, last]


def text(stages: list[Stage]) -> str:
    """A plan written back as text, one stage per line (the form's initial value)."""
    return "\n".join(
        f"{stage.name}; {f'{stage.share.normalize():f}%' if stage.share is not None else stage.amount}; {stage.due_day}"
        for stage in stages
    )


def problems(plan: str, price: Decimal | None = None) -> list[str]:
    """What is wrong with a plan's text, checked against ``price`` where there is one; [] when nothing."""
    try:
        stages = parse(plan)
        if stages and price:
            allocate(stages, price)
    except ValidationError as error:
        return error.messages
    return []
