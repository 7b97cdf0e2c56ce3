"""python manage.py document_signers [list | rotate AUTHORITY_CODE | revoke KID --yes]

The QR document-signer keys (one active per issuing authority). ``rotate`` makes a new active key and
retires the old one: codes it signed still check until its certificate ends. ``revoke`` takes a key
out of the trust list at once: nothing it signed checks any more (for a compromised key; reissue the
documents it signed). Both publish a new trust list.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from signing import services
from signing.models import DocumentSigner, IssuingAuthority


class Command(BaseCommand):
    help = "List, rotate or revoke the document-signer keys of signed QR codes."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action")
        actions.add_parser("list", help="every key, its authority, status and validity")
        rotate = actions.add_parser("rotate", help="a new active key for an authority; the old one is retired")
        rotate.add_argument("authority", help="the issuing authority's code")
        revoke = actions.add_parser("revoke", help="withdraw a key: nothing it signed checks any more")
        revoke.add_argument("kid", help="the key id (16 hex digits, as `list` shows)")
        revoke.add_argument("--yes", action="store_true", help="confirm: codes it signed stop checking")

    def handle(self, *args, action=None, **options):
        if action == "rotate":
            authority = IssuingAuthority.objects.filter(code=options["authority"]).first()
            if authority is None:
                raise CommandError(f"No issuing authority has the code {options['authority']!r}.")
            signer = services.document_signer_create(authority=authority)
            self.stdout.write(f"New key {signer.kid} for {authority.code}, valid until {signer.not_after:%Y-%m-%d}.")
        elif action == "revoke":
            if not options["yes"]:
                raise CommandError("Revoking stops every code this key signed from checking; add --yes to confirm.")
            with transaction.atomic():
                signer = DocumentSigner.objects.select_for_update().filter(kid=options["kid"].lower()).first()
                if signer is None:
                    raise CommandError(f"No key has the id {options['kid']!r}.")
                if signer.status == DocumentSigner.Status.REVOKED:
                    raise CommandError(f"Key {signer.kid} is already revoked.")
                services.document_signer_revoke(signer=signer)
            self.stdout.write(f"Key {signer.kid} revoked; the next trust list leaves it out.")
        for signer in DocumentSigner.objects.select_related("authority").order_by("authority__code", "-not_before"):
            self.stdout.write(
                f"{signer.kid}  {signer.authority.code:<20} {signer.status:<8} "
                f"{signer.not_before:%Y-%m-%d} – {signer.not_after:%Y-%m-%d}"
            )
