"""The service catalogue for the demo: every service item with its public guide (also what a
fresh deployment starts from), and the product class listings are made of."""

from django.contrib.sites.models import Site

from . import services


def load_demo() -> str:
    Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1:8000", "name": "OneWindow"})
    result = services.catalogue_sync_service_items()
    services.product_class_ensure_intermediary_service()
    return f"service items {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
