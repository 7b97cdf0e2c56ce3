"""Untrusted files are analysed in a child process that cannot hang or exhaust the web process."""

import os
import time

import pytest

from signing import verification
from signing.isolation import IsolationError, ResourceLimits, run_isolated
from signing.verification import TrustAnchors, Verdict, verify_pdf

from .pkifactory import TestPKI
from .sealfactory import plain_pdf, seal
from .test_verification import MemoryRegistry, record_for

LIMITS = ResourceLimits(seconds=5, memory_bytes=512 * 1024 * 1024)


def test_work_runs_in_another_process_and_returns_its_result():
    assert run_isolated(os.getpid, limits=LIMITS) != os.getpid()
    assert run_isolated(sum, [1, 2, 3], limits=LIMITS) == 6


def test_time_limit_kills_a_runaway_worker():
    started = time.monotonic()
    with pytest.raises(IsolationError, match="time limit"):
        run_isolated(time.sleep, 30, limits=ResourceLimits(seconds=0.5))
    assert time.monotonic() - started < 10  # killed, not waited for


def slow_analysis(data, **kwargs):
    time.sleep(30)


def allocate_a_lot():
    return len(bytearray(2 * 1024 * 1024 * 1024))


def test_memory_limit_stops_a_worker_that_allocates_too_much():
    with pytest.raises(IsolationError, match="memory"):
        run_isolated(allocate_a_lot, limits=ResourceLimits(seconds=10, memory_bytes=256 * 1024 * 1024))


def test_a_worker_is_reused_and_replaced_after_it_is_killed():
    first = run_isolated(os.getpid, limits=LIMITS)
    assert run_isolated(os.getpid, limits=LIMITS) == first  # no fork per call
    limits = ResourceLimits(seconds=0.5)
    with pytest.raises(IsolationError):
        run_isolated(time.sleep, 30, limits=limits)
    assert run_isolated(sum, [2, 3], limits=limits) == 5  # a fresh worker took over


def test_verdict_is_the_same_isolated_or_inline():
    pki = TestPKI()
    sealed = seal(plain_pdf(), pki)
    trust = TrustAnchors(roots=(pki.root.asn1_cert,), crls=(pki.crl(),))
    registry = MemoryRegistry(record_for(sealed))
    inline = verify_pdf(sealed, trust=trust, registry=registry, max_bytes=10**7)
    isolated = verify_pdf(sealed, trust=trust, registry=registry, max_bytes=10**7, limits=LIMITS)
    assert inline.verdict is isolated.verdict is Verdict.VALID
    assert inline.signatures == isolated.signatures


def test_a_file_that_takes_too_long_is_unreadable_not_a_hang(monkeypatch):
    """The slow analysis is simulated (a crafted PDF that loops pyHanko for seconds is not
    something to keep in a test suite); the limit and the verdict are real."""
    monkeypatch.setattr(verification, "analyse_pdf", slow_analysis)
    trust = TrustAnchors(roots=())
    report = verify_pdf(
        b"%PDF-1.7 whatever",
        trust=trust,
        registry=MemoryRegistry(),
        max_bytes=10**6,
        limits=ResourceLimits(seconds=0.5),
    )
    assert report.verdict is Verdict.UNREADABLE
    assert report.reason == "too_complex"
