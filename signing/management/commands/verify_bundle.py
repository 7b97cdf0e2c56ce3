"""python manage.py verify_bundle FILE [--json]: exit status 0 only when the bundle is genuine and complete.

Needs no network: the platform's trust anchors come from the PKI directory and the registry from
the database, as for ``verify_pdf``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from signing import bundles


class Command(BaseCommand):
    help = "Check a sealed bundle (ZIP): the manifest's seal, every file's SHA-256, every sealed PDF inside."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="Print the full report as JSON.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        report = bundles.verify_bundle(data)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"{report.verdict.upper()}: {report.label}")
            self.stdout.write(str(report.message))
            if report.about:
                about = ", ".join(f"{key} {value}" for key, value in report.about.items())
                self.stdout.write(f"Bundle: {about}; made {report.generated_at}")
            if report.signer:
                when = f", timestamped {report.signed_at.isoformat()}" if report.signed_at else ""
                self.stdout.write(f"Manifest sealed by {report.signer}{when}")
            for file in report.files:
                pdf = f" — PDF: {file.pdf_verdict} ({file.pdf_reason})" if file.pdf_verdict else ""
                self.stdout.write(f"  [{file.state}] {file.path}{pdf}")
        if not report.is_genuine:
            raise SystemExit(1)  # the report is printed; the status says it failed
