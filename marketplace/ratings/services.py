from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core import notify
from marketplace.core.conflicts import Act, records_conflicts, require_impartial, require_no_conflict
from marketplace.hiring.models import ServiceOrder, Status
from signing.models import AuthorityMember, IssuingAuthority, Permit

from .models import DIMENSIONS, AuthorityEvaluation, PlatformEvaluation, Rating


class NotPermitted(ValidationError):
    pass


@records_conflicts
@transaction.atomic
def rating_create(*, service_order: ServiceOrder, user, comment: str = "", **stars) -> Rating:
    """The buyer of a completed order rates it, once."""
    service_order = ServiceOrder.objects.select_for_update().select_related("order").get(pk=service_order.pk)
    if not (user and user.is_authenticated and service_order.enterprise.memberships.filter(user=user).exists()):
        raise NotPermitted(_("Only the buyer of this order may rate it."), code="not_buyer")
    require_no_conflict(
        user=user,
        act=Act.RATE,
        enterprise=service_order.enterprise,
        provider=service_order.provider,
        subject=f"order {service_order.order.number}",
    )
    if service_order.order.status != Status.COMPLETED:
        raise ValidationError(_("An order can be rated once it is completed."), code="not_completed")
    if Rating.objects.filter(service_order=service_order).exists():
        raise ValidationError(_("This order has already been rated."), code="already_rated")
    values = _stars(stars, DIMENSIONS)
    overall = (Decimal(sum(values.values())) / 4).quantize(Decimal("0.01"), ROUND_HALF_UP)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                service_order=service_order,
                provider=service_order.provider,
                product=service_order.product,
                author=user,
                overall=overall,
                comment=(comment or "").strip(),
                **values,
            )
    except IntegrityError as error:
        raise ValidationError(_("This order has already been rated."), code="already_rated") from error
    notify.notify(
        kind=notify.Kind.RATINGS,
        recipients=notify.organisation_recipients(service_order.provider),
        subject=_("Order %(number)s was rated"),
        body=_("The buyer rated order %(number)s. You may reply once, publicly."),
        url=service_order.get_absolute_url(),
        params={"number": service_order.order.number},
    )
    return rating


@transaction.atomic
def rating_reply(*, rating: Rating, user, reply: str) -> Rating:
    rating = Rating.objects.select_for_update().select_related("provider").get(pk=rating.pk)
    if not (user and user.is_authenticated and rating.provider.memberships.filter(user=user).exists()):
        raise NotPermitted(_("Only the rated provider may reply."), code="not_provider")
    if rating.replied_at:
        raise ValidationError(_("You have already replied to this rating."), code="already_replied")
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": _("Write a reply.")}, code="reply_required")
    rating.reply = reply
    rating.replied_at = timezone.now()
    rating.replied_by = user
    rating.save(update_fields=["reply", "replied_at", "replied_by"])
    return rating


def _stars(stars: dict, names, errors: dict | None = None) -> dict:
    """Each named value as an int from 1 to 5, or a ValidationError naming every bad one (and ``errors``)."""
    values = {}
    errors = dict(errors or {})
    for name in names:
        try:
            value = int(stars.get(name))
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors[name] = _("Give 1 to 5 stars.")
        values[name] = value
    if errors:
        raise ValidationError(errors)
    return values


# --- Authority and platform evaluations ----------------------------------------------------------


@records_conflicts
@transaction.atomic
def authority_evaluation_create(
    *,
    service_order: ServiceOrder,
    authority: IssuingAuthority,
    user,
    approval_number: str,
    comment: str,
    quality,
    timeliness,
) -> AuthorityEvaluation:
    """An officer of ``authority`` rates a completed order's deliverable that it used in an approval.

    One evaluation per (order, authority). The approval number is recorded as given; when it is a
    permit this platform sealed, it must be that authority's permit for the order's enterprise.
    """
    if authority.is_platform or not (
        user and user.is_authenticated and AuthorityMember.objects.filter(authority=authority, user=user).exists()
    ):
        raise NotPermitted(_("Only an officer of an issuing authority may evaluate for it."), code="not_officer")
    service_order = ServiceOrder.objects.select_for_update().select_related("order").get(pk=service_order.pk)
    require_impartial(  # an officer who belongs to the buyer (or the provider) does not judge its order
        user=user,
        act=Act.EVALUATE,
        enterprise=service_order.enterprise,
        provider=service_order.provider,
        subject=f"order {service_order.order.number}",
    )
    if service_order.order.status != Status.COMPLETED:
        raise ValidationError(_("Only a completed order's deliverable can be evaluated."), code="not_completed")
    approval_number = (approval_number or "").strip()
    comment = (comment or "").strip()
    errors = {}
    if not approval_number:
        errors["approval_number"] = _("Give the approval or permit number the deliverable was used in.")
    if not comment:
        errors["comment"] = _("Say briefly what the evaluation is based on.")
    values = _stars({"quality": quality, "timeliness": timeliness}, ("quality", "timeliness"), errors)
    permit = Permit.objects.filter(number=approval_number).first()
    if permit is not None and (permit.authority_id != authority.pk or permit.holder_id != service_order.enterprise_id):
        raise ValidationError(
            {"approval_number": _("That permit was not issued by your authority to this order's enterprise.")},
            code="permit_mismatch",
        )
    if AuthorityEvaluation.objects.filter(service_order=service_order, authority=authority).exists():
        raise ValidationError(_("Your authority has already evaluated this order."), code="already_evaluated")
    try:
        with transaction.atomic():
            evaluation = AuthorityEvaluation.objects.create(
                service_order=service_order,
                provider_id=service_order.provider_id,
                authority=authority,
                approval_number=approval_number,
                permit=permit,
                author=user,
                overall=(Decimal(values["quality"] + values["timeliness"]) / 2).quantize(Decimal("0.01")),
                comment=comment,
                **values,
            )
    except IntegrityError as error:
        raise ValidationError(
            _("Your authority has already evaluated this order."), code="already_evaluated"
        ) from error
    return evaluation


@records_conflicts
@transaction.atomic
def platform_evaluation_create(
    *,
    provider,
    user,
    ground: str,
    conduct,
    reason: str,
    service_order: ServiceOrder | None = None,
    period_start=None,
    period_end=None,
) -> PlatformEvaluation:
    """Platform staff rate a provider's conduct for one of its orders or for a period, with a reason."""
    if not (user and user.is_authenticated and user.is_staff):
        raise NotPermitted(_("Only platform staff may evaluate a provider's conduct."), code="staff_only")
    require_impartial(user=user, act=Act.EVALUATE, provider=provider, subject=str(provider))
    errors = {}
    if ground not in PlatformEvaluation.Ground.values:
        errors["ground"] = _("Choose a ground.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Please give a reason; the provider will see it.")
    if service_order is not None and service_order.provider_id != provider.pk:
        errors["order_number"] = _("That order is not one of this provider's.")
    if service_order is None:
        if not (period_start and period_end):
            errors["period_start"] = _("Give an order number or a period.")
        elif period_start > period_end:
            errors["period_end"] = _("The period cannot end before it starts.")
        elif period_end > timezone.localdate():
            errors["period_end"] = _("The period cannot end in the future.")
    values = _stars({"conduct": conduct}, ("conduct",), errors)
    evaluation = PlatformEvaluation.objects.create(
        provider=provider,
        service_order=service_order,
        period_start=None if service_order else period_start,
        period_end=None if service_order else period_end,
        ground=ground,
        reason=reason,
        author=user,
        **values,
    )
    return evaluation
