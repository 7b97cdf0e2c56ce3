from django.core.management.base import BaseCommand, CommandError

from providers import certificates
from signing.exceptions import SigningError


class Command(BaseCommand):
    help = "Issue sealed certificates to certified providers that have none yet (idempotent)."

    def handle(self, *args, **options):
        try:
            issued = certificates.provider_certificates_backfill()
        except SigningError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Certificates issued: {issued}.")
