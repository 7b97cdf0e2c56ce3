"""Issue the contracts of orders that have none (the platform could not seal when they were placed)."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.hiring import contracts


class Command(BaseCommand):
    help = "Issue platform-certified contracts for open orders that have none yet (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--include-closed", action="store_true", help="Also completed, cancelled and refunded orders."
        )

    def handle(self, *args, **options):
        issued, failed = contracts.contracts_issue_missing(include_closed=options["include_closed"])
        self.stdout.write(f"Contracts issued: {issued}.")
        for number, reason in failed:
            self.stderr.write(f"Order {number}: {reason}")
        if failed:
            raise CommandError(f"{len(failed)} contract(s) could not be issued.")
