"""Daily housekeeping: warn about qualifications expiring soon and retire the lapsed ones."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from providers import services


class Command(BaseCommand):
    help = (
        "Warn providers 30 days before and on the day a qualification expires, mark expired ones, "
        "and report how many listings went off sale. Safe to run repeatedly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD); for back-filling.")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must look like 2026-12-31") from None
        result = services.qualification_expire_due(today=today)
        self.stdout.write(
            f"Qualifications: {result.warned} warning(s) sent, {result.expired} expired, "
            f"{result.listings_off_sale} listing(s) off sale."
        )
