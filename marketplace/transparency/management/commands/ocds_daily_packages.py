"""Write the daily OCDS release packages of finished days (the beat task runs the same service)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from marketplace.transparency.ocds import daily


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date written YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Write the OCDS release package of each finished day not written yet (default: the missing days of the "
        "last OCDS_DAILY_CATCH_UP_DAYS). A day already written is left exactly as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_day, help="first day to write (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=_day, help="last day to write (YYYY-MM-DD; default: yesterday)")

    def handle(self, *args, start=None, end=None, **options):
        if start is None and end is None:
            written = daily.daily_packages_write_due()
            self.stdout.write(f"Wrote {len(written)} daily package(s): {', '.join(map(str, written)) or 'none due'}.")
            return
        end = end or daily.today() - datetime.timedelta(days=1)
        start = start or end
        if start > end:
            raise CommandError("--from must not be after --to")
        if not daily.is_over(end):
            raise CommandError(f"{end} is not over yet; a day's package is written once the day has ended")
        wrote = kept = 0
        day = start
        while day <= end:
            try:
                row, created = daily.daily_package_write(day=day)
            except daily.InvalidPackage as error:
                raise CommandError(str(error)) from None
            wrote, kept = wrote + created, kept + (not created)
            self.stdout.write(f"{day}: {'written' if created else 'already written'} ({row.releases} releases)")
            day += datetime.timedelta(days=1)
        self.stdout.write(f"Wrote {wrote} package(s); {kept} already written and left unchanged.")
