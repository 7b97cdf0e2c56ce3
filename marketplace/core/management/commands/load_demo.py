"""Load the demo data: safe to run any number of times (it creates only what is missing)."""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace.core.demo import demo_logins


class Command(BaseCommand):
    help = "Create the service catalogue and demo accounts for every role, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        # Each app adds its part, in the order settings.DEMO_LOADERS gives (bottom layer first).
        parts = [import_module(path) for path in settings.DEMO_LOADERS]
        made = []
        with transaction.atomic():
            made += [part.load_demo() for part in parts]
        made += [part.load_demo_after_commit() for part in parts if hasattr(part, "load_demo_after_commit")]
        self.stdout.write(self.style.SUCCESS("Demo data ready: " + "; ".join(filter(None, made)) + "."))
        if not options["quiet_logins"]:
            self.stdout.write("\nDemo logins (all share one password):")
            for login in demo_logins():
                self.stdout.write(f"  {login.role:<28} {login.email:<34} {login.password}")
