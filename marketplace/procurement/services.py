"""Publishing requests, sealed quoting, closing and selecting, objections and the award.

Race safety: every step locks the request row (``select_for_update``) first, so a quote and the
closer serialise on it: a quote either commits before the close reads the quotes, or finds the
request closed/past its deadline and is refused; two closers award once.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core import milestone_plan, notify
from marketplace.core.conflicts import Act, records_conflicts, require_impartial, require_no_conflict
from marketplace.core.regions import validate_region_code
from marketplace.core.uploads import DOCUMENT_KINDS, validate_upload
from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.ratings.selectors import bayesian_by_provider
from providers import selectors as provider_selectors
from providers.models import Provider, ProviderMember

from . import conf, methods, selection
from .eligibility import provider_ineligibility, provider_serves_region  # noqa: F401 - the services' interface
from .models import Grade, Method, Objection, Quote, RequestEvent, RequestForQuotes, Selection

R = RequestForQuotes.Status
ATTACHMENT_MAX_SIZE = 10 * 1024 * 1024
MIN_OPEN_PERIOD = datetime.timedelta(hours=1)


class NotPermitted(ValidationError):
    pass


class TransitionNotAllowed(ValidationError):
    pass


def _event(request, kind, *, actor=None, **data):
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return RequestEvent.objects.create(request=request, kind=kind, actor=actor, data=data)


def _lock(request: RequestForQuotes) -> RequestForQuotes:
    return RequestForQuotes.objects.select_for_update().get(pk=request.pk)


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("Enter an amount in CNY.")}, code="bad_amount") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("10000000000"):
        raise ValidationError({field: _("Enter an amount above zero.")}, code="bad_amount")
    return amount


def _require_enterprise_member(enterprise, user) -> None:
    if not (user and user.is_authenticated and enterprise.memberships.filter(user=user).exists()):
        raise NotPermitted(_("You do not act for this enterprise."), code="not_member")


def require_staff(user) -> None:
    if not (user and user.is_authenticated and user.is_staff):
        raise NotPermitted(_("Only platform staff may do this."), code="staff_only")


# --- publishing ----------------------------------------------------------------------------------


@transaction.atomic
def request_publish(
    *,
    enterprise,
    user,
    category,
    title: str,
    description: str,
    region: str,
    budget,
    deadline: datetime.datetime,
    method: str,
    required_grade: str = "",
    state_funded: bool = False,
    side_contact_forbidden: bool = True,
    invited_provider: Provider | None = None,
    listing=None,
    republished_from: RequestForQuotes | None = None,
    now: datetime.datetime | None = None,
) -> RequestForQuotes:
    _require_enterprise_member(enterprise, user)
    now = now or timezone.now()
    errors = {}
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        errors["title"] = _("This field is required.")
    if not description:
        errors["description"] = _("This field is required.")
    try:
        validate_region_code(region)
    except ValidationError as error:
        errors["region"] = error.messages[0]
    if method not in Method.values:
        errors["method"] = _("Choose a selection method.")
    if required_grade not in Grade.values:
        errors["required_grade"] = _("Choose a grade.")
    if deadline is None or deadline < now + MIN_OPEN_PERIOD:
        errors["deadline"] = _("The deadline must be at least an hour from now.")
    try:
        budget = _money(budget, "budget")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    # Every method has a committed seed: the random draw uses it, the others break ties with it.
    seed = selection.new_seed()
    request = RequestForQuotes.objects.create(
        enterprise=enterprise,
        created_by=user,
        category=category,
        title=title,
        description=description,
        region=region,
        budget=budget,
        deadline=deadline,
        required_grade=required_grade,
        method=method,
        state_funded=bool(state_funded),
        side_contact_forbidden=bool(side_contact_forbidden),
        invited_provider=invited_provider,
        listing=listing,
        seed=seed,
        seed_commitment=selection.commitment_for(seed) if seed else "",
        published_at=now,
        republished_from=republished_from,
    )
    methods.beacon_fix(request)
    request.save(update_fields=["beacon"])
    _event(request, "published", actor=user, commitment=request.seed_commitment, beacon=request.beacon)
    return request


@transaction.atomic
def request_republish(*, request: RequestForQuotes, user, deadline: datetime.datetime, now=None) -> RequestForQuotes:
    """A failed (or cancelled) request opens again as a new request with a new deadline and seed."""
    request = _lock(request)
    _require_enterprise_member(request.enterprise, user)
    if request.status not in (R.FAILED, R.CANCELLED):
        raise TransitionNotAllowed(_("Only a failed or cancelled request can be re-published."), code="not_failed")
    return request_publish(
        enterprise=request.enterprise,
        user=user,
        category=request.category,
        title=request.title,
        description=request.description,
        region=request.region,
        budget=request.budget,
        deadline=deadline,
        method=request.method,
        required_grade=request.required_grade,
        state_funded=request.state_funded,
        side_contact_forbidden=request.side_contact_forbidden,
        invited_provider=request.invited_provider,
        listing=request.listing,
        republished_from=request,
        now=now,
    )


# --- eligibility and quoting ---------------------------------------------------------------------


def quoting_provider(*, request: RequestForQuotes, user, now: datetime.datetime) -> Provider:
    """The acting user's provider, when it may quote on ``request``: a member of a provider with no
    conflict with the buyer, no ban in force, eligible (certified, qualified, serving the region, the
    one invited). ``NotPermitted`` (or ``ConflictOfInterest``) with the reason otherwise."""
    membership = (
        ProviderMember.objects.select_related("provider").filter(user=user).first()
        if user and user.is_authenticated
        else None
    )
    if membership is None:
        raise NotPermitted(_("Only a provider's team may quote."), code="not_provider")
    provider = membership.provider
    require_no_conflict(
        user=user, act=Act.QUOTE, enterprise=request.enterprise, provider=provider, subject=f"request {request.pk}"
    )
    ban = provider_selectors.provider_ban_in_force(provider=provider, today=timezone.localdate(now))
    if ban is not None:
        raise NotPermitted(ban.refusal, code="banned")
    reason = provider_ineligibility(provider=provider, request=request)
    if reason:
        raise NotPermitted(reason, code="not_eligible")
    return provider


@records_conflicts
@transaction.atomic
def quote_submit(
    *,
    request: RequestForQuotes,
    user,
    price,
    service_days,
    note: str = "",
    attachment=None,
    now: datetime.datetime | None = None,
    milestones: str = "",
) -> Quote:
    """Submit or change the acting provider's one quote (with the stages it would be paid in, if any:
    ``core.milestone_plan``), until the deadline."""
    request = _lock(request)
    now = now or timezone.now()
    provider = quoting_provider(request=request, user=user, now=now)
    if request.status != R.OPEN or request.deadline_passed(now):
        raise TransitionNotAllowed(_("The quote deadline has passed; quotes are no longer accepted."), code="closed")
    errors = {}
    try:
        price = _money(price, "price")
        if price > request.budget:
            errors["price"] = _("The price is above the buyer's budget ceiling.")
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        service_days = int(service_days)
        if not 1 <= service_days <= 3650:
            raise ValueError
    except (TypeError, ValueError):
        errors["service_days"] = _("Enter the number of days, from 1 to 3650.")
    if attachment:
        try:
            validate_upload(attachment, kinds=DOCUMENT_KINDS, max_size=ATTACHMENT_MAX_SIZE)
        except ValidationError as error:
            errors["attachment"] = error.messages
    if plan_problems := milestone_plan.problems(milestones, None if "price" in errors else price):
        errors["milestones"] = plan_problems
    if errors:
        raise ValidationError(errors)
    quote = Quote.objects.select_for_update().filter(request=request, provider=provider).first()
    if quote is None:
        quote = Quote(request=request, provider=provider, first_submitted_at=now)
    quote.price = price
    quote.service_days = service_days
    quote.note, quote.milestones = (note or "").strip(), (milestones or "").strip()
    quote.submitted_by = user
    quote.submitted_at = now
    if attachment:
        quote.attachment = attachment
    quote.save()
    # The audit row names the provider but never the amount: the log is sealed like the quote.
    _event(request, "quoted", actor=user, provider=provider.pk)
    if request.is_addressed:
        request_close(request=request, now=now)  # the one invited quote opens it for the buyer's decision
    return quote


# --- closing and selection -----------------------------------------------------------------------


def candidates(request: RequestForQuotes) -> list[selection.Candidate]:
    quotes = list(
        request.quotes.filter(excluded=False, provider__status=Provider.Status.CERTIFIED)
        .select_related("provider")
        .order_by("submitted_at", "pk")
    )
    ratings = bayesian_by_provider(provider_ids=[q.provider_id for q in quotes]) if quotes else {}
    return [
        selection.Candidate(
            quote_id=q.pk,
            price=q.price,
            service_days=q.service_days,
            submitted_at=q.submitted_at,
            rating=ratings.get(q.provider_id, Decimal("0")),
            credit_grade=q.provider.credit_grade,
            credit_score=q.provider.credit_score,
            key=q.provider.credit_code,
        )
        for q in quotes
    ]


def _run_selection(request: RequestForQuotes, *, now, round_number: int) -> Selection | None:
    """Run the method; returns the new ``Selection`` or None (and marks the request failed)."""
    eligible = candidates(request)
    if not eligible:
        request.status = R.FAILED
        request.status_reason = "no_eligible_quotes"
        request.save(update_fields=["status", "status_reason"])
        _event(request, "failed")
        notify.notify(
            kind=notify.Kind.REQUESTS,
            recipients=notify.organisation_recipients(request.enterprise),
            subject=_("Request “%(title)s” failed"),
            body=_("No eligible quote remained; you may re-publish the request."),
            url=request.get_absolute_url(),
            params={"title": request.title},
        )
        return None
    run = methods.run(request, eligible)
    chosen = Selection.objects.create(
        request=request,
        round=round_number,
        method=request.method,
        winner_id=run.outcome.winner_id,
        table=run.outcome.table,
        weights=run.weights,
        parameters={**run.outcome.parameters, "candidates": [selection.candidate_to_json(c) for c in eligible]},
        algorithm=run.algorithm,
        created_at=now,
    )
    if request.method in methods.BUYER_CHOOSES:
        request.status = R.CHOOSING
        request.save(update_fields=["status"])
        notify.notify(
            kind=notify.Kind.REQUESTS,
            recipients=notify.organisation_recipients(request.enterprise),
            subject=_("Request “%(title)s”: choose a provider"),
            body=_("The quote deadline has passed; the quotes are open and waiting for your choice."),
            url=request.get_absolute_url(),
            params={"title": request.title},
        )
    else:
        _start_publicity(request, chosen, now=now)
    return chosen


def _start_publicity(request, chosen: Selection, *, now) -> None:
    """An addressed request had one possible bidder and nobody to object: its period is empty."""
    request.status = R.PUBLICITY
    days = 0 if request.is_addressed else conf.get("PROCUREMENT_PUBLICITY_DAYS")
    request.publicity_ends_at = now + datetime.timedelta(days=days)
    request.save(update_fields=["status", "publicity_ends_at"])
    _event(request, "selected", winner=chosen.winner_id, round=chosen.round)
    if request.is_addressed:
        return
    quoting = Provider.objects.filter(quotes__request=request).distinct()
    recipients = notify.organisation_recipients(request.enterprise)
    for provider in quoting:
        recipients += notify.organisation_recipients(provider)
    notify.notify(
        kind=notify.Kind.REQUESTS,
        recipients=sorted(set(recipients)),
        subject=_("Request “%(title)s”: result published"),
        body=_("The selection result is published. Objections may be filed until %(until)s."),
        url=request.get_absolute_url(),
        params={
            "title": request.title,
            "until": timezone.localtime(request.publicity_ends_at).strftime("%Y-%m-%d %H:%M"),
        },
    )


def _tell_bidders_and_buyer(request, *, subject, body) -> None:
    recipients = notify.organisation_recipients(request.enterprise)
    for provider in Provider.objects.filter(quotes__request=request).distinct():
        recipients += notify.organisation_recipients(provider)
    notify.notify(
        kind=notify.Kind.REQUESTS,
        recipients=recipients,
        subject=subject,
        body=body,
        url=request.get_absolute_url(),
        params={"title": request.title},
    )


def _extend_for_quotes(request: RequestForQuotes, *, valid: int, now) -> RequestForQuotes:
    """Fewer valid quotes than the minimum at the deadline: the deadline moves once, and everyone is told."""
    days = conf.get("PROCUREMENT_EXTENSION_DAYS")
    request.deadline = now + datetime.timedelta(days=days)
    methods.beacon_fix(request)  # a round already known before the new deadline could be steered around
    request.save(update_fields=["deadline", "beacon"])
    _event(
        request, "extended", valid=valid, minimum=methods.min_valid_quotes(request), days=days, beacon=request.beacon
    )
    _tell_bidders_and_buyer(
        request,
        subject=_("Request “%(title)s”: deadline extended"),
        body=_("Too few valid quotes arrived by the deadline, so it was extended once; quotes are open again."),
    )
    return request


@transaction.atomic
def request_close(*, request: RequestForQuotes, now: datetime.datetime | None = None) -> RequestForQuotes:
    """Close a request past its deadline and run its selection; a second call is a no-op."""
    request = _lock(request)
    now = now or timezone.now()
    answered = request.is_addressed and request.quotes.exists()  # the one invited quote is in: no wait
    if request.status != R.OPEN or not (request.deadline_passed(now) or answered):
        return request
    valid = len(candidates(request))
    if valid < methods.min_valid_quotes(request):
        if not request.events.filter(kind="extended").exists():
            return _extend_for_quotes(request, valid=valid, now=now)
        request.closed_at = now
        request.status = R.FAILED
        request.status_reason = "too_few_quotes"
        request.save(update_fields=["closed_at", "status", "status_reason"])
        _event(request, "failed", valid=valid)
        _tell_bidders_and_buyer(
            request,
            subject=_("Request “%(title)s” failed"),
            body=_("Too few valid quotes arrived even after the extension; the buyer may re-publish the request."),
        )
        return request
    if not methods.beacon_settle(request):
        return request  # its beacon round is not out yet (or did not verify): still open, retried later
    request.closed_at = now
    if request.seed:
        request.seed_revealed_at = now
    request.save(update_fields=["closed_at", "seed_revealed_at"])
    _event(request, "closed", seed=request.seed if request.seed else "")
    _run_selection(request, now=now, round_number=1)
    return request


@records_conflicts
@transaction.atomic
def request_choose(*, request: RequestForQuotes, user, quote_id: int, now=None) -> Selection:
    """Direct method: the buyer picks one of the eligible quotes; credit shortlist: one of the shortlist."""
    request = _lock(request)
    _require_enterprise_member(request.enterprise, user)
    if request.status != R.CHOOSING:
        raise TransitionNotAllowed(_("This request is not waiting for a choice."), code="not_choosing")
    current = request.selections.filter(superseded=False).first()
    eligible = candidates(request)
    try:
        outcome = selection.select_direct(methods.choosable(current, eligible), int(quote_id))
    except (TypeError, ValueError):
        raise ValidationError(_("Choose one of the quotes listed."), code="bad_choice") from None
    chosen = request.quotes.select_related("provider").get(pk=outcome.winner_id)
    require_no_conflict(
        user=user,
        act=Act.CHOOSE,
        enterprise=request.enterprise,
        provider=chosen.provider,
        subject=f"request {request.pk}",
    )
    current.winner_id = outcome.winner_id
    current.save(update_fields=["winner"])
    _event(request, "chosen", actor=user, winner=outcome.winner_id)
    _start_publicity(request, current, now=now or timezone.now())
    if request.is_addressed:
        request_award(request=request, now=now or timezone.now())  # accepting the one quote is the award
    return current


# --- objections ----------------------------------------------------------------------------------


@records_conflicts
@transaction.atomic
def objection_file(*, request: RequestForQuotes, user, reason: str, now=None) -> Objection:
    request = _lock(request)
    now = now or timezone.now()
    membership = (
        ProviderMember.objects.filter(user=user).select_related("provider").first() if user.is_authenticated else None
    )
    if membership is None or not request.quotes.filter(provider=membership.provider).exists():
        raise NotPermitted(_("Only providers who quoted on this request may object."), code="not_quoting")
    require_no_conflict(
        user=user,
        act=Act.OBJECT,
        enterprise=request.enterprise,
        provider=membership.provider,
        subject=f"request {request.pk}",
    )
    if request.status != R.PUBLICITY or now >= request.publicity_ends_at:
        raise TransitionNotAllowed(_("Objections can be filed only during the publicity period."), code="not_publicity")
    current = request.selections.filter(superseded=False).select_related("winner").first()
    if current.winner and current.winner.provider_id == membership.provider_id:
        raise NotPermitted(_("The selected provider cannot object to its own selection."), code="winner")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please explain your objection.")}, code="reason_required")
    if Objection.objects.filter(selection=current, provider=membership.provider).exists():
        raise ValidationError(_("You have already objected to this result."), code="duplicate")
    objection = Objection.objects.create(
        request=request, selection=current, provider=membership.provider, filed_by=user, reason=reason
    )
    _event(request, "objection_filed", actor=user, objection=objection.pk)
    return objection


@records_conflicts
@transaction.atomic
def objection_decide(
    *, objection: Objection, user, uphold: bool, decision: str, outcome: str = "", now=None
) -> Objection:
    """Staff dismiss an objection or uphold it: rerun without the winner, or cancel the request."""
    require_staff(user)
    request = _lock(objection.request)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    current = request.selections.filter(superseded=False).select_related("winner__provider").first()
    for provider in {objection.provider, getattr(getattr(current, "winner", None), "provider", None)} - {None}:
        require_impartial(
            user=user,
            act=Act.DECIDE_OBJECTION,
            enterprise=request.enterprise,
            provider=provider,
            subject=f"request {request.pk}",
        )
    now = now or timezone.now()
    if objection.status != Objection.Status.PENDING:
        raise TransitionNotAllowed(_("This objection has already been decided."), code="decided")
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError({"decision": _("Write the decision with its reason.")}, code="decision_required")
    if uphold and outcome not in Objection.Outcome.values:
        raise ValidationError({"outcome": _("Choose what upholding the objection does.")}, code="bad_outcome")
    objection.status = Objection.Status.UPHELD if uphold else Objection.Status.DISMISSED
    objection.outcome = outcome if uphold else ""
    objection.decision = decision
    objection.decided_by = user
    objection.decided_at = now
    objection.save()
    _event(request, "objection_upheld" if uphold else "objection_dismissed", actor=user, objection=objection.pk)
    if uphold and request.status == R.PUBLICITY:
        current = request.selections.filter(superseded=False).first()
        current.superseded = True
        current.save(update_fields=["superseded"])
        # Other objections to the superseded round are moot.
        request.objections.filter(selection=current, status=Objection.Status.PENDING).exclude(pk=objection.pk).update(
            status=Objection.Status.UPHELD, outcome=outcome, decision=decision, decided_by=user, decided_at=now
        )
        if outcome == Objection.Outcome.CANCEL:
            request.status = R.CANCELLED
            request.status_reason = decision
            request.save(update_fields=["status", "status_reason"])
        else:
            if current.winner_id:
                Quote.objects.filter(pk=current.winner_id).update(excluded=True)
            _run_selection(request, now=now, round_number=current.round + 1)
    recipients = notify.organisation_recipients(objection.provider) + notify.organisation_recipients(request.enterprise)
    notify.notify(
        kind=notify.Kind.REQUESTS,
        recipients=sorted(set(recipients)),
        subject=_("Request “%(title)s”: objection decided"),
        body=_("Platform staff decided an objection: %(decision)s"),
        url=request.get_absolute_url(),
        params={"title": request.title, "decision": decision},
    )
    return objection


# --- award ---------------------------------------------------------------------------------------


@transaction.atomic
def request_award(*, request: RequestForQuotes, now=None) -> ServiceOrder | None:
    """After the publicity period, with no objection pending, the winning quote becomes an order."""
    request = _lock(request)
    now = now or timezone.now()
    if request.status != R.PUBLICITY or now < request.publicity_ends_at:
        return None
    if request.objections.filter(status=Objection.Status.PENDING).exists():
        return None
    current = request.selections.filter(superseded=False).select_related("winner__provider").first()
    quote = current.winner
    request.status = R.AWARDED
    request.awarded_at = now
    request.save(update_fields=["status", "awarded_at"])
    _event(request, "awarded", winner=quote.pk)
    return hiring.service_order_create(
        enterprise=request.enterprise,
        provider=quote.provider,
        buyer=request.created_by,
        title=request.title,
        price=quote.price,
        service_days=quote.service_days,
        project_name=request.title,
        source=ServiceOrder.Source.REQUEST,
        category=request.category,
        request=request,
        milestone_plan=quote.milestones,
    )


def requests_close_due(*, now=None) -> dict:
    """Close every request past its deadline and award every one past its publicity period.

    Each request in its own transaction, so one failure does not hold up the rest.
    """
    now = now or timezone.now()
    closed = awarded = 0
    for pk in RequestForQuotes.objects.filter(status=R.OPEN, deadline__lte=now).values_list("pk", flat=True):
        request_close(request=RequestForQuotes(pk=pk), now=now)
        closed += 1
    for pk in RequestForQuotes.objects.filter(status=R.PUBLICITY, publicity_ends_at__lte=now).values_list(
        "pk", flat=True
    ):
        if request_award(request=RequestForQuotes(pk=pk), now=now):
            awarded += 1
    return {"closed": closed, "awarded": awarded}
