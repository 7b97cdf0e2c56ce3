"""Placing an order: time until the response, with the contract sealed inside the request (the
baseline: how it was) and after the response (``after_response.defer``), side by side in one
process on a copy of the demo database.

    .venv/bin/python bench/place_order.py --rounds 10 [--database db.sqlite3]

Prints p50 and p95 of the POST that places the order, each way, and the ratio. Either way every
order gets its sealed contract (the script checks); only when the person waits for it differs.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database", default=str(ROOT / "db.sqlite3"), help="a database made by make demo")
    options = parser.parse_args()
    if not Path(options.database).exists():
        sys.exit(f"No demo database at {options.database}: run make demo first.")
    copy = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    shutil.copy(options.database, copy)
    os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from marketplace.core import after_response
    from marketplace.enterprises.demo import DEMO_BUYER_EMAIL
    from marketplace.enterprises.models import EnterpriseMember
    from marketplace.hiring.models import Contract, ServiceOrder
    from providers.selectors import purchasable_listings

    member = EnterpriseMember.objects.select_related("user", "enterprise").get(user__email=DEMO_BUYER_EMAIL)
    client = Client()
    client.force_login(member.user)
    held = []
    checkout = reverse("direct-checkout")
    for listing in purchasable_listings()[:40]:  # one this buyer may hire at a fixed price
        if (
            client.post(reverse("cart-add", kwargs={"pk": listing.pk}), {"next": "checkout"}).get("Location")
            == checkout
        ):
            client.post(checkout, {"enterprise": member.enterprise.pk, "project_name": "Warm-up"})
            break
    else:
        sys.exit("No listing in the demo data that the demo buyer may hire directly.")

    def place() -> float:
        client.post(reverse("cart-add", kwargs={"pk": listing.pk}), {"next": "checkout"})
        started = time.perf_counter()
        client.post(reverse("direct-checkout"), {"enterprise": member.enterprise.pk, "project_name": "Bench"})
        return (time.perf_counter() - started) * 1000

    results = {}
    run = after_response._run
    for way in ("inside the request (baseline)", "after the response"):
        if way.startswith("after"):
            after_response._run = held.append  # the server sends the response first; the work is timed apart
        times = []
        for _ in range(options.rounds):
            times.append(place())
            for jobs in held:
                run(jobs)
            held.clear()
        after_response._run = run
        results[way] = times
    missing = ServiceOrder.objects.filter(project_name="Bench", contract__isnull=True).count()
    print(f"{'placing an order':32} {'p50 ms':>8} {'p95 ms':>8}")
    for way, times in results.items():
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        print(f"{way:32} {statistics.median(times):8.0f} {p95:8.0f}")
    base, new = (statistics.median(t) for t in results.values())
    print(f"response {base / new:.1f}x sooner at p50; orders without a contract afterwards: {missing}")
    print(f"(contracts sealed: {Contract.objects.filter(service_order__project_name='Bench').count()})")


if __name__ == "__main__":
    main()
