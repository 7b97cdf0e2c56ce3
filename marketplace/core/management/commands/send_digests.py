"""python manage.py send_digests: email today's digests now (the beat task runs it daily at 08:00)."""

from django.core.management.base import BaseCommand

from marketplace.core import notify


class Command(BaseCommand):
    help = "Email each person who chose a daily digest the notifications gathered since their last one."

    def handle(self, *args, **options):
        sent = notify.digests_send()
        self.stdout.write(f"{sent} digest(s) sent.")
