"""Run a function on untrusted input in a worker process with a time and memory limit.

Parsing an uploaded PDF is the one place where a stranger's bytes drive our code's loops and
allocations. The analysis runs in a worker process with an address-space limit; the caller waits
at most the time limit and kills the worker if it has not answered. The worker never touches
the database (the registry is asked afterwards, in the caller).

Each web process keeps a warm pool of workers per set of limits (``VERIFY_POOL_SIZE``), so a
verification pays a round trip through a socket, not a process start:

- Workers are fresh interpreters (``python -m signing.isolation_worker``), not forks of the web
  process: they inherit none of its descriptors (a forked child kept gunicorn's listening socket
  after gunicorn stopped) and none of its signal handlers, and they start with a small heap.
- A worker dies with the web process: the kernel kills it when the thread that started it ends
  (``PR_SET_PDEATHSIG``), and it leaves on end of file from its channel. That signal follows the
  starting *thread*, so one keeper thread that lives as long as the process starts them all.
- A worker that timed out, ran out of memory or crashed is killed and replaced at once, in the
  background. After ``VERIFY_WORKER_MAX_JOBS`` calls a worker retires: its successor is started
  while it keeps serving, and it is stopped once the successor is ready.
- Callers check out an idle worker; when all are busy they wait, at most the time limit, and
  then the call itself gets the time limit: no queue without bound, no call killed for waiting.
- A pool belongs to the process that created it; a forked child (gunicorn with ``preload_app``)
  starts its own.
- Keyword arguments named in ``CACHED_KWARGS`` (the verifier's trust anchors and CRLs) are sent
  to a worker once and then by their digest: the worker keeps the unpickled value.
- A worker's log records are handed to the caller's logging, as if the call had run inline.
- At interpreter exit every worker is killed (``atexit``).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from django.conf import settings

from .isolation_worker import dumps, loads

__all__ = ["CACHED_KWARGS", "IsolationError", "ResourceLimits", "WorkerPool", "run_isolated", "warm_up"]

logger = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 2
DEFAULT_MAX_JOBS = 200
# Keyword arguments that are the same from call to call (the verifier's trust anchors and
# CRLs): a worker keeps each value it has been sent, and later calls send only its SHA-256.
CACHED_KWARGS = frozenset({"trust"})
# How many such values a worker keeps (the oldest goes first).
CACHE_ENTRIES = 4
# A worker imports pyHanko before it says it is ready; a cold disk can make that slow.
START_TIMEOUT_SECONDS = 60.0
WORKER_MODULE = f"{__package__}.isolation_worker"
# Where ``signing`` lives, so a worker finds its own module before it is told the parent's path.
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class ResourceLimits:
    seconds: float = 10.0
    memory_bytes: int = 1024 * 1024 * 1024


class IsolationError(Exception):
    """The isolated call did not return a result (time or memory limit, a crash, no free worker)."""


class _Keeper:
    """The one thread that starts workers and reaps them.

    ``PR_SET_PDEATHSIG`` kills a worker when the *thread* that started it ends, so workers must
    not be started from request threads (runserver ends one per request). This thread lives as
    long as the process and runs every start, each of which may take a few hundred milliseconds,
    off the request path.
    """

    def __init__(self):
        self.pid = os.getpid()
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="isolation-keeper", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self.pid == os.getpid() and self._thread.is_alive()

    def submit(self, task: Callable[[], None]) -> None:
        self._tasks.put(task)

    def _loop(self) -> None:
        while True:
            task = self._tasks.get()
            try:
                task()
            # If this thread ended, the kernel would kill every worker it started: no task may end it.
            except Exception:  # noqa: BLE001
                logger.exception("Isolation keeper task failed")


_keeper: _Keeper | None = None
_keeper_lock = threading.Lock()


def _the_keeper() -> _Keeper:
    global _keeper
    with _keeper_lock:
        if _keeper is None or not _keeper.alive():
            _keeper = _Keeper()
        return _keeper


def _log_levels() -> dict[str, int]:
    """The levels set in this process's logging configuration, for a worker to copy."""
    levels = {
        name: configured.level
        # A copy taken in one step: other threads may create loggers meanwhile.
        for name, configured in list(logging.root.manager.loggerDict.items())
        if isinstance(configured, logging.Logger) and configured.level
    }
    levels[""] = logging.root.level
    return levels


def _emit(records: Iterable[logging.LogRecord]) -> None:
    """Hand a worker's log records to this process's handlers."""
    for record in records:
        target = logging.getLogger(record.name)
        if target.isEnabledFor(record.levelno):
            target.handle(record)


class _Worker:
    """A started worker process and the parent's end of its channel."""

    def __init__(self, process: subprocess.Popen, connection: Connection):
        self.process = process
        self.connection = connection
        self.pid = process.pid
        self.jobs = 0
        self.retiring = False
        # Digests of the cached keyword arguments the worker holds, oldest first.
        self.known: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def start(cls, *, memory_bytes: int, modules: list[str]) -> _Worker:
        """Start a worker and wait until it is ready. Runs in the keeper thread."""
        parent_end, child_end = socket.socketpair()
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, environment.get("PYTHONPATH")]))
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", WORKER_MODULE, str(child_end.fileno()), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stdout may be anything; logs come back over the channel
                close_fds=True,
                pass_fds=(child_end.fileno(),),
                env=environment,
            )
        except OSError:
            parent_end.close()
            raise
        finally:
            child_end.close()
        worker = cls(process, Connection(parent_end.detach()))
        setup = {
            "sys_path": list(sys.path),
            "memory_bytes": memory_bytes,
            "log_levels": _log_levels(),
            "modules": modules,
        }
        try:
            worker.connection.send_bytes(dumps(setup))
            if not worker.connection.poll(START_TIMEOUT_SECONDS):
                raise IsolationError(f"worker did not start within {START_TIMEOUT_SECONDS:g}s")
            status, detail, records = loads(worker.connection.recv_bytes())
            if status != "ready":
                raise IsolationError(f"worker could not get ready: {detail}")
        except (EOFError, OSError):
            worker.kill()
            worker.reap()
            raise IsolationError("worker exited while starting") from None
        except IsolationError:
            worker.kill()
            worker.reap()
            raise
        _emit(records)
        return worker

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, header: bytes, payload: bytes) -> None:
        self.connection.send_bytes(header)
        self.connection.send_bytes(payload)

    def receive(self, seconds: float) -> tuple[str, Any]:
        """The answer to the call just sent, waiting at most ``seconds``."""
        if not self.connection.poll(seconds):
            raise IsolationError(f"time limit of {seconds:g}s exceeded")
        status, value, records = loads(self.connection.recv_bytes())
        _emit(records)
        return status, value

    def kill(self) -> None:
        if self.process.returncode is None:
            try:
                self.process.kill()
            except ProcessLookupError:  # already reaped elsewhere
                pass
        self.connection.close()

    def reap(self) -> None:
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a SIGKILLed process in uninterruptible sleep
            logger.warning("Isolation worker %s did not exit after SIGKILL", self.pid)

    def forget(self) -> None:
        """Drop an inherited copy of this worker (after fork) without touching the process."""
        self.connection.close()


class _Turn:
    """A caller's place in line for a worker."""

    worker: _Worker | None = None


class WorkerPool:
    """Up to ``size`` warm workers for one set of limits, each replaced after ``max_jobs`` calls."""

    def __init__(self, limits: ResourceLimits, *, size: int = DEFAULT_POOL_SIZE, max_jobs: int = DEFAULT_MAX_JOBS):
        if size < 1 or max_jobs < 1:
            raise ValueError("a pool needs at least one worker and one job per worker")
        self.limits = limits
        self.size = size
        self.max_jobs = max_jobs
        self._modules: set[str] = set()
        self._reset()
        _all_pools.add(self)

    def _reset(self) -> None:
        self._owner_pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []  # last in, first out: the warmest worker serves next
        self._busy: set[_Worker] = set()
        self._waiting: deque[_Turn] = deque()  # callers waiting for a worker, first come first served
        self._starting = 0
        self._start_failures = 0
        self._start_error = ""
        self._closed = False

    def _forget_after_fork(self) -> None:
        """In a forked child: the workers are the parent's. Close our copies of their channels and
        start from nothing (the parent's lock may have been held by a thread that is gone here)."""
        for worker in [*self._idle, *self._busy]:
            worker.forget()
        closed = self._closed
        self._reset()
        self._closed = closed

    # --- Public -------------------------------------------------------------------------------

    def run(self, func: Callable[..., Any], /, *args, **kwargs) -> Any:
        """``func(*args, **kwargs)`` in a worker, or IsolationError.

        ``func`` must be importable by its module and name (a module-level function, not one from
        ``__main__``); it and its arguments are pickled per call. Waits at most ``limits.seconds``
        for a free worker, then at most ``limits.seconds`` for the answer.
        """
        if self._owner_pid != os.getpid():
            self._forget_after_fork()
        seconds = self.limits.seconds
        cached = {}
        for name in CACHED_KWARGS.intersection(kwargs):
            blob = dumps(kwargs.pop(name))
            cached[name] = (hashlib.sha256(blob).hexdigest(), blob)
        payload = dumps((func, args, kwargs))
        with self._cond:
            self._modules.add(getattr(func, "__module__", None) or "builtins")
        wait_until = time.monotonic() + seconds
        while True:
            worker = self._check_out(wait_until)
            try:
                worker.send(dumps(self._cache_instructions(worker, cached)), payload)
            except OSError:
                # The worker died while idle; the call never reached it, so another may take it.
                self._check_in(worker, healthy=False)
                continue
            healthy = False
            try:
                status, value = worker.receive(seconds)
                healthy = status != "dead"
            except (EOFError, OSError):
                raise IsolationError("worker exited without a result") from None
            finally:
                self._check_in(worker, healthy=healthy)
            if status == "ok":
                return value
            raise IsolationError(value)

    def warm_up(self, *, modules: Iterable[str] = (), timeout: float = START_TIMEOUT_SECONDS) -> tuple[int, ...]:
        """Start the pool's workers and wait until all are ready and no retired worker is left.
        ``modules`` are imported by every worker started from now on. Returns the workers' ids."""
        if self._owner_pid != os.getpid():
            self._forget_after_fork()
        give_up = time.monotonic() + timeout
        with self._cond:
            self._modules.update(modules)
            failures = self._start_failures
            while True:
                if self._closed:
                    raise IsolationError("worker pool is closed")
                if self._start_failures != failures:
                    raise IsolationError(self._start_error)
                self._top_up()
                settled = not self._starting and not any(worker.retiring for worker in self._idle)
                if settled and len(self._idle) >= self.size:
                    return tuple(worker.pid for worker in self._idle)
                remaining = give_up - time.monotonic()
                if remaining <= 0:
                    raise IsolationError(f"pool not ready within {timeout:g}s")
                self._cond.wait(remaining)

    def pids(self) -> tuple[int, ...]:
        """Process ids of the pool's started workers, idle or busy."""
        with self._cond:
            return tuple(worker.pid for worker in [*self._idle, *self._busy])

    def close(self) -> None:
        """Kill every worker; calls in progress end with IsolationError."""
        if self._owner_pid != os.getpid():
            self._forget_after_fork()
            return
        with self._cond:
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle.clear()
            self._busy.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.reap()

    # --- Internals (callers hold self._cond where noted) ----------------------------------------

    def _check_out(self, wait_until: float) -> _Worker:
        with self._cond:
            if self._closed:
                raise IsolationError("worker pool is closed")
            while self._idle and not self._waiting:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
                self._discard(worker)
            # Wait in line: a worker that comes free goes to the longest-waiting caller, not to
            # whichever thread asks next (a client that calls again at once would starve the rest).
            failures = self._start_failures
            turn = _Turn()
            self._waiting.append(turn)
            try:
                while turn.worker is None:
                    if self._closed:
                        raise IsolationError("worker pool is closed")
                    if self._start_failures != failures:
                        raise IsolationError(self._start_error)
                    self._top_up()
                    remaining = wait_until - time.monotonic()
                    if remaining <= 0:
                        raise IsolationError(f"no worker free within {self.limits.seconds:g}s")
                    self._cond.wait(remaining)
                return turn.worker
            finally:
                if turn.worker is None:
                    self._waiting.remove(turn)

    def _check_in(self, worker: _Worker, *, healthy: bool) -> None:
        with self._cond:
            self._busy.discard(worker)
            if self._closed or not healthy or worker.connection.closed:
                self._discard(worker)
                return
            worker.jobs += 1
            if worker.jobs >= self.max_jobs and not worker.retiring:
                worker.retiring = True  # keeps serving until its successor is ready
                self._top_up()
            if worker.retiring and self._serving() >= self.size:
                self._discard(worker)
            else:
                self._hand_over(worker)

    def _hand_over(self, worker: _Worker) -> None:
        """A worker is free: to the first caller in line, else idle (caller holds the lock)."""
        if self._waiting:
            turn = self._waiting.popleft()
            turn.worker = worker
            self._busy.add(worker)
            self._cond.notify_all()  # the one whose turn it is finds it
        else:
            self._idle.append(worker)
            self._cond.notify_all()  # warm_up watches the idle list

    def _serving(self) -> int:
        """Started workers that are not retiring (caller holds the lock)."""
        return sum(1 for worker in [*self._idle, *self._busy] if not worker.retiring)

    def _top_up(self) -> None:
        """Start workers in the background until the pool is full again (caller holds the lock)."""
        if self._closed:
            return
        while self._serving() + self._starting < self.size:
            self._starting += 1
            _the_keeper().submit(self._start_one)

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker now and reap it in the background (caller holds the lock)."""
        worker.kill()
        _the_keeper().submit(worker.reap)
        self._top_up()

    def _start_one(self) -> None:
        """Runs in the keeper thread."""
        if self._owner_pid != os.getpid():  # pragma: no cover - queued before a fork
            return
        with self._cond:
            modules = sorted(self._modules)
        try:
            worker = _Worker.start(memory_bytes=self.limits.memory_bytes, modules=modules)
        except (IsolationError, OSError) as exc:
            logger.error("Isolation worker could not start: %s", exc)
            with self._cond:
                self._starting -= 1
                self._start_failures += 1
                self._start_error = f"worker could not start: {exc}"
                self._cond.notify_all()
            return
        with self._cond:
            self._starting -= 1
            if self._closed:
                worker.kill()
                worker.reap()
                return
            self._hand_over(worker)
            # A successor is ready: a retired worker that is idle can go now.
            for old in [w for w in self._idle if w.retiring]:
                if self._serving() >= self.size:
                    self._idle.remove(old)
                    self._discard(old)
            self._cond.notify_all()

    @staticmethod
    def _cache_instructions(worker: _Worker, cached: dict[str, tuple[str, bytes]]) -> tuple[dict, list[str]]:
        """What to send for the cached keyword arguments: the value if the worker lacks it, else
        only its digest; and which values the worker may drop."""
        sent = {}
        for name, (key, blob) in cached.items():
            if key in worker.known:
                worker.known.move_to_end(key)
                sent[name] = (key, None)
            else:
                worker.known[key] = None
                sent[name] = (key, blob)
        forget = []
        while len(worker.known) > CACHE_ENTRIES:
            forget.append(worker.known.popitem(last=False)[0])
        return sent, forget


# Every pool of this process, so a fork and the interpreter's exit can deal with them.
_all_pools: weakref.WeakSet[WorkerPool] = weakref.WeakSet()
_pools: dict[ResourceLimits, WorkerPool] = {}
_pools_pid = os.getpid()
_pools_lock = threading.Lock()


def _pool_for(limits: ResourceLimits) -> WorkerPool:
    global _pools_pid
    with _pools_lock:
        if _pools_pid != os.getpid():
            _pools.clear()
            _pools_pid = os.getpid()
        pool = _pools.get(limits)
        if pool is None:
            size, max_jobs = DEFAULT_POOL_SIZE, DEFAULT_MAX_JOBS
            if settings.configured or "DJANGO_SETTINGS_MODULE" in os.environ:
                size, max_jobs = settings.VERIFY_POOL_SIZE, settings.VERIFY_WORKER_MAX_JOBS
            pool = _pools[limits] = WorkerPool(limits, size=size, max_jobs=max_jobs)
        return pool


def run_isolated(func: Callable[..., Any], /, *args, limits: ResourceLimits, **kwargs) -> Any:
    """``func(*args, **kwargs)`` in a worker of this process's pool for ``limits``, or IsolationError.

    ``func`` and its arguments cross a socket, so they must be picklable (module-level functions,
    plain data); see ``WorkerPool.run``.
    """
    if os.name != "posix":  # pragma: no cover - no resource limits or parent-death signal elsewhere
        return func(*args, **kwargs)
    return _pool_for(limits).run(func, *args, **kwargs)


def warm_up(limits: ResourceLimits, *, modules: Iterable[str] = ()) -> tuple[int, ...]:
    """Start the pool for ``limits`` ahead of the first call (e.g. from gunicorn's ``post_fork``),
    importing ``modules`` in each worker. Returns the workers' process ids."""
    return _pool_for(limits).warm_up(modules=modules)


def _after_fork_in_child() -> None:
    global _keeper, _keeper_lock, _pools_lock, _pools_pid
    # Locks may have been held by threads that do not exist in the child.
    _keeper, _keeper_lock, _pools_lock = None, threading.Lock(), threading.Lock()
    _pools.clear()
    _pools_pid = os.getpid()
    for pool in list(_all_pools):
        pool._forget_after_fork()


def _close_all() -> None:
    for pool in list(_all_pools):
        if pool._owner_pid == os.getpid():
            pool.close()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_all)
