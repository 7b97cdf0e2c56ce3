from django.core.management.base import BaseCommand

from marketplace.hiring import payment_flow


class Command(BaseCommand):
    help = (
        "Compare what Stripe holds with the ledger and the outbox for every order that needs it: finish "
        "unfinished operations, record what Stripe did that the ledger lacks, hold payouts while a "
        "difference is open. Safe to run twice and concurrently; the beat runs it hourly."
    )

    def handle(self, *args, **options):
        report = payment_flow.payments_reconcile()
        self.stdout.write(str(report))
        if report.unavailable:
            self.stderr.write(f"The gateway could not be asked about orders {report.unavailable}; run again later.")
