"""The selected provider walking away from an award (the issue's "walk-away rule"), beside the services it uses."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import methods
from .models import Objection, Quote, RequestForQuotes, Selection
from .services import NotPermitted, TransitionNotAllowed, _event, _lock, _run_selection, _start_publicity, candidates

R = RequestForQuotes.Status


@transaction.atomic
def award_decline(*, request: RequestForQuotes, user, reason: str, now=None) -> Selection | None:
    """The selected provider walks away during the publicity period. The request follows its own rule: the
    next-ranked quote of the same published table (lowest price, scored, reasonable price), a new draw
    among the rest with the same published seed (random draw, credit shortlist) or the buyer's choice again
    (direct), with a new publicity period; none left, it fails."""
    request = _lock(request)
    now = now or timezone.now()
    current = request.selections.filter(superseded=False).select_related("winner").first()
    if request.status != R.PUBLICITY or current is None or current.winner is None:
        raise TransitionNotAllowed(_("Only a selection in its publicity period can be declined."), code="not_publicity")
    if not (user and user.is_authenticated and current.winner.provider.memberships.filter(user=user).exists()):
        raise NotPermitted(_("Only the selected provider may decline the award."), code="not_winner")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you decline; the buyer and the other bidders will read it.")})
    current.superseded = True
    current.save(update_fields=["superseded"])
    Quote.objects.filter(pk=current.winner_id).update(excluded=True)
    request.objections.filter(selection=current, status=Objection.Status.PENDING).update(
        status=Objection.Status.DISMISSED, decision="moot: the selected provider declined the award", decided_at=now
    )
    _event(request, "award_declined", actor=user, quote=current.winner_id, reason=reason)
    if request.method in methods.RANKED:
        return _next_ranked(request, current, now=now)
    return _run_selection(request, now=now, round_number=current.round + 1)


def _next_ranked(request: RequestForQuotes, current: Selection, *, now) -> Selection | None:
    """A new round with the same table: the first row not set aside (declined, or no longer eligible —
    suspended, banned) wins. Its parameters list both, so the JSON still recomputes the winner."""
    eligible = {candidate.quote_id for candidate in candidates(request)}
    declined = [*current.parameters.get("declined", []), current.winner_id]
    set_aside = [row["quote_id"] for row in current.table if row["quote_id"] not in eligible]
    following = next((row["quote_id"] for row in current.table if row["quote_id"] in eligible), None)
    if following is None:
        return _run_selection(request, now=now, round_number=current.round + 1)  # none left: it fails
    chosen = Selection.objects.create(
        request=request,
        round=current.round + 1,
        method=current.method,
        winner_id=following,
        table=current.table,
        weights=current.weights,
        parameters={**current.parameters, "declined": declined, "set_aside": set_aside},
        algorithm=f"{current.algorithm}; after a walk-away: the first row of the same table not set aside",
        created_at=now,
    )
    _start_publicity(request, chosen, now=now)
    return chosen
