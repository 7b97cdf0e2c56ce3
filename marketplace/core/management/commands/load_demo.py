"""Load the demo data: safe to run any number of times (it creates only what is missing)."""

from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace.catalogue import services as catalogue_services
from marketplace.core import demo as core_demo
from marketplace.credit import demo as credit_demo
from marketplace.credit import services as credit_services
from marketplace.hiring import demo as hiring_demo
from providers import demo as providers_demo
from search import services as search_services
from signing import demo as signing_demo


class Command(BaseCommand):
    help = "Create the service catalogue and demo accounts for every role, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        with transaction.atomic():
            Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1:8000", "name": "OneWindow"})
            result = catalogue_services.catalogue_sync_service_items()
            catalogue_services.product_class_ensure_intermediary_service()
            logins = core_demo.load()
            # Each later part of the platform adds its demo data here, in dependency order.
            provider_result = providers_demo.load()
            permits_issued = signing_demo.load()
            certificates_issued = providers_demo.certificates_load()
            hiring_result = hiring_demo.load()
            credit_result = credit_demo.load()
        # Every provider's credit grade from the demo history (also the nightly task's job).
        credit_services.providers_credit_recompute_all()

        # The orders' contracts were issued after the commit above; seal some, at every stage.
        contracts = hiring_demo.contracts_load()

        # Listings index themselves after commit; a full rebuild also covers a database loaded
        # some other way (a restored dump, a copied SQLite file). Idempotent.
        indexed = search_services.index_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: service items {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged; providers {provider_result['providers']} created, "
                f"listings {provider_result['listings']} created; sealed permits issued: {permits_issued}, "
                f"provider certificates issued: {certificates_issued}; requests {hiring_result['requests']}, "
                f"orders {hiring_result['orders']}, ratings {hiring_result['ratings']} created; "
                f"evaluations by the authority {credit_result['authority']}, "
                f"by the platform {credit_result['platform']} created; "
                f"contracts {contracts['contracts']} issued late, {contracts['sealings']} contract seals applied; "
                f"{indexed} listings searchable."
            )
        )
        if not options["quiet_logins"]:
            self.stdout.write("\nDemo logins (all share one password):")
            for login in logins:
                self.stdout.write(f"  {login.role:<28} {login.email:<34} {login.password}")
