"""Verification latency: the project's full verdict against a bare pyHanko validation call.

    .venv/bin/python bench/verify.py [--runs 200]

Both sides verify the same sealed PAdES B-LTA permit, interleaved in one process so machine
noise hits them alike. The bare side is what a minimal integration does:
``validate_pdf_signature`` on the first signature with a validation context (no difference
analysis policy beyond the default, no document timestamp, no registry). The project side is
``signing.verification.verify_pdf``: AdES LTA validation with revocation from the DSS, the
document timestamp chain, difference analysis, registry lookup — inline, and again isolated
in the web process's warm pool of worker processes with time and memory limits (the production
default; ``VERIFY_POOL_SIZE`` workers).

A second run has 8 client threads share the work of verifying the same file ``--runs`` times,
inline and isolated: throughput and per-request p50/p95 (isolated requests queue for the pool's
workers; inline ones for the GIL).

Target (issue: verification isolation): isolated p95 within 1.5x the bare call's, and at most
50 ms on an idle machine.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402

from signing.isolation import ResourceLimits, warm_up  # noqa: E402
from signing.verification import TrustAnchors, Verdict, verify_pdf  # noqa: E402
from tests.signing.pkifactory import TestPKI  # noqa: E402
from tests.signing.sealfactory import plain_pdf, seal, validation_context  # noqa: E402
from tests.signing.test_verification import MemoryRegistry, record_for  # noqa: E402


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


CLIENT_THREADS = 8


def concurrently(func: Callable[[], None], runs: int) -> tuple[float, list[float]]:
    """``func`` called ``runs`` times by CLIENT_THREADS threads: (calls per second, latencies in ms)."""
    remaining = iter(range(runs))
    lock = threading.Lock()
    latencies: list[float] = []

    def client():
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            started = time.perf_counter()
            func()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs / (time.perf_counter() - started), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    pki = TestPKI()
    sealed = seal(plain_pdf(), pki)
    trust = TrustAnchors(roots=(pki.root.asn1_cert,), crls=(pki.crl(),))
    registry = MemoryRegistry(record_for(sealed))
    limits = ResourceLimits(seconds=10, memory_bytes=1024 * 1024 * 1024)

    def bare():
        signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
        status = validate_pdf_signature(signature, validation_context(pki))
        assert status.bottom_line

    def project_inline():
        assert verify_pdf(sealed, trust=trust, registry=registry, max_bytes=10**8).verdict is Verdict.VALID

    def project_isolated():
        report = verify_pdf(sealed, trust=trust, registry=registry, max_bytes=10**8, limits=limits)
        assert report.verdict is Verdict.VALID

    print(f"pool: {settings.VERIFY_POOL_SIZE} workers, each replaced after {settings.VERIFY_WORKER_MAX_JOBS} files")
    warm_up(limits, modules=["signing.verification"])

    contenders = {"bare pyHanko": bare, "project (inline)": project_inline, "project (isolated)": project_isolated}
    timings = {name: [] for name in contenders}
    for run in range(args.runs + 5):
        for name, func in contenders.items():
            started = time.perf_counter()
            func()
            if run >= 5:  # warm-up runs are not counted
                timings[name].append((time.perf_counter() - started) * 1000)

    base = percentile(timings["bare pyHanko"], 0.95)
    print(f"{'contender':<22}{'p50 ms':>10}{'p95 ms':>10}{'p95 / bare':>12}")
    for name, samples in timings.items():
        p95 = percentile(samples, 0.95)
        print(f"{name:<22}{statistics.median(samples):>10.1f}{p95:>10.1f}{p95 / base:>12.2f}")

    print(f"\n{CLIENT_THREADS} client threads, {args.runs} verifications each way")
    print(f"{'contender':<22}{'per s':>10}{'/ inline':>10}{'p50 ms':>10}{'p95 ms':>10}")
    inline_throughput = None
    for name, func in {"project (inline)": project_inline, "project (isolated)": project_isolated}.items():
        concurrently(func, CLIENT_THREADS * 2)  # every worker and thread past its first call
        throughput, samples = concurrently(func, args.runs)
        inline_throughput = inline_throughput or throughput
        print(
            f"{name:<22}{throughput:>10.1f}{throughput / inline_throughput:>10.2f}"
            f"{statistics.median(samples):>10.1f}{percentile(samples, 0.95):>10.1f}"
        )


if __name__ == "__main__":
    main()
