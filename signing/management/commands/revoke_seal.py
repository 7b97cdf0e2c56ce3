"""Revoke a seal: sealing stops and its certificate is added to the seal CA's CRL."""

from django.core.management.base import BaseCommand, CommandError

from signing import services
from signing.models import Seal


class Command(BaseCommand):
    help = "Revoke a seal by id and reissue the CRL."

    def add_arguments(self, parser):
        parser.add_argument("seal_id", type=int)
        parser.add_argument("--reason", required=True)

    def handle(self, *args, seal_id, reason, **options):
        seal = Seal.objects.filter(pk=seal_id).first()
        if seal is None:
            raise CommandError(f"No seal with id {seal_id}.")
        if seal.status == Seal.Status.REVOKED:
            self.stdout.write(f"Seal {seal_id} is already revoked.")
            return
        services.seal_revoke(seal=seal, reason=reason)
        self.stdout.write(self.style.SUCCESS(f"Seal {seal_id} ({seal.name}) revoked; CRL reissued."))
