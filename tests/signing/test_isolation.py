"""Untrusted files are analysed in worker processes that cannot hang or exhaust the web process,
and that never outlive it.

Everything here runs real worker processes; the functions they run are defined in this module
(workers import it by name, as they import ``signing.verification``).
"""

import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from signing import isolation, verification
from signing.isolation import IsolationError, ResourceLimits, WorkerPool, run_isolated
from signing.verification import TrustAnchors, Verdict, verify_pdf

from .pkifactory import TestPKI
from .sealfactory import plain_pdf, seal
from .test_verification import MemoryRegistry, record_for

LIMITS = ResourceLimits(seconds=5, memory_bytes=512 * 1024 * 1024)
PROJECT_ROOT = Path(__file__).resolve().parents[2]

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG")


# --- What the workers run -------------------------------------------------------------------


def slow_analysis(data, **kwargs):
    time.sleep(30)


def allocate_a_lot():
    return len(bytearray(2 * 1024 * 1024 * 1024))


def square_after_a_while(number):
    time.sleep(0.2)
    return number * number, os.getpid()


_kept_in_worker = []


def count_distinct_trust(*, trust):
    """How many distinct trust objects this worker has been handed so far (all are kept alive,
    so their ids cannot be reused)."""
    _kept_in_worker.append(trust)
    return len({id(kept) for kept in _kept_in_worker})


def echo_trust(*, trust):
    return trust


def log_a_warning(text):
    logging.getLogger(__name__).warning("Worker says %s", text)
    return os.getpid()


# --- Helpers --------------------------------------------------------------------------------


@pytest.fixture
def make_pool():
    pools = []

    def make(*, seconds=5.0, memory_bytes=LIMITS.memory_bytes, size=1, max_jobs=100):
        pool = WorkerPool(ResourceLimits(seconds=seconds, memory_bytes=memory_bytes), size=size, max_jobs=max_jobs)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def started_at(pid):
    """The kernel's start time of a running process (so a reused pid is not mistaken for it),
    or None once it has ended (a zombie waiting to be reaped runs nothing and holds nothing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        # The process ended between the directory lookup and the read: /proc answers ESRCH.
        return None
    return None if fields[0] in {"Z", "X"} else fields[19]


def running(pids):
    return {pid: started_at(pid) for pid in pids}


def all_ended(processes, within=10.0):
    give_up = time.monotonic() + within
    while any(started_at(pid) == start for pid, start in processes.items()):
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
    return True


def wait_for(condition, within=30.0):
    give_up = time.monotonic() + within
    while not condition():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
    return True


# --- Results, limits and failures ---------------------------------------------------------------


def test_work_runs_in_another_process_and_returns_its_result():
    assert run_isolated(os.getpid, limits=LIMITS) != os.getpid()
    assert run_isolated(os.getppid, limits=LIMITS) == os.getpid()  # our own child, not a stranger's
    assert run_isolated(sum, [1, 2, 3], limits=LIMITS) == 6


def test_a_worker_is_reused_rather_than_started_per_call():
    first = run_isolated(os.getpid, limits=LIMITS)
    assert run_isolated(os.getpid, limits=LIMITS) == first


@linux_only
def test_time_limit_kills_a_runaway_worker_and_a_replacement_starts_unasked(make_pool):
    pool = make_pool(seconds=0.5)
    (runaway,) = pool.warm_up()
    before = running([runaway])
    began = time.monotonic()
    with pytest.raises(IsolationError, match="time limit"):
        pool.run(time.sleep, 30)
    assert time.monotonic() - began < 10  # killed, not waited for
    assert all_ended(before)
    # The replacement is started in the background, before anyone asks for it.
    assert wait_for(lambda: len(pool.pids()) == 1 and runaway not in pool.pids())
    assert pool.run(sum, [2, 3]) == 5


def test_memory_limit_stops_a_worker_that_allocates_too_much(make_pool):
    pool = make_pool(memory_bytes=256 * 1024 * 1024)
    with pytest.raises(IsolationError, match="memory"):
        pool.run(allocate_a_lot)
    assert pool.run(sum, [2, 3]) == 5  # a fresh worker took over


@linux_only
def test_a_crashing_worker_gives_isolation_error_and_a_working_replacement(make_pool):
    pool = make_pool()
    (crashing,) = pool.warm_up()
    before = running([crashing])
    with pytest.raises(IsolationError, match="exited without a result"):
        pool.run(os._exit, 3)
    assert all_ended(before)
    assert pool.run(os.getpid) != crashing


def test_an_exception_in_the_worker_is_reported_and_the_worker_kept(make_pool):
    pool = make_pool()
    (worker,) = pool.warm_up()
    with pytest.raises(IsolationError, match="ZeroDivisionError"):
        pool.run(divmod, 1, 0)
    assert pool.run(os.getpid) == worker


def test_a_worker_that_cannot_start_fails_the_call_instead_of_hanging(make_pool, monkeypatch):
    """A broken installation is simulated by naming a worker module that does not exist; the
    interpreter that fails to start is real."""
    monkeypatch.setattr(isolation, "WORKER_MODULE", "signing.no_such_worker")
    pool = make_pool(seconds=30)
    began = time.monotonic()
    with pytest.raises(IsolationError, match="could not start"):
        pool.run(os.getpid)
    assert time.monotonic() - began < 20  # told at once, not after the wait for a free worker


@linux_only
def test_a_worker_is_replaced_after_max_jobs(make_pool):
    pool = make_pool(max_jobs=3)
    (first,) = pool.warm_up()
    before = running([first])
    assert [pool.run(os.getpid) for _ in range(3)] == [first] * 3
    # Its successor was started in the background; once it is ready the retired worker is gone.
    (second,) = pool.warm_up()
    assert second != first
    assert all_ended(before)
    assert pool.run(os.getpid) == second


# --- Concurrency --------------------------------------------------------------------------------


def test_concurrent_callers_each_get_their_own_result(make_pool):
    pool = make_pool(size=2)
    workers = set(pool.warm_up(modules=[__name__]))
    with ThreadPoolExecutor(max_workers=8) as executor:
        answers = list(executor.map(lambda number: pool.run(square_after_a_while, number), range(8)))
    assert [square for square, _ in answers] == [number * number for number in range(8)]
    assert {pid for _, pid in answers} <= workers  # callers waited for a free worker: no extra processes


def test_a_freed_worker_goes_to_the_caller_who_waited_longest(make_pool):
    """A caller that asks again the moment its call returns must not jump the line."""
    pool = make_pool(size=1)
    pool.warm_up()

    def asks_twice():
        pool.run(time.sleep, 0.5)
        return pool.run(time.monotonic)  # when the worker ran the second call

    with ThreadPoolExecutor(max_workers=2) as executor:
        first = executor.submit(asks_twice)
        time.sleep(0.1)  # let the first caller take the worker (if it has not, the order holds anyway)
        waited = executor.submit(pool.run, time.monotonic)
        assert waited.result() < first.result()


def test_callers_wait_for_a_busy_worker_at_most_the_time_limit(make_pool):
    """One worker, three callers, each running past the 1 s limit: the first is killed at 1 s, at
    most one other gets the replacement in time, so at least one gives up waiting instead of
    queueing behind the others."""
    pool = make_pool(seconds=1, size=1)
    pool.warm_up()

    def call(_):
        try:
            pool.run(time.sleep, 30)
        except IsolationError as exc:
            return str(exc)
        return "answered"

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as executor:
        outcomes = list(executor.map(call, range(3)))
    assert time.monotonic() - began < 15  # killed or given up, not waited for
    assert all("time limit" in outcome or "no worker free" in outcome for outcome in outcomes), outcomes
    assert any("no worker free" in outcome for outcome in outcomes), outcomes


# --- What crosses the boundary ------------------------------------------------------------------


def test_trust_anchors_are_sent_to_a_worker_once(make_pool):
    pool = make_pool()
    pool.warm_up(modules=[__name__])
    trust = ("root certificate", "crl")
    assert pool.run(count_distinct_trust, trust=trust) == 1
    assert pool.run(count_distinct_trust, trust=trust) == 1  # the worker's copy, not a new one
    assert pool.run(count_distinct_trust, trust=tuple(["root certificate", "crl"])) == 1  # equal pickles, one copy
    assert pool.run(count_distinct_trust, trust=("another root", "crl")) == 2


def test_a_worker_drops_old_cached_values_and_is_sent_them_again(make_pool):
    pool = make_pool()
    values = [("anchors", number) for number in range(isolation.CACHE_ENTRIES + 2)]
    for value in [*values, *values]:
        assert pool.run(echo_trust, trust=value) == value


def test_a_workers_log_records_reach_the_callers_logging(make_pool, caplog):
    pool = make_pool()
    with caplog.at_level(logging.WARNING, logger=__name__):
        worker = pool.run(log_a_warning, "hello")
    [record] = [record for record in caplog.records if record.name == __name__]
    assert record.getMessage() == "Worker says hello"
    assert record.process == worker


def test_verdict_is_the_same_isolated_or_inline():
    """The trust anchors' asn1crypto objects reach a fresh interpreter intact."""
    pki = TestPKI()
    sealed = seal(plain_pdf(), pki)
    trust = TrustAnchors(roots=(pki.root.asn1_cert,), crls=(pki.crl(),))
    registry = MemoryRegistry(record_for(sealed))
    inline = verify_pdf(sealed, trust=trust, registry=registry, max_bytes=10**7)
    isolated = verify_pdf(sealed, trust=trust, registry=registry, max_bytes=10**7, limits=LIMITS)
    assert inline.verdict is isolated.verdict is Verdict.VALID
    assert inline.signatures == isolated.signatures


def test_a_file_that_takes_too_long_is_unreadable_not_a_hang(monkeypatch, caplog):
    """The slow analysis is simulated (a crafted PDF that loops pyHanko for seconds is not
    something to keep in a test suite); the limit and the verdict are real."""
    monkeypatch.setattr(verification, "analyse_pdf", slow_analysis)
    limits = ResourceLimits(seconds=0.5)
    isolation.warm_up(limits)
    report = verify_pdf(
        b"%PDF-1.7 whatever", trust=TrustAnchors(roots=()), registry=MemoryRegistry(), max_bytes=10**6, limits=limits
    )
    assert report.verdict is Verdict.UNREADABLE
    assert report.reason == "too_complex"
    assert "time limit" in caplog.text


# --- Workers never outlive their parent or keep what it holds -----------------------------------

PARENT_SCRIPT = """
import json, os, socket, sys
from signing.isolation import ResourceLimits, warm_up

listener = socket.create_server(("127.0.0.1", 0))
listener.set_inheritable(True)  # as gunicorn's is, for re-exec: a forked child kept it
workers = warm_up(ResourceLimits(seconds=5), modules=["signing.verification"])
port, inode = listener.getsockname()[1], os.fstat(listener.fileno()).st_ino
print(json.dumps({"port": port, "inode": inode, "workers": workers}), flush=True)
sys.stdin.readline()  # then exit normally
"""


def socket_inodes(pid):
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


@pytest.fixture
def parent_with_pool():
    """A process that listens on a port, as gunicorn does, and has started its pool."""
    parent = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PARENT_SCRIPT],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([parent.stdout], [], [], 120)
        assert ready, "the parent did not start its pool"
        line = parent.stdout.readline()
        assert line, parent.stderr.read()
        started = json.loads(line)
        workers = running(started["workers"])
        assert len(workers) == 2 and all(workers.values())
        yield parent, workers, started
    finally:
        parent.kill()
        parent.communicate()


@linux_only
def test_workers_hold_none_of_their_parents_descriptors(parent_with_pool):
    _, workers, started = parent_with_pool
    for pid in workers:
        assert started["inode"] not in socket_inodes(pid)


@linux_only
def test_workers_die_with_a_killed_parent_and_its_port_can_be_bound_again(parent_with_pool):
    parent, workers, started = parent_with_pool
    parent.kill()  # SIGKILL: no atexit, no cleanup of any kind in the parent
    parent.wait()
    assert all_ended(workers, within=5)
    with socket.socket() as again:
        again.bind(("127.0.0.1", started["port"]))


@linux_only
def test_workers_end_with_a_parent_that_exits_normally(parent_with_pool):
    parent, workers, _ = parent_with_pool
    parent.communicate("\n", timeout=30)
    assert parent.returncode == 0
    assert all_ended(workers, within=5)


@linux_only
def test_sigterm_ends_a_worker_even_when_its_parent_ignores_sigterm(make_pool):
    # An ignored signal stays ignored across exec: the worker must reset it.
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        pool = make_pool()
        (worker,) = pool.warm_up()
    finally:
        signal.signal(signal.SIGTERM, previous)
    before = running([worker])
    os.kill(worker, signal.SIGTERM)
    assert all_ended(before)


@linux_only
def test_a_forked_child_starts_its_own_workers_and_leaves_the_parents_alone(make_pool):
    pool = make_pool()
    (parents_worker,) = pool.warm_up()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and never returns
        status = 1
        try:
            os.close(read_end)
            answer = {"worker_parent": pool.run(os.getppid), "worker": pool.run(os.getpid)}
            os.write(write_end, json.dumps(answer).encode())
            pool.close()
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer = json.loads(pipe.read() or "{}")
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert answer["worker_parent"] == child
    assert answer["worker"] != parents_worker
    assert pool.run(os.getpid) == parents_worker  # the child neither used nor stopped ours
