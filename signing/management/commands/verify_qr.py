"""python manage.py verify_qr IMAGE_OR_TEXT [--trust-list FILE] [--json]: check a signed QR code offline.

IMAGE_OR_TEXT is a picture of the code (PNG, JPEG: decoded with zxing-cpp) or the scanned text
itself (``OW1:…``). The trust list comes from FILE (as published at
/.well-known/onewindow-trust-list.json) or, without it, is made from this installation's records;
either way it is opened only if signed by the platform under the local PKI's root. Exit status 0
only for ``valid``. No network is used.
"""

import json
from pathlib import Path

import zxingcpp
from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from signing import qr_payload, trust_list
from signing.pki import Pki


def read_code(argument: str) -> str:
    if argument.strip().startswith(qr_payload.PREFIX):
        return argument.strip()
    path = Path(argument)
    try:
        results = zxingcpp.read_barcodes(Image.open(path))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read a picture from {path}: {exc}") from None
    codes = [r.text for r in results if r.text.startswith(qr_payload.PREFIX)]
    if not codes:
        raise CommandError(f"No OneWindow signed code found in {path}.")
    return codes[0]


class Command(BaseCommand):
    help = "Check a OneWindow signed QR code (a picture or its text) against a trust list, offline."

    def add_arguments(self, parser):
        parser.add_argument("code", help="a picture of the QR code, or the text it holds (OW1:…)")
        parser.add_argument("--trust-list", type=Path, help="a saved trust list (JSON)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        text = read_code(options["code"])
        if options["trust_list"]:
            try:
                signed = json.loads(options["trust_list"].read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the trust list: {exc}") from None
        else:
            signed = trust_list.trust_list_make()
        root = Pki.default().certificate("root-ca")
        try:
            content, issuer = trust_list.trust_list_open(signed, root=root)
        except trust_list.TrustListError as exc:
            raise CommandError(f"The trust list is not to be trusted: {exc}") from None
        signers, documents = trust_list.verifier_inputs(content, issuer=issuer)
        verdict = qr_payload.verify(text, signers=signers, revoked=documents)
        claims = verdict.claims
        report = {
            "verdict": verdict.verdict,
            "claims": claims.__dict__ if claims else None,
            "signer": {"authority": verdict.signer.authority, "kid": verdict.signer.kid.hex()}
            if verdict.signer
            else None,
            "status_since": verdict.status_since or None,
            "trust_list_made_at": content["made_at"],
            "trust_list_next_due": content["next_due"],
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(verdict.verdict.upper())
            if claims:
                self.stdout.write(f"{claims.kind} {claims.number}: {claims.holder} ({claims.credit_code})")
                self.stdout.write(
                    f"{claims.matter}; valid {claims.valid_from} to {claims.valid_until}; "
                    f"by {claims.authority or verdict.signer.authority}"
                )
            self.stdout.write(f"Trust list made {content['made_at']}, next due {content['next_due']}")
        if not verdict.is_valid:
            raise SystemExit(1)
