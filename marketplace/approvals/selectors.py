"""Read queries for approval matters and cases, scoped to who asks."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.core.selectors import ActingOrganisations
from marketplace.enterprises.selectors import enterprises_for_user
from marketplace.hiring.models import Deliverable, DeliveryNote, ServiceOrder, Status
from marketplace.procurement.models import RequestForQuotes
from signing.models import DocumentKind
from signing.selectors import authorities_for_user
from signing.services import Citation

from .clock import working_days_between
from .models import ApprovalMatter, Case, CaseSubmission

CLOSED_ORDER = (Status.CANCELLED, Status.REFUNDED)


def public_matters() -> QuerySet[ApprovalMatter]:
    return ApprovalMatter.objects.filter(is_public=True).select_related("authority").prefetch_related("service_items")


def matter_choices() -> QuerySet[ApprovalMatter]:
    """The published matters a case may be opened for: what the form lists (names only)."""
    return ApprovalMatter.objects.filter(is_public=True)


def matters_needing(*, category) -> QuerySet[ApprovalMatter]:
    """The published approval matters that require service item ``category`` (its guide lists them)."""
    return ApprovalMatter.objects.filter(is_public=True, service_items=category).select_related("authority")


def cases_for_user(*, user) -> QuerySet[Case]:
    """Cases of the enterprises ``user`` belongs to."""
    return Case.objects.filter(enterprise__in=enterprises_for_user(user=user)).select_related("matter", "enterprise")


def cases_for_officer(*, user) -> QuerySet[Case]:
    """Cases submitted (once or more) to an authority ``user`` serves: never one still being gathered."""
    return (
        Case.objects.filter(matter__authority__in=authorities_for_user(user=user), submissions__isnull=False)
        .distinct()
        .select_related("matter__authority", "enterprise", "permit")
        .prefetch_related("submissions")
    )


def visible_case(*, user, organisations: ActingOrganisations, code: str) -> tuple[Case, str] | None:
    """The case ``code`` and the viewer's part in it, in one query; None for anyone else.

    The part: "member" of its enterprise; "officer" of the deciding authority once the case was
    submitted (never while it is being gathered); "staff". ``organisations``: what ``user`` acts
    for (``core.selectors.request_organisations``).
    """
    submitted = Exists(CaseSubmission.objects.filter(case=OuterRef("pk")))
    queryset = Case.objects.filter(code=code).annotate(submitted=submitted)
    if not (user.is_authenticated and user.is_staff):
        queryset = queryset.filter(
            Q(enterprise_id__in=organisations.enterprise_ids)
            | Q(submitted=True, matter__authority_id__in=organisations.authority_ids)
        )
    case = queryset.select_related("matter__authority", "enterprise", "permit").first()
    if case is None:
        return None
    if case.enterprise_id in organisations.enterprise_ids:
        return case, "member"
    if case.submitted and case.matter.authority_id in organisations.authority_ids:
        return case, "officer"
    return case, "staff"


def _with_files(orders: list[ServiceOrder]) -> list[ServiceOrder]:
    """``orders`` with their deliverables and sealed delivery notes (two queries, none if no order)."""
    notes = Prefetch("delivery_notes", queryset=DeliveryNote.objects.select_related("document"))
    prefetch_related_objects(orders, "deliverables", notes)
    return orders


def case_orders(case: Case) -> list[ServiceOrder]:
    """The case's orders: linked directly, or awarded from one of its requests."""
    return _with_files(
        list(
            ServiceOrder.objects.filter(Q(case_link__case=case) | Q(request__case_link__case=case))
            .select_related("order", "provider", "category", "request")
            .order_by("created_at", "pk")
        )
    )


def _of_case_orders(case: Case) -> Q:
    """Rows of an order in ``case``: linked directly, or awarded from one of its requests."""
    return Q(service_order__case_link__case=case) | Q(service_order__request__case_link__case=case)


def deliverable_matching(case: Case, sha256: str):
    """The deliverable of one of the case's orders whose recorded SHA-256 is ``sha256``, or None."""
    in_case = _of_case_orders(case)
    return (
        Deliverable.objects.filter(in_case, sha256=sha256)
        .select_related("service_order__order", "service_order__provider")
        .first()
    )


def case_deliverable(case: Case, file_pk: int) -> Deliverable | None:
    """A deliverable of one of the case's orders, or None."""
    in_case = _of_case_orders(case)
    return Deliverable.objects.filter(in_case, pk=file_pk).first()


def case_note(case: Case, note_pk: int) -> DeliveryNote | None:
    """A delivery note of one of the case's orders, or None."""
    in_case = _of_case_orders(case)
    return DeliveryNote.objects.filter(in_case, pk=note_pk).select_related("document").first()


def case_requests(case: Case) -> list[RequestForQuotes]:
    return list(RequestForQuotes.objects.filter(case_link__case=case).select_related("category").order_by("pk"))


@dataclass(frozen=True)
class CasePage:
    """What a case's page shows besides the case: a constant number of queries however many orders."""

    steps: list
    submissions: list
    clock: "AuthorityClock"
    attachable_orders: list
    attachable_requests: list


def case_page(case: Case, *, editable: bool, now=None) -> CasePage:
    """The steps, submissions and clock of ``case``; with ``editable``, also the enterprise's orders and
    requests that could join it (``attachable_orders``/``attachable_requests``), read in the same
    queries as the case's own."""
    prefetch_related_objects([case], "submissions", "matter__service_items")
    items = [item.pk for item in case.matter.service_items.all()]
    orders, attachable_orders = _in_case_and_attachable(
        ServiceOrder.objects.select_related("order", "provider", "category", "request").order_by("created_at", "pk"),
        in_case=Q(case_link__case=case) | Q(request__case_link__case=case),
        attachable=_attachable_orders_q(case, items) if editable else None,
    )
    requests, attachable_requests = _in_case_and_attachable(
        RequestForQuotes.objects.select_related("category"),
        in_case=Q(case_link__case=case),
        attachable=_attachable_requests_q(case, items) if editable else None,
    )
    requests.sort(key=lambda request: request.pk)  # as ``case_requests``; the others in their default order
    steps = service_steps(case, orders=_with_files(orders), requests=requests, now=now)
    return CasePage(
        steps=steps,
        submissions=list(case.submissions.all()),
        clock=authority_clock(case, now=now),
        attachable_orders=attachable_orders[::-1],  # the default order, latest first
        attachable_requests=attachable_requests,
    )


def _in_case_and_attachable(rows: QuerySet, *, in_case: Q, attachable: Q | None) -> tuple[list, list]:
    """``rows`` in the case and (``attachable`` given) those that could join it, in one query."""
    found: tuple[list, list] = ([], [])
    wanted = in_case if attachable is None else in_case | attachable
    for row in rows.filter(wanted).annotate(in_case=ExpressionWrapper(in_case, output_field=BooleanField())):
        found[0 if row.in_case else 1].append(row)
    return found


@dataclass
class Step:
    """One required service of a case and where it stands."""

    category: object
    requests: list = field(default_factory=list)
    order: ServiceOrder | None = None
    state: str = "required"  # required, requested, hired, delivered, accepted
    limit_days: int | None = None  # the service item's time limit (working days)
    days_used: int | None = None  # working days from payment to delivery (or to now)
    over: bool = False

    @property
    def done(self) -> bool:
        return self.state == "accepted"


def service_steps(case: Case, *, orders=None, requests=None, now=None) -> list[Step]:
    """Each required service item with its request(s), its order and its clock."""
    now = now or timezone.now()
    orders = case_orders(case) if orders is None else orders
    requests = case_requests(case) if requests is None else requests
    steps = []
    for category in sorted(case.matter.service_items.all(), key=lambda item: item.path):
        step = Step(category=category, limit_days=category.time_limit_days)
        step.requests = [r for r in requests if r.category_id == category.pk]
        live = [so for so in orders if so.category_id == category.pk and so.order.status not in CLOSED_ORDER]
        step.order = live[-1] if live else None
        so = step.order
        if so is None:
            step.state = "requested" if step.requests else "required"
        else:
            step.state = "accepted" if so.accepted_at else "delivered" if so.delivered_at else "hired"
            if so.paid_at:
                step.days_used = working_days_between(so.paid_at, so.delivered_at or now)
                step.over = bool(step.limit_days) and step.days_used > step.limit_days
        steps.append(step)
    return steps


@dataclass(frozen=True)
class AuthorityClock:
    limit_days: int
    days_used: int | None
    over: bool


def authority_clock(case: Case, *, now=None) -> AuthorityClock:
    """The authority's statutory clock: from the latest submission to its decision, or to now."""
    limit = case.matter.time_limit_days
    submission = case.latest_submission
    if submission is None:
        return AuthorityClock(limit, None, False)
    used = working_days_between(submission.submitted_at, submission.decided_at or now or timezone.now())
    return AuthorityClock(limit, used, used > limit)


@dataclass(frozen=True)
class Overdue:
    """A case past a time limit, and which: the authority's, or named service items'."""

    case: Case
    authority: bool
    items: tuple = ()


def cases_over_time_limit(*, now=None) -> list[Overdue]:
    """Cases whose authority is past its statutory limit, or with a service past its item's limit.

    In a fixed number of queries however many cases: every live case's orders are read at once and
    each case's steps computed from them. Requests are not read: they name a step's state
    ("requested"), never its clock, and only the clock flags a case here.
    """
    now = now or timezone.now()
    live = list(
        Case.objects.exclude(status=Case.Status.PERMIT_ISSUED)
        .select_related("matter__authority", "enterprise")
        .prefetch_related("submissions", "matter__service_items")
        .order_by("opened_at", "pk")
    )
    ids = [case.pk for case in live]
    orders = defaultdict(list)
    in_cases = Q(case_link__case__in=ids) | Q(request__case_link__case__in=ids)
    for so in (
        ServiceOrder.objects.filter(in_cases)
        .annotate(in_case=Coalesce("case_link__case_id", "request__case_link__case_id"))
        .select_related("order")
        .order_by("created_at", "pk")
    ):
        orders[so.in_case].append(so)
    flagged = []
    for case in live:
        steps = service_steps(case, orders=orders[case.pk], requests=[], now=now)
        late_items = tuple(step.category for step in steps if step.over)
        authority_late = authority_clock(case, now=now).over
        if authority_late or late_items:
            flagged.append(Overdue(case=case, authority=authority_late, items=late_items))
    return flagged


def _attachable_orders_q(case: Case, items) -> Q:
    return Q(
        enterprise=case.enterprise_id,
        category__in=items,
        case_link__isnull=True,
        request__case_link__isnull=True,
    ) & ~Q(order__status__in=CLOSED_ORDER)


def _attachable_requests_q(case: Case, items) -> Q:
    return Q(enterprise=case.enterprise_id, category__in=items, case_link__isnull=True)


def attachable_orders(case: Case) -> QuerySet[ServiceOrder]:
    """The enterprise's orders for one of the matter's service items, in no case yet."""
    return ServiceOrder.objects.filter(_attachable_orders_q(case, case.matter.service_items.all())).select_related(
        "order", "provider", "category"
    )


def attachable_requests(case: Case) -> QuerySet[RequestForQuotes]:
    return RequestForQuotes.objects.filter(
        _attachable_requests_q(case, case.matter.service_items.all())
    ).select_related("category")


def case_citations(case: Case) -> tuple[Citation, ...]:
    """What a permit issued from ``case`` relies on: the sealed delivery note of each order of the
    accepted submission, labelled with the case, the order and the provider (as frozen at submission).
    The verifier checks each note is genuine and unaltered."""
    submission = case.submissions.filter(decision=CaseSubmission.Decision.ACCEPTED).first()
    if submission is None:
        return ()
    citations = []
    for row in submission.snapshot:
        who = f"{case.code} · {row['order']} · {row['provider']} ({row['provider_credit_code']})"
        if row.get("note"):
            note = row["note"]
            label = f"{who} · 交付单 Delivery note {note['number']}"
            citations.append(Citation(label=label, sha256=note["sha256"], kind=DocumentKind.DELIVERY_NOTE))
        else:  # submitted before delivery notes: each file's digest, as recorded then
            citations += [
                Citation(label=f"{who} · {file['name']}", sha256=file["sha256"])
                for file in row.get("files", [])
                if file.get("sha256")
            ]
    return tuple(citations)


def case_code_lines(service_order) -> list[str]:
    """What a delivery note prints of the approval case its order belongs to (none: no line)."""
    in_case = Q(order_links__service_order=service_order)
    if service_order.request_id:
        in_case |= Q(request_links__request_id=service_order.request_id)
    case = Case.objects.filter(in_case).select_related("matter").first()
    if case is None:
        return []
    return [f"审批案件 Approval case {case.code}: {case.matter.name_zh or case.matter.name}"]
