"""python manage.py verify_pdf FILE [--json]: exit status 0 only when the verdict is ``valid``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from signing import verifier
from signing.services import tree_heads
from signing.verification import report_as_dict
from translog.checks import HeadError


class Command(BaseCommand):
    help = "Verify a sealed PDF against the platform's trust anchors and registry."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="Print the full report as JSON.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        report = verifier.verify_document(data)
        if options["json"]:
            self.stdout.write(json.dumps(report_as_dict(report), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"{report.verdict.value.upper()}: {report.label}")
            self.stdout.write(str(report.message))
            if report.detail:
                self.stdout.write(report.detail)
            if report.permit is not None:
                permit = report.permit
                self.stdout.write(f"Permit {permit.number}, issued by {permit.issuer} to {permit.holder}")
            for sig in report.signatures:
                self.stdout.write(
                    f"  {sig.kind} {sig.field_name}: {sig.indication}"
                    f"{'/' + sig.sub_indication if sig.sub_indication else ''}, {sig.signer}"
                    f"{', ' + sig.pades_level if sig.pades_level else ''}"
                )
        log_ok = self._check_log(report, quiet=options["json"])
        if not report.is_valid or not log_ok:
            # SystemExit rather than CommandError: the report is already printed, not an error text.
            raise SystemExit(1)

    def _check_log(self, report, *, quiet: bool) -> bool:
        """The issued file's transparency-log proof, checked offline against the local log key."""
        record = report.permit
        if record is None:
            return True
        if record.log_proof is None:
            if not quiet:
                self.stdout.write("Transparency log: not yet under a signed tree head.")
            return True
        try:
            signed_at = tree_heads.log_proof_check(record.log_proof, sha256=record.sha256)
        except HeadError as error:
            self.stderr.write(f"Transparency log: the proof does not check out: {error}")
            return False
        if not quiet:
            head = record.log_proof["head"]
            self.stdout.write(
                f"Transparency log: record {record.log_proof['leaf']['index']} of the tree of "
                f"{head['tree_size']} signed and timestamped {signed_at.isoformat()}: inclusion proof checked."
            )
        return True
