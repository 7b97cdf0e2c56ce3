"""Signals only to decouple: any change to a listing's rows queues its re-index after commit.

The receivers carry no rule about what is findable; ``search.indexing`` decides that when the
task runs, from the committed data.
"""

from django.db.models.signals import post_delete, post_save
from oscar.apps.partner.models import StockRecord

from marketplace.catalogue.models import Product, ProductAttributeValue, ProductCategory

from .services import listings_changed


def _product_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        listings_changed([instance.pk])


def _related_changed(sender, instance, raw=False, **kwargs):
    if not raw and instance.product_id:
        listings_changed([instance.product_id])


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_product_changed, sender=Product, dispatch_uid=f"search-product-{signal}")
        for model in (StockRecord, ProductAttributeValue, ProductCategory):
            signal.connect(_related_changed, sender=model, dispatch_uid=f"search-{model.__name__}-{signal}")
