from django.core.management.base import BaseCommand

from marketplace.hiring import services


class Command(BaseCommand):
    help = "Accept deliveries the buyer has left unanswered for ORDER_AUTO_ACCEPT_DAYS."

    def handle(self, *args, **options):
        self.stdout.write(f"Accepted {services.service_orders_auto_accept()} delivery(ies).")
