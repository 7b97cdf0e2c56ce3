"""Recompute every provider's credit score and grade (also a nightly Celery beat task)."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.credit import services
from providers.models import Provider


class Command(BaseCommand):
    help = "Recompute the credit score and grade of every certified, suspended or revoked provider. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--provider", type=int, help="Only this provider id.")

    def handle(self, *args, **options):
        if options["provider"]:
            try:
                provider = Provider.objects.get(pk=options["provider"])
            except Provider.DoesNotExist:
                raise CommandError(f"No provider with id {options['provider']}") from None
            result = services.provider_credit_recompute(provider=provider)
            self.stdout.write(f"{provider}: score {result.score}, grade {result.grade}.")
            return
        changed = services.providers_credit_recompute_all()
        self.stdout.write(f"Credit recomputed; {changed} provider(s) changed score or grade.")
