"""Recompute the seal-use log's hash chain; exit 1 and name the first broken entry if it fails."""

from django.core.management.base import BaseCommand, CommandError

from signing.services import seal_log_verify


class Command(BaseCommand):
    help = "Check the hash chain of the seal-use log."

    def handle(self, *args, **options):
        result = seal_log_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"Seal-use log intact: {result.checked} entries."))
            return
        where = f"entry #{result.first_broken_id}" if result.first_broken_id else "the end of the log"
        raise CommandError(
            f"Seal-use log broken at {where}: {result.problem} ({result.checked} entries before it are intact)."
        )
