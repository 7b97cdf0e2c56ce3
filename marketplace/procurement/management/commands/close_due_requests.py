from django.core.management.base import BaseCommand

from marketplace.procurement import services


class Command(BaseCommand):
    help = "Close requests for quotes past their deadline (run the selection) and award those past publicity."

    def handle(self, *args, **options):
        result = services.requests_close_due()
        self.stdout.write(f"Closed {result['closed']} request(s); awarded {result['awarded']}.")
