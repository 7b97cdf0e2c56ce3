"""Rebuild the search index from the listings, with a progress bar and the throughput."""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from search import indexing, services


class Command(BaseCommand):
    help = "Rebuild the search index (zero downtime on Elasticsearch: a new index, then an alias swap)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args, **options):
        total = indexing.count_listings()
        done = 0
        started = time.perf_counter()
        draw = not options["no_progress"]
        stream = self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if draw:
                width = 30
                filled = int(width * done / total) if total else width
                rate = done / max(time.perf_counter() - started, 1e-9)
                stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} listings  {rate:,.0f} docs/s")
                stream.flush()

        indexed = services.index_rebuild(batch_size=options["batch_size"], progress=progress)
        elapsed = max(time.perf_counter() - started, 1e-9)
        if draw and done:
            stream.write("\n")
        self.stdout.write(
            self.style.SUCCESS(
                _("Indexed %(indexed)d of %(total)d listings (%(backend)s) in %(seconds).2f s: %(rate)s docs/s.")
                % {
                    "indexed": indexed,
                    "total": total,
                    "backend": settings.SEARCH_BACKEND,
                    "seconds": elapsed,
                    "rate": f"{indexed / elapsed:,.0f}",
                }
            )
        )
