"""Signals only to decouple: any change to a listing's rows queues its re-index after commit.

The receivers carry no rule about what is findable; ``search.indexing`` decides that when the
task runs, from the committed data.
"""

from django.db.models.signals import post_delete, post_save

from marketplace.catalogue.models import Product, ProductAttributeValue, ProductCategory
from marketplace.partner.models import StockRecord
from marketplace.ratings.models import Rating
from providers.models import Provider, ProviderBan, Qualification
from providers.signals import ban_boundary

from .services import listings_changed

# Fields a document does not carry: a save that writes only these leaves the index as it is (a
# provider's reply to a rating; a credit recompute that moved the score but not the grade).
NOT_INDEXED = {
    Rating: frozenset({"reply", "replied_at", "replied_by"}),
    Provider: frozenset({"credit_score", "credit_computed_at", "updated_at"}),
}


def _indexed_change(sender, update_fields) -> bool:
    return update_fields is None or not set(update_fields) <= NOT_INDEXED.get(sender, frozenset())


def _product_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        listings_changed([instance.pk])


def _related_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    # A rating counts here too: the listing's indexed Bayesian average and count change with it.
    if not raw and instance.product_id and _indexed_change(sender, update_fields):
        listings_changed([instance.product_id])


def _provider_listings(partner_id) -> list[int]:
    return list(Product.objects.filter(stockrecords__partner_id=partner_id).values_list("pk", flat=True))


def _provider_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    # Certification, suspension or revocation decides whether all of its listings are findable;
    # its credit grade is indexed on each of them.
    if not raw and instance.partner_id and _indexed_change(sender, update_fields):
        listings_changed(_provider_listings(instance.partner_id))


def _qualification_changed(sender, instance, raw=False, **kwargs):
    # Approval, rejection or expiry decides whether the listings in that service item are findable.
    if not raw:
        partner_id = Provider.objects.filter(pk=instance.provider_id).values_list("partner_id", flat=True).first()
        listings_changed(_provider_listings(partner_id))


def _ban_changed(sender, instance, raw=False, **kwargs):
    # Imposed, lifted or appealed: whether the provider's listings are findable may have changed.
    if not raw:
        partner_id = Provider.objects.filter(pk=instance.provider_id).values_list("partner_id", flat=True).first()
        listings_changed(_provider_listings(partner_id))


def _ban_boundary(sender, provider_ids, **kwargs):
    # A ban started or ended by its date today: no row changed, but findability did.
    partner_ids = Provider.objects.filter(pk__in=provider_ids).values_list("partner_id", flat=True)
    listings_changed(Product.objects.filter(stockrecords__partner_id__in=partner_ids).values_list("pk", flat=True))


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_product_changed, sender=Product, dispatch_uid=f"search-product-{signal}")
        for model in (StockRecord, ProductAttributeValue, ProductCategory, Rating):
            signal.connect(_related_changed, sender=model, dispatch_uid=f"search-{model.__name__}-{signal}")
        signal.connect(_provider_changed, sender=Provider, dispatch_uid=f"search-provider-{signal}")
        signal.connect(_qualification_changed, sender=Qualification, dispatch_uid=f"search-qualification-{signal}")
        signal.connect(_ban_changed, sender=ProviderBan, dispatch_uid=f"search-ban-{signal}")
    ban_boundary.connect(_ban_boundary, dispatch_uid="search-ban-boundary")
