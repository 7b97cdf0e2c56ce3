"""Run a function on untrusted input in a child process with a time and memory limit.

Parsing an uploaded PDF is the one place where a stranger's bytes drive our code's loops and
allocations. The analysis runs in a forked child with an address-space limit; the parent waits
for at most the time limit and kills the child if it has not answered. The child never touches
the database (the registry is asked afterwards, in the parent).
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
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


def _child(connection, func, args, kwargs, limits: ResourceLimits) -> None:
    try:
        # The soft limit is what an allocation fails against; keep the hard limit unchanged.
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, hard))
        result = func(*args, **kwargs)
        connection.send_bytes(pickle.dumps(("ok", result)))
    except MemoryError:
        connection.send_bytes(pickle.dumps(("error", "memory limit exceeded")))
    # The child must report any failure rather than die silently; its traceback stays here.
    except BaseException as exc:  # noqa: BLE001
        connection.send_bytes(pickle.dumps(("error", f"{type(exc).__name__}")))
    finally:
        connection.close()


def run_isolated(func: Callable[..., Any], *args, limits: ResourceLimits, **kwargs) -> Any:
    """``func(*args, **kwargs)`` in a forked child, or IsolationError."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - non-POSIX
        return func(*args, **kwargs)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args, kwargs, limits), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            raise IsolationError(f"time limit of {limits.seconds:g}s exceeded")
        try:
            status, payload = pickle.loads(receiver.recv_bytes())  # noqa: S301 - from our own child
        except EOFError:
            raise IsolationError("worker exited without a result") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
    if status != "ok":
        raise IsolationError(payload)
    return payload
