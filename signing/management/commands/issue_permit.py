"""Issue one permit, or many from a CSV file (``--from-csv``), sealed with the authority's seal."""

import csv
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from marketplace.accounts.models import User
from signing import services
from signing.exceptions import SigningError
from signing.models import IssuingAuthority


class Command(BaseCommand):
    help = (
        "Issue a sealed permit. CSV columns: "
        + ", ".join(services.CSV_COLUMNS)
        + " (dates as YYYY-MM-DD), optionally key; re-running a file issues each row once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="Code of the issuing authority.")
        parser.add_argument("--officer", required=True, help="Email of the officer who issues.")
        parser.add_argument("--from-csv", dest="csv", help="Issue one permit per row of this CSV file.")
        parser.add_argument(
            "--workers",
            type=_positive,
            help="Processes that seal the file's permits (default: one per CPU core, at most one per row).",
        )
        parser.add_argument("--holder", help="Credit code of the holder enterprise.")
        parser.add_argument("--matter")
        parser.add_argument("--scope")
        parser.add_argument("--conditions", default="")
        parser.add_argument("--valid-from", type=dt.date.fromisoformat)
        parser.add_argument("--valid-until", type=dt.date.fromisoformat)

    def handle(self, *args, **opts):
        authority = IssuingAuthority.objects.filter(code=opts["authority"]).first()
        if authority is None:
            raise CommandError(f"No issuing authority with code {opts['authority']!r}.")
        officer = User.objects.filter(email=opts["officer"]).first()
        if officer is None:
            raise CommandError(f"No user {opts['officer']!r}.")
        if opts["csv"]:
            return self._bulk(authority, officer, opts["csv"], opts["workers"] or services.default_workers())
        row = {
            "holder_credit_code": opts["holder"] or "",
            "matter": opts["matter"] or "",
            "scope": opts["scope"] or "",
            "conditions": opts["conditions"],
            "valid_from": opts["valid_from"].isoformat() if opts["valid_from"] else "",
            "valid_until": opts["valid_until"].isoformat() if opts["valid_until"] else "",
        }
        try:
            permit = services.permit_issue(authority=authority, actor=officer, data=services.permit_data_from_row(row))
        except SigningError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Issued {permit.number} (SHA-256 {permit.sha256})."))

    def _bulk(self, authority, officer, path, workers):
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        total = len(rows)
        out = self.stdout
        started = time.monotonic()

        def progress(done):
            width = 30
            filled = int(width * done / total) if total else width
            elapsed = time.monotonic() - started
            estimate = ""
            if done and elapsed > 0:  # the rate so far, and the time the rest takes at that rate
                rate = done / elapsed
                estimate = f" · {rate:.1f}/s · about {round((total - done) / rate)} s left"
            out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{estimate}   ", ending="")
            out.flush()

        try:
            result = services.permits_issue_bulk(
                authority=authority, actor=officer, rows=rows, progress=progress, workers=workers
            )
        except SigningError as exc:
            raise CommandError(str(exc)) from exc
        out.write("")
        elapsed = time.monotonic() - started
        processes = f"{result.workers} worker processes" if result.workers > 1 else "1 process"
        out.write(
            self.style.SUCCESS(f"Issued {len(result.issued)} of {total} permits in {elapsed:.1f} s ({processes}).")
        )
        if result.note:
            out.write(f"Sealed in one process: {result.note}.")
        if result.already:
            # A re-run (after an interruption) or a second run: these rows were issued before, once.
            out.write(f"{len(result.already)} row(s) already issued, not issued again:")
            for row in result.already:
                out.write(f"  row {row.row} (line {row.row + 1}): already issued as {row.number}")
        if result.errors:
            out.write(self.style.ERROR(f"{len(result.errors)} row(s) not issued:"))
            for error in result.errors:
                # Row numbers count data rows from 1; the CSV file line is one more (the header).
                out.write(f"  row {error.row} (line {error.row + 1}): {error.message}")
        if result.stopped:
            # What the other workers issued is recorded; the rows above are the ones to issue again.
            raise CommandError("; ".join(result.stopped) + ". Run the file again to issue the rows not issued.")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number
