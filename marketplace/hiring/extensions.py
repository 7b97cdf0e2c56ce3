"""Deadline extensions: the provider asks for more days, the buyer grants or refuses them."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Extension, ServiceOrder, Status
from .steps import (
    BUYER,
    PROVIDER,
    TransitionNotAllowed,
    _lock,
    _note,
    _require,
    _require_reason,
    _require_status,
    _tell,
)


@transaction.atomic
def extension_request(*, service_order: ServiceOrder, user, days: int, reason: str) -> Extension:
    service_order = _lock(service_order)
    _require(service_order, user, (PROVIDER,))
    _require_status(service_order, (Status.IN_SERVICE, Status.REVISION_REQUESTED))
    reason = _require_reason(reason)
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise ValidationError({"days": _("Ask for between 1 and 365 extra days.")}, code="bad_days")
    if service_order.extensions.filter(status=Extension.Status.PENDING).exists():
        raise ValidationError(_("An extension request is already waiting for the buyer."), code="extension_pending")
    extension = Extension.objects.create(service_order=service_order, days=days, reason=reason, requested_by=user)
    _note(service_order, "extension_requested", actor=user, reason=reason, days=days)
    _tell(
        service_order,
        to=BUYER,
        subject=_("Order %(number)s: the provider asks for more time"),
        body=_("The provider asks for %(days)s more days: %(reason)s"),
        days=days,
        reason=reason,
    )
    return extension


@transaction.atomic
def extension_decide(*, extension: Extension, user, grant: bool) -> Extension:
    service_order = _lock(extension.service_order)
    _require(service_order, user, (BUYER,))
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.status != Extension.Status.PENDING:
        raise TransitionNotAllowed(_("This extension request has already been decided."), code="decided")
    extension.status = Extension.Status.GRANTED if grant else Extension.Status.REFUSED
    extension.decided_by = user
    extension.decided_at = timezone.now()
    extension.save()
    if grant and service_order.due_at:
        service_order.due_at += datetime.timedelta(days=extension.days)
        service_order.save(update_fields=["due_at"])
    _note(service_order, "extension_granted" if grant else "extension_refused", actor=user, days=extension.days)
    _tell(
        service_order,
        to=PROVIDER,
        subject=_("Order %(number)s: extension decided"),
        body=_("The buyer has granted your extension.") if grant else _("The buyer has refused your extension."),
    )
    return extension
