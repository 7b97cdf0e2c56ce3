"""Run a function on untrusted input in a child process with a time and memory limit.

Parsing an uploaded PDF is the one place where a stranger's bytes drive our code's loops and
allocations. The analysis runs in a worker process with an address-space limit; the caller waits
at most the time limit and kills the worker if it has not answered. The worker never touches
the database (the registry is asked afterwards, in the caller).

The worker is forked once and then reused, so a verification pays a round trip through a pipe
rather than a fork of the whole web process; a worker that timed out, ran out of memory or died
is replaced on the next call.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["IsolationError", "ResourceLimits", "run_isolated"]


@dataclass(frozen=True)
class ResourceLimits:
    seconds: float = 10.0
    memory_bytes: int = 1024 * 1024 * 1024


class IsolationError(Exception):
    """The isolated call did not return a result (time or memory limit, or a crash)."""


def _serve(connection, limits: ResourceLimits) -> None:
    """The worker's loop: one pickled call in, one pickled ("ok" | "error", payload) out."""
    # The soft limit is what an allocation fails against; keep the hard limit unchanged.
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, hard))
    while True:
        try:
            func, args, kwargs = pickle.loads(connection.recv_bytes())  # noqa: S301 - from our own parent
        except EOFError:
            return
        try:
            reply = ("ok", func(*args, **kwargs))
        except MemoryError:
            # The heap may be in any state after this; answer and let the parent replace us.
            connection.send_bytes(pickle.dumps(("dead", "memory limit exceeded")))
            return
        # The worker must report any failure rather than die silently; its traceback stays here.
        except BaseException as exc:  # noqa: BLE001
            reply = ("error", type(exc).__name__)
        connection.send_bytes(pickle.dumps(reply))


class _Worker:
    def __init__(self, limits: ResourceLimits):
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, limits), daemon=True)
        self.process.start()
        child.close()
        self.owner_pid = os.getpid()

    def alive(self) -> bool:
        return self.owner_pid == os.getpid() and self.process.is_alive()

    def call(self, func, args, kwargs, seconds: float):
        try:
            self.connection.send_bytes(pickle.dumps((func, args, kwargs)))
            if not self.connection.poll(seconds):
                self.stop()
                raise IsolationError(f"time limit of {seconds:g}s exceeded")
            status, payload = pickle.loads(self.connection.recv_bytes())  # noqa: S301 - from our own worker
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self.stop()
            raise IsolationError("worker exited without a result") from None
        if status == "dead":
            self.stop()
        if status != "ok":
            raise IsolationError(payload)
        return payload

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


_workers: dict[ResourceLimits, _Worker] = {}
_lock = threading.Lock()


def run_isolated(func: Callable[..., Any], *args, limits: ResourceLimits, **kwargs) -> Any:
    """``func(*args, **kwargs)`` in the worker for ``limits``, or IsolationError.

    ``func`` and its arguments cross a pipe, so they must be picklable (module-level functions,
    plain data). Calls are serialised per process: one worker, one analysis at a time.
    """
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - non-POSIX
        return func(*args, **kwargs)
    with _lock:
        worker = _workers.get(limits)
        if worker is None or not worker.alive():
            worker = _workers[limits] = _Worker(limits)
        return worker.call(func, args, kwargs, limits.seconds)
