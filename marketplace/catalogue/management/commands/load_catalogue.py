from django.core.management.base import BaseCommand

from marketplace.catalogue import services


class Command(BaseCommand):
    help = "Create or update the service-item catalogue and the Intermediary service product class."

    def handle(self, *args, **options):
        result = services.catalogue_sync_service_items()
        services.product_class_ensure_intermediary_service()
        self.stdout.write(
            f"Service items: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        )
