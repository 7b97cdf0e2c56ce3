"""Create the development PKI and the platform's and demo authority's seals (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from signing.demo import pki_init
from signing.exceptions import SigningError
from signing.pki import Pki


class Command(BaseCommand):
    help = "Create (only what is missing) the root CA, seal CA, TSA, CRLs and the platform/demo seals."

    def handle(self, *args, **options):
        pki = Pki.default()
        try:
            created = pki_init(pki=pki)
        except SigningError as exc:
            raise CommandError(str(exc)) from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f"PKI in {pki.directory}: created {', '.join(created)}."))
        else:
            self.stdout.write(f"PKI in {pki.directory} is complete; nothing to do.")
