"""The one trigger of recomputation: model events of the apps below, and of credit's own appeals.

Ratings, evaluations, orders, disputes and objections know nothing of the credit record (credit
sits above them). When a row that is an input of the formula is saved or deleted, a receiver
here says "this provider's inputs may have changed" and ``recompute_on_commit`` recomputes it
once the transaction commits, once per provider however many inputs the transaction touched.
Signals only decouple: what counts, and how much, lives in ``selectors`` and ``formula``.
"""

from django.db.models.signals import post_delete, post_save

from marketplace.hiring.models import Dispute, ServiceOrder
from marketplace.procurement.models import Objection
from marketplace.ratings.models import AuthorityEvaluation, PlatformEvaluation, Rating

from .models import CreditAppeal, NegativeEvent
from .services import recompute_on_commit

# The fields of each evaluation the record reads. A save limited to other fields (a provider's
# reply to a rating) changes no input and recomputes nothing.
EVALUATION_INPUTS = {
    Rating: frozenset({"provider", "overall", "created_at"}),
    AuthorityEvaluation: frozenset({"provider", "overall", "created_at"}),
    PlatformEvaluation: frozenset({"provider", "conduct", "created_at"}),
}


def _evaluation_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not EVALUATION_INPUTS[sender] & set(update_fields)):
        return
    recompute_on_commit(instance.provider_id)


def _evaluation_deleted(sender, instance, **kwargs):
    recompute_on_commit(instance.provider_id)


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


def _appeal_saved(sender, instance, raw=False, **kwargs):
    # Filing changes nothing; a decision may take the entry out of the score (upheld).
    if not raw and instance.status != CreditAppeal.Status.PENDING:
        recompute_on_commit(instance.provider_id)


def _negative_event_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        recompute_on_commit(instance.provider_id)


def connect() -> None:
    for model in EVALUATION_INPUTS:
        uid = f"credit-{model._meta.model_name}"
        post_save.connect(_evaluation_saved, sender=model, dispatch_uid=f"{uid}-saved")
        post_delete.connect(_evaluation_deleted, sender=model, dispatch_uid=f"{uid}-deleted")
    post_save.connect(_dispute_saved, sender=Dispute, dispatch_uid="credit-dispute")
    post_save.connect(_objection_saved, sender=Objection, dispatch_uid="credit-objection")
    post_save.connect(_service_order_saved, sender=ServiceOrder, dispatch_uid="credit-service-order")
    post_save.connect(_appeal_saved, sender=CreditAppeal, dispatch_uid="credit-appeal")
    post_save.connect(_negative_event_changed, sender=NegativeEvent, dispatch_uid="credit-negative-saved")
    post_delete.connect(_negative_event_changed, sender=NegativeEvent, dispatch_uid="credit-negative-deleted")
