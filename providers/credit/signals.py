"""Signals only to decouple: a decided dispute or objection, or a completed order, queues a recompute.

The rules of what counts live in ``selectors``; these receivers only say "this provider's inputs
may have changed" so hiring and procurement need not know the credit record exists. Ratings and
evaluations call ``recompute_on_commit`` from their own services.
"""

from django.db.models.signals import post_save

from marketplace.hiring.models import Dispute, ServiceOrder
from marketplace.procurement.models import Objection

from .services import recompute_on_commit


def _dispute_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.resolved_at:
        recompute_on_commit(_order_provider(instance.service_order_id))


def _order_provider(service_order_id):
    return ServiceOrder.objects.filter(pk=service_order_id).values_list("provider_id", flat=True).first()


def _objection_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.status == Objection.Status.UPHELD and instance.selection.winner_id:
        recompute_on_commit(instance.selection.winner.provider_id)


def _service_order_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    # Acceptance completes an order and stops its clock: its delivery now counts as on time or late.
    if not raw and update_fields and "accepted_at" in update_fields:
        recompute_on_commit(instance.provider_id)


def connect() -> None:
    post_save.connect(_dispute_saved, sender=Dispute, dispatch_uid="credit-dispute")
    post_save.connect(_objection_saved, sender=Objection, dispatch_uid="credit-objection")
    post_save.connect(_service_order_saved, sender=ServiceOrder, dispatch_uid="credit-service-order")
