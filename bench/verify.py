"""Verification latency: the project's full verdict against a bare pyHanko validation call.

    .venv/bin/python bench/verify.py [--runs 200]

Both sides verify the same sealed PAdES B-LTA permit, interleaved in one process so machine
noise hits them alike. The bare side is what a minimal integration does:
``validate_pdf_signature`` on the first signature with a validation context (no difference
analysis policy beyond the default, no document timestamp, no registry). The project side is
``signing.verification.verify_pdf``: AdES LTA validation with revocation from the DSS, the
document timestamp chain, difference analysis, registry lookup — inline, and again isolated
in a reused worker process with time and memory limits (the production default).

Target (issue: verification): p95 of the full verdict under 100 ms, and within 2x the bare call.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402

from signing.isolation import ResourceLimits  # noqa: E402
from signing.verification import TrustAnchors, Verdict, verify_pdf  # noqa: E402
from tests.signing.pkifactory import TestPKI  # noqa: E402
from tests.signing.sealfactory import plain_pdf, seal, validation_context  # noqa: E402
from tests.signing.test_verification import MemoryRegistry, record_for  # noqa: E402


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


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


if __name__ == "__main__":
    main()
