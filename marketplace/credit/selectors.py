"""A provider's credit entries: every input of the formula, with its source, date, value and effect.

Six reads whatever the provider's history (ratings, authority and platform evaluations, timed
deliveries, disputes, upheld objections) plus one for appeals. What counts against a provider:

- a dispute that staff decided ``refund`` (full refund) or ``split`` (part refund): the buyer was
  right at least in part. A dispute decided ``complete`` is not held against the provider.
- an objection that staff upheld with the outcome ``rerun``: the award to this provider was wrong
  and its quote was excluded. One entry per superseded selection round, however many objections
  were upheld in it. An upheld objection that cancels the request is about the request, not the
  winner, and is not held against anyone's credit.

Also the public track record of the provider's profile (completed orders, on-time share, median
response to requests), which reads hiring and procurement.
"""

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.hiring.models import Dispute, ServiceOrder, Status
from marketplace.hiring.selectors import DELIVERED_ON_TIME, timed_deliveries
from marketplace.procurement.models import Objection, Quote
from marketplace.ratings.models import AuthorityEvaluation, PlatformEvaluation, Rating
from providers.models import Provider, ProviderEvent

from . import formula
from .models import CreditAppeal, CreditSource


@dataclass
class Entry:
    source: str
    source_id: int
    date: datetime.datetime
    value: str  # what the entry says, for people
    detail: str  # which order / request / authority it is about
    contribution: formula.Contribution
    excluded: bool = False
    effect: Decimal | None = None
    appeal: CreditAppeal | None = None  # the latest appeal of this entry

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"

    @property
    def source_label(self) -> str:
        return CreditSource(self.source).label

    @property
    def appealable(self) -> bool:
        """No appeal yet, or the last one was rejected (one open appeal at a time; upheld is final)."""
        return self.appeal is None or self.appeal.status == CreditAppeal.Status.REJECTED


@dataclass(frozen=True)
class Record:
    provider: Provider
    entries: list
    breakdown: formula.Breakdown
    config: formula.Config
    since: datetime.datetime


def _stars(value) -> str:
    return _("%(stars)s of 5 stars") % {"stars": value}


def _evaluation_entries(provider, since) -> list[Entry]:
    entries = []
    for rating in Rating.objects.filter(provider=provider, created_at__gte=since).select_related(
        "service_order__order"
    ):
        entries.append(
            Entry(
                CreditSource.BUYER,
                rating.pk,
                rating.created_at,
                _stars(rating.overall),
                _("Order %(number)s") % {"number": rating.service_order.order.number},
                formula.Contribution(party="buyer", points=formula.stars_to_points(rating.overall)),
            )
        )
    authority_evaluations = AuthorityEvaluation.objects.filter(provider=provider, created_at__gte=since).select_related(
        "service_order__order", "authority"
    )
    for evaluation in authority_evaluations:
        entries.append(
            Entry(
                CreditSource.AUTHORITY,
                evaluation.pk,
                evaluation.created_at,
                _stars(evaluation.overall),
                _("Order %(number)s, used in approval %(approval)s by %(authority)s")
                % {
                    "number": evaluation.service_order.order.number,
                    "approval": evaluation.approval_number,
                    "authority": evaluation.authority.localized("name"),
                },
                formula.Contribution(party="authority", points=formula.stars_to_points(evaluation.overall)),
            )
        )
    for evaluation in PlatformEvaluation.objects.filter(provider=provider, created_at__gte=since).select_related(
        "service_order__order"
    ):
        if evaluation.service_order_id:
            about = _("Order %(number)s") % {"number": evaluation.service_order.order.number}
        else:
            about = _("Period %(start)s – %(end)s") % {"start": evaluation.period_start, "end": evaluation.period_end}
        entries.append(
            Entry(
                CreditSource.PLATFORM,
                evaluation.pk,
                evaluation.created_at,
                _stars(evaluation.conduct),
                f"{evaluation.get_ground_display()}: {about}. {evaluation.reason}",
                formula.Contribution(party="platform", points=formula.stars_to_points(evaluation.conduct)),
            )
        )
    return entries


def _delivery_entries(provider, since) -> list[Entry]:
    orders = timed_deliveries().filter(provider=provider, delivered_at__gte=since).select_related("order")
    entries = []
    for so in orders:
        on_time = so.delivered_at <= so.due_at
        entries.append(
            Entry(
                CreditSource.DELIVERY,
                so.pk,
                so.delivered_at,
                _("On time") if on_time else _("Late"),
                _("Order %(number)s, due %(due)s")
                % {"number": so.order.number, "due": timezone.localtime(so.due_at).strftime("%Y-%m-%d %H:%M")},
                formula.Contribution(timed=True, on_time=on_time),
            )
        )
    return entries


def _penalty_entries(provider, config, since) -> list[Entry]:
    entries = []
    disputes = Dispute.objects.filter(
        service_order__provider=provider,
        outcome__in=[Dispute.Outcome.REFUND, Dispute.Outcome.SPLIT],
        resolved_at__gte=since,
    ).select_related("service_order__order")
    for dispute in disputes:
        key = "dispute_refund" if dispute.outcome == Dispute.Outcome.REFUND else "dispute_split"
        entries.append(
            Entry(
                CreditSource.DISPUTE,
                dispute.pk,
                dispute.resolved_at,
                dispute.get_outcome_display(),
                _("Order %(number)s: %(decision)s")
                % {"number": dispute.service_order.order.number, "decision": dispute.decision},
                formula.Contribution(deduction=config.penalties.get(key, Decimal(0))),
            )
        )
    rounds = {}
    upheld = (
        Objection.objects.filter(
            status=Objection.Status.UPHELD,
            outcome=Objection.Outcome.RERUN,
            selection__winner__provider=provider,
            decided_at__gte=since,
        )
        .select_related("request")
        .order_by("decided_at", "pk")
    )
    for objection in upheld:
        # Several objections upheld in one round are one wrong award: the first decision dates it.
        rounds.setdefault(objection.selection_id, objection)
    for selection_id, objection in rounds.items():
        entries.append(
            Entry(
                CreditSource.OBJECTION,
                selection_id,
                objection.decided_at,
                _("Award overturned"),
                _("Request “%(title)s”: %(decision)s")
                % {"title": objection.request.title, "decision": objection.decision},
                formula.Contribution(deduction=config.penalties.get("objection_upheld", Decimal(0))),
            )
        )
    return entries


def credit_record(*, provider: Provider, now=None, config: formula.Config | None = None) -> Record:
    """Every entry of ``provider``'s record in the window, the score they give and each one's effect."""
    config = config or formula.Config.from_settings()
    since = (now or timezone.now()) - datetime.timedelta(days=config.window_days)
    entries = (
        _evaluation_entries(provider, since)
        + _delivery_entries(provider, since)
        + _penalty_entries(provider, config, since)
    )
    appeals = {}
    for appeal in CreditAppeal.objects.filter(provider=provider).order_by("created_at", "pk"):
        appeals[f"{appeal.source}:{appeal.source_id}"] = appeal  # the latest wins
    for entry in entries:
        entry.appeal = appeals.get(entry.key)
        entry.excluded = entry.appeal is not None and entry.appeal.status == CreditAppeal.Status.UPHELD
    totals = formula.totals_of(e.contribution for e in entries if not e.excluded)
    breakdown = formula.compute(totals, config)
    for entry in entries:
        if not entry.excluded:
            entry.effect = formula.effect_of(entry.contribution, totals, config, score=breakdown.score)
    entries.sort(key=lambda e: (e.date, e.source, e.source_id), reverse=True)
    return Record(provider=provider, entries=entries, breakdown=breakdown, config=config, since=since)


def credit_entry(*, provider: Provider, source: str, source_id: int) -> Entry | None:
    """One entry of the provider's own record (None for anything not in it: another provider's too)."""
    for entry in credit_record(provider=provider).entries:
        if entry.source == source and entry.source_id == source_id:
            return entry
    return None


def providers_below_threshold(*, config: formula.Config | None = None):
    """Certified providers whose latest score is below the suspension threshold, lowest first."""
    config = config or formula.Config.from_settings()
    return Provider.objects.filter(
        status=Provider.Status.CERTIFIED, credit_score__lt=config.suspend_threshold
    ).order_by("credit_score", "name")


def pending_appeals():
    return CreditAppeal.objects.filter(status=CreditAppeal.Status.PENDING).select_related("provider", "filed_by")


def appeals_of(*, provider: Provider):
    return provider.credit_appeals.select_related("decided_by")


def suspension_of(*, provider: Provider):
    """The event that suspended a suspended provider (its date and reason are public record)."""
    if provider.status != Provider.Status.SUSPENDED:
        return None
    return provider.events.filter(kind=ProviderEvent.Kind.SUSPENDED).first()


# --- The public track record -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrackRecord:
    completed: int
    on_time_rate: int | None  # percent of completed orders delivered by the promised deadline
    median_response_hours: Decimal | None  # from a request's publication to the provider's first quote


def provider_track_record(*, provider) -> TrackRecord:
    """Three queries, whatever the provider's history. Here because it reads orders (hiring) and
    quotes (procurement); ratings, below procurement, may not."""
    completed = ServiceOrder.objects.filter(provider=provider, order__status=Status.COMPLETED)
    timed = timed_deliveries().filter(provider=provider)
    counts = timed.aggregate(total=Count("pk"), on_time=Count("pk", filter=DELIVERED_ON_TIME))
    delays = [
        (first - published).total_seconds() / 3600
        for first, published in Quote.objects.filter(provider=provider).values_list(
            "first_submitted_at", "request__published_at"
        )
    ]
    return TrackRecord(
        completed=completed.count(),
        on_time_rate=round(100 * counts["on_time"] / counts["total"]) if counts["total"] else None,
        median_response_hours=Decimal(str(statistics.median(delays))).quantize(Decimal("0.1")) if delays else None,
    )
