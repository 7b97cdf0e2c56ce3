"""A provider's credit entries: every input of the formula, with its source, date, value and effect.

Six reads whatever the provider's history (ratings, authority and platform evaluations, timed
deliveries, disputes, upheld objections) plus one for appeals. What counts against a provider:

- a dispute that staff decided ``refund`` (full refund) or ``split`` (part refund): the buyer was
  right at least in part. A dispute decided ``complete`` is not held against the provider.
- an objection that staff upheld with the outcome ``rerun``: the award to this provider was wrong
  and its quote was excluded. One entry per superseded selection round, however many objections
  were upheld in it. An upheld objection that cancels the request is about the request, not the
  winner, and is not held against anyone's credit.
- the selected provider declining an award (the request's ``award_declined`` event), and a contract
  the provider has not sealed ``contract_seal_days`` after the buyer sealed it (or sealed later than
  that); a contract of a cancelled order does not count. Both are dated when they happened (the
  grace running out, for the contract), so time alone makes the second.

Also the public track record of the provider's profile (completed orders, on-time share, median
response to requests), which reads hiring and procurement.
"""

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.hiring.models import ContractSeal, Dispute, ServiceOrder, Status
from marketplace.hiring.selectors import DELIVERED_ON_TIME, timed_deliveries
from marketplace.procurement.models import Objection, Quote, RequestEvent
from marketplace.ratings.models import AuthorityEvaluation, PlatformEvaluation, Rating
from providers.models import Provider, ProviderEvent

from . import conf, formula
from .models import CreditAppeal, CreditSource, NegativeEvent


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
    provider_id: int | None = None
    kind: str = ""  # what happened, for the negative-behaviour list (else the source's label)

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


def _of(provider, path: str) -> dict:
    """The filter for one provider's rows, or for every provider's (the public list)."""
    return {} if provider is None else {path: provider}


def _penalty_entries(provider, config, since, now=None) -> list[Entry]:
    """The negative-behaviour events (deductions) of ``provider``, or of every provider if None."""
    entries = []
    disputes = Dispute.objects.filter(
        outcome__in=[Dispute.Outcome.REFUND, Dispute.Outcome.SPLIT],
        resolved_at__gte=since,
        **_of(provider, "service_order__provider"),
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
                provider_id=dispute.service_order.provider_id,
            )
        )
    rounds = {}
    upheld = (
        Objection.objects.filter(
            status=Objection.Status.UPHELD,
            outcome=Objection.Outcome.RERUN,
            selection__winner__isnull=False,
            decided_at__gte=since,
            **_of(provider, "selection__winner__provider"),
        )
        .select_related("request", "selection__winner")
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
                provider_id=objection.selection.winner.provider_id,
            )
        )
    return (
        entries
        + _overdue_entries(provider, config, since, now)
        + _declined_entries(provider, config, since)
        + _unsigned_entries(provider, config, since, now)
        + _recorded_entries(provider, config, since)
    )


def _declined_entries(provider, config, since) -> list[Entry]:
    """Awards the selected provider declined during the publicity period (``procurement.awards``)."""
    events = list(RequestEvent.objects.filter(kind="award_declined", created_at__gte=since).select_related("request"))
    quotes = Quote.objects.in_bulk([event.data.get("quote") for event in events if event.data.get("quote")])
    entries = []
    for event in events:
        quote = quotes.get(event.data.get("quote"))
        if quote is None or (provider is not None and quote.provider_id != provider.pk):
            continue
        entries.append(
            Entry(
                CreditSource.DECLINED,
                event.pk,
                event.created_at,
                _("Award declined"),
                _("Request “%(title)s”: %(reason)s")
                % {"title": event.request.title, "reason": event.data.get("reason", "")},
                formula.Contribution(deduction=config.penalties.get("award_declined", Decimal(0))),
                provider_id=quote.provider_id,
            )
        )
    return entries


def _unsigned_entries(provider, config, since, now=None) -> list[Entry]:
    """Contracts the provider left unsealed ``contract_seal_days`` after the buyer's seal."""
    grace = datetime.timedelta(days=config.contract_seal_days)
    cutoff = (now or timezone.now()) - grace
    provider_seal = ContractSeal.objects.filter(contract=OuterRef("contract"), party=ContractSeal.Party.PROVIDER)
    late = (
        ContractSeal.objects.filter(party=ContractSeal.Party.BUYER, sealed_at__lt=cutoff, sealed_at__gte=since - grace)
        .exclude(contract__service_order__order__status=Status.CANCELLED)
        .annotate(provider_sealed_at=Subquery(provider_seal.values("sealed_at")[:1]))
        .filter(Q(provider_sealed_at__isnull=True) | Q(provider_sealed_at__gt=F("sealed_at") + grace))
        .filter(**_of(provider, "contract__service_order__provider"))
        .select_related("contract__document", "contract__service_order__order")
    )
    return [
        Entry(
            CreditSource.UNSIGNED,
            seal.contract_id,
            seal.sealed_at + grace,
            _("Contract not sealed within %(days)s days") % {"days": config.contract_seal_days},
            _("Contract %(number)s of order %(order)s, sealed by the buyer %(date)s")
            % {
                "number": seal.contract.number,
                "order": seal.contract.service_order.order.number,
                "date": timezone.localtime(seal.sealed_at).strftime("%Y-%m-%d"),
            },
            formula.Contribution(deduction=config.penalties.get("contract_unsigned", Decimal(0))),
            provider_id=seal.contract.service_order.provider_id,
        )
        for seal in late
    ]


def _overdue_entries(provider, config, since, now=None) -> list[Entry]:
    """Orders not delivered more than ``overdue_days`` after their promised deadline (still undelivered,
    or delivered later than that). Dated the day the grace ran out, so time alone makes the entry."""
    grace = datetime.timedelta(days=config.overdue_days)
    cutoff = (now or timezone.now()) - grace
    orders = (
        ServiceOrder.objects.filter(due_at__isnull=False, due_at__lt=cutoff, due_at__gte=since - grace)
        .exclude(order__status__in=[Status.AWAITING_PAYMENT, Status.CANCELLED])
        .filter(Q(delivered_at__isnull=True) | Q(delivered_at__gt=F("due_at") + grace))
        .filter(**_of(provider, "provider"))
        .select_related("order")
    )
    return [
        Entry(
            CreditSource.OVERDUE,
            so.pk,
            so.due_at + grace,
            _("Overdue by more than %(days)s days") % {"days": config.overdue_days},
            _("Order %(number)s, due %(due)s")
            % {"number": so.order.number, "due": timezone.localtime(so.due_at).strftime("%Y-%m-%d")},
            formula.Contribution(deduction=config.penalties.get("delivery_overdue", Decimal(0))),
            provider_id=so.provider_id,
        )
        for so in orders
    ]


def _recorded_entries(provider, config, since) -> list[Entry]:
    events = NegativeEvent.objects.filter(occurred_on__gte=timezone.localdate(since), **_of(provider, "provider"))
    tz = timezone.get_current_timezone()
    return [
        Entry(
            CreditSource.RECORDED,
            event.pk,
            datetime.datetime.combine(event.occurred_on, datetime.time.min, tzinfo=tz),
            event.get_kind_display(),
            event.evidence,
            formula.Contribution(deduction=config.penalties.get(event.kind, Decimal(0))),
            provider_id=event.provider_id,
            kind=event.get_kind_display(),
        )
        for event in events
    ]


def credit_record(*, provider: Provider, now=None, config: formula.Config | None = None) -> Record:
    """Every entry of ``provider``'s record in the window, the score they give and each one's effect."""
    config = config or formula.Config.from_settings()
    since = (now or timezone.now()) - datetime.timedelta(days=config.window_days)
    entries = (
        _evaluation_entries(provider, since)
        + _delivery_entries(provider, since)
        + _penalty_entries(provider, config, since, now)
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


# --- The public negative-behaviour list -------------------------------------------------------------


@dataclass(frozen=True)
class NegativeListRow:
    provider: Provider
    kind: str
    date: datetime.date
    deduction: Decimal


def negative_list(*, now=None, days: int | None = None, config: formula.Config | None = None) -> list[NegativeListRow]:
    """Every provider's negative-behaviour events of the last ``days`` days (``CREDIT_NEGATIVE_LIST_DAYS``),
    newest first, each with the deduction the published formula gives it. An entry an upheld appeal
    excluded is not listed. Names and credit codes of organisations only: no person is named."""
    config = config or formula.Config.from_settings()
    now = now or timezone.now()
    days = conf.get("CREDIT_NEGATIVE_LIST_DAYS") if days is None else days
    entries = _penalty_entries(None, config, now - datetime.timedelta(days=int(days)), now)
    excluded = {
        f"{source}:{source_id}"
        for source, source_id in CreditAppeal.objects.filter(status=CreditAppeal.Status.UPHELD).values_list(
            "source", "source_id"
        )
    }
    providers = Provider.objects.in_bulk({entry.provider_id for entry in entries})
    rows = [
        NegativeListRow(
            provider=providers[entry.provider_id],
            kind=entry.kind or entry.source_label,
            date=timezone.localdate(entry.date),
            deduction=entry.contribution.deduction,
        )
        for entry in entries
        if entry.key not in excluded and entry.provider_id in providers
    ]
    rows.sort(key=lambda row: (row.date, row.provider.pk), reverse=True)
    return rows


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


def on_time_rates(*, provider_ids) -> dict[int, int]:
    """Percent of each provider's completed orders delivered by the promised deadline (one query)."""
    rows = (
        timed_deliveries()
        .filter(provider_id__in=list(provider_ids))
        .values("provider_id")
        .annotate(total=Count("pk"), on_time=Count("pk", filter=DELIVERED_ON_TIME))
    )
    return {row["provider_id"]: round(100 * row["on_time"] / row["total"]) for row in rows if row["total"]}


def provider_track_record(*, provider) -> TrackRecord:
    """Two queries, whatever the provider's history. Here because it reads orders (hiring) and
    quotes (procurement); ratings, below procurement, may not."""
    # Completed orders and, among them, ``timed_deliveries`` (a deadline and a delivery) and those
    # delivered on time, in one pass: the same figures as ``on_time_rates`` (a test holds them equal).
    timed = Q(due_at__isnull=False, delivered_at__isnull=False)
    orders = ServiceOrder.objects.filter(provider=provider, order__status=Status.COMPLETED).aggregate(
        completed=Count("pk"),
        timed=Count("pk", filter=timed),
        on_time=Count("pk", filter=timed & DELIVERED_ON_TIME),
    )
    delays = [
        (first - published).total_seconds() / 3600
        for first, published in Quote.objects.filter(provider=provider).values_list(
            "first_submitted_at", "request__published_at"
        )
    ]
    return TrackRecord(
        completed=orders["completed"],
        on_time_rate=round(100 * orders["on_time"] / orders["timed"]) if orders["timed"] else None,
        median_response_hours=Decimal(str(statistics.median(delays))).quantize(Decimal("0.1")) if delays else None,
    )
