"""The published credit formula: pure functions of a provider's inputs and the tunables (``conf``).

Each evaluation (buyer rating, authority evaluation, platform evaluation) is a value of 1 to 5
stars, turned into 0–100 points as ``(stars − 1) × 25``. Then::

    party score  S_p = mean of that party's points                      (p = buyer, authority, platform)
    evaluation   E   = Σ w_p × S_p / Σ w_p     over the parties that have evaluated (renormalised)
    on-time      T   = 100 × deliveries by the promised deadline / completed deliveries with a deadline
    base             = (c_E × E + c_T × T) / (c_E + c_T)   over the components that exist (renormalised)
    score            = clamp(base − Σ deductions, 0, 100), two decimals
    grade            = the highest number of stars whose lowest score the score reaches

With no evaluation and no timed delivery there is no score (and no grade) yet. An entry excluded
by an upheld appeal does not count at all. Nothing here touches the database.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from . import conf

PARTIES = ("buyer", "authority", "platform")
PLACES = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Config:
    party_weights: dict
    component_weights: dict
    penalties: dict
    grade_thresholds: dict  # stars -> lowest score for that grade
    suspend_threshold: Decimal
    window_days: int
    overdue_days: int = 30  # an order undelivered this long after its deadline is a negative event
    contract_seal_days: int = 7  # a contract the provider has not sealed this long after the buyer did

    @classmethod
    def from_settings(cls) -> "Config":
        return cls(
            party_weights={p: Decimal(conf.get("CREDIT_EVALUATION_WEIGHTS").get(p, 0)) for p in PARTIES},
            component_weights={
                name: Decimal(conf.get("CREDIT_COMPONENT_WEIGHTS").get(name, 0)) for name in ("evaluation", "on_time")
            },
            penalties={name: Decimal(points) for name, points in conf.get("CREDIT_PENALTIES").items()},
            grade_thresholds={int(stars): Decimal(low) for stars, low in conf.get("CREDIT_GRADE_THRESHOLDS").items()},
            suspend_threshold=Decimal(conf.get("CREDIT_SUSPEND_THRESHOLD")),
            window_days=int(conf.get("CREDIT_WINDOW_DAYS")),
            overdue_days=int(conf.get("CREDIT_OVERDUE_DAYS")),
            contract_seal_days=int(conf.get("CREDIT_CONTRACT_SEAL_DAYS")),
        )

    @property
    def grade_bands(self) -> list[tuple[int, Decimal]]:
        """(stars, lowest score), five stars first."""
        return sorted(self.grade_thresholds.items(), reverse=True)


def stars_to_points(stars) -> Decimal:
    return (Decimal(stars) - 1) * 25


@dataclass
class Totals:
    """The sums the formula needs; removing one entry is a constant-time change (for its effect)."""

    party_sum: dict = field(default_factory=lambda: {p: Decimal(0) for p in PARTIES})
    party_count: dict = field(default_factory=lambda: {p: 0 for p in PARTIES})
    on_time: int = 0
    timed: int = 0
    deductions: Decimal = Decimal(0)

    def copy(self) -> "Totals":
        return Totals(dict(self.party_sum), dict(self.party_count), self.on_time, self.timed, self.deductions)


@dataclass(frozen=True)
class Contribution:
    """What one entry adds to the totals: an evaluation, a timed delivery or a deduction."""

    party: str = ""
    points: Decimal = Decimal(0)
    timed: bool = False
    on_time: bool = False
    deduction: Decimal = Decimal(0)

    def add_to(self, totals: Totals, sign: int = 1) -> None:
        if self.party:
            totals.party_sum[self.party] += sign * self.points
            totals.party_count[self.party] += sign
        if self.timed:
            totals.timed += sign
            totals.on_time += sign * int(self.on_time)
        totals.deductions += sign * self.deduction


def totals_of(contributions: Iterable[Contribution]) -> Totals:
    totals = Totals()
    for contribution in contributions:
        contribution.add_to(totals)
    return totals


@dataclass(frozen=True)
class Breakdown:
    party_scores: dict  # party -> Decimal | None
    evaluation: Decimal | None
    on_time: Decimal | None
    base: Decimal | None
    deductions: Decimal
    score: Decimal | None
    grade: int | None


def _weighted(values: dict, weights: dict) -> Decimal | None:
    present = {name: value for name, value in values.items() if value is not None and weights.get(name, 0) > 0}
    total_weight = sum(weights[name] for name in present)
    if not present or total_weight == 0:
        return None
    return sum(weights[name] * value for name, value in present.items()) / total_weight


def compute(totals: Totals, config: Config) -> Breakdown:
    party_scores = {
        p: (totals.party_sum[p] / totals.party_count[p]) if totals.party_count[p] else None for p in PARTIES
    }
    evaluation = _weighted(party_scores, config.party_weights)
    on_time = HUNDRED * totals.on_time / totals.timed if totals.timed else None
    base = _weighted({"evaluation": evaluation, "on_time": on_time}, config.component_weights)
    score = None
    if base is not None:
        score = min(HUNDRED, max(Decimal(0), base - totals.deductions)).quantize(PLACES, ROUND_HALF_UP)

    def q(value):
        return None if value is None else value.quantize(PLACES, ROUND_HALF_UP)

    return Breakdown(
        party_scores={p: q(v) for p, v in party_scores.items()},
        evaluation=q(evaluation),
        on_time=q(on_time),
        base=q(base),
        deductions=totals.deductions,
        score=score,
        grade=grade_for(score, config),
    )


def grade_for(score: Decimal | None, config: Config) -> int | None:
    if score is None:
        return None
    for stars, low in config.grade_bands:
        if score >= low:
            return stars
    return 1


def effect_of(contribution: Contribution, totals: Totals, config: Config, *, score=None) -> Decimal | None:
    """How many points the score has because of this entry: score with it − score without it."""
    with_it = compute(totals, config).score if score is None else score
    without = totals.copy()
    contribution.add_to(without, sign=-1)
    without_score = compute(without, config).score
    if with_it is None and without_score is None:
        return None
    return (with_it or Decimal(0)) - (without_score or Decimal(0))
