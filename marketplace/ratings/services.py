from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.hiring import emails
from marketplace.hiring.models import ServiceOrder, Status

from .models import DIMENSIONS, Rating


class NotPermitted(ValidationError):
    pass


@transaction.atomic
def rating_create(*, service_order: ServiceOrder, user, comment: str = "", **stars) -> Rating:
    """The buyer of a completed order rates it, once."""
    service_order = ServiceOrder.objects.select_for_update().select_related("order").get(pk=service_order.pk)
    if not (user and user.is_authenticated and service_order.enterprise.memberships.filter(user=user).exists()):
        raise NotPermitted(_("Only the buyer of this order may rate it."), code="not_buyer")
    if service_order.order.status != Status.COMPLETED:
        raise ValidationError(_("An order can be rated once it is completed."), code="not_completed")
    if Rating.objects.filter(service_order=service_order).exists():
        raise ValidationError(_("This order has already been rated."), code="already_rated")
    values = {}
    errors = {}
    for name in DIMENSIONS:
        try:
            value = int(stars.get(name))
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors[name] = _("Give 1 to 5 stars.")
        values[name] = value
    if errors:
        raise ValidationError(errors)
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
    emails.notify(
        recipients=emails.provider_recipients(service_order.provider),
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
