"""The worker side of ``signing.isolation``: a fresh interpreter that runs calls sent over a socket.

Started by the pool as ``python -m signing.isolation_worker <channel fd> <parent pid>``, never
forked from the web process, so it holds none of the web process's descriptors (listening
sockets, database connections) and none of its signal handlers. It dies with its parent: the
kernel kills it when the thread that started it ends (``PR_SET_PDEATHSIG``), and it leaves its
loop on end of file from the parent's end of the channel.

Protocol, one frame per ``send_bytes``: the parent sends a setup dict and the worker answers
``("ready", pid)``; then per call the parent sends a header ``(cached, forget)`` and a payload
``(func, args, kwargs)``, and the worker answers ``(status, value, log_records)`` with status
``ok`` (value: the result), ``error`` (value: the exception's type name) or ``dead`` (value: why;
the worker exits after answering).

This module imports only the standard library and asn1crypto, so a worker starts in well under a
second and carries no Django state.
"""

from __future__ import annotations

import copyreg
import ctypes
import gc
import importlib
import io
import logging
import os
import pickle
import resource
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from asn1crypto.core import Asn1Value

__all__ = ["dumps", "loads", "main"]

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Signals whose disposition a parent may have changed (gunicorn handles all of these): back to the
# default, so a worker ends when it is told to.
RESET_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
# A runaway logger must not grow the answer without bound.
MAX_LOG_RECORDS = 100


def _asn1_new(cls: type[Asn1Value], *args) -> Asn1Value:
    """``copyreg.__newobj__`` for asn1crypto classes. asn1crypto builds a class's field specs the
    first time one is constructed, and unpickling constructs nothing: a fresh worker that unpickles
    a certificate before it ever parsed one would fail on its first field."""
    if cls not in _ASN1_READY:
        try:
            cls()
        except (ValueError, TypeError):  # the specs are built before the arguments are checked
            pass
        _ASN1_READY.add(cls)
    return cls.__new__(cls, *args)


_ASN1_READY: set[type] = set()


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Asn1Value):
            reduced = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
            if reduced[0] is copyreg.__newobj__:
                return (_asn1_new, *reduced[1:])
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """Pickle ``obj`` for the channel between the pool and a worker."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    return pickle.loads(data)  # noqa: S301 - the other end is our own parent or worker


def _die_with_parent(parent_pid: int) -> None:
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - not Linux; end of file still ends the worker
        return
    if prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died before the call above: then nothing will signal us.
    if os.getppid() != parent_pid:
        os._exit(1)


def _reset_signals() -> None:
    # An ignored signal stays ignored across exec; a blocked one stays blocked.
    for signum in RESET_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _limit_memory(memory_bytes: int) -> None:
    # The soft limit is what an allocation fails against; keep the hard limit unchanged.
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class _LogCollector(logging.Handler):
    """Keeps a call's log records so the parent can hand them to its own logging configuration."""

    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) >= MAX_LOG_RECORDS:
            return
        try:
            # Arguments and tracebacks may not pickle; their text does.
            record.message = record.getMessage()
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.msg, record.args, record.exc_info = record.message, None, None
            self.records.append(record)
        # logging's contract: a handler reports its own failures and never raises into the caller.
        except Exception:  # noqa: BLE001
            self.handleError(record)

    def take(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


def _capture_logging(levels: dict[str, int]) -> _LogCollector:
    # The parent's levels, so the worker builds only the records the parent would keep.
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    collector = _LogCollector()
    logging.getLogger().addHandler(collector)
    return collector


def _preload(modules: list[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        # Preloading only saves the first call an import; a module that fails here fails that call
        # instead, with its own error, rather than keeping every worker from starting.
        except Exception:  # noqa: BLE001
            logger.warning("Worker could not preload %s", module, exc_info=True)
    # What was imported lives as long as the worker: keep the collector from walking it again.
    gc.collect()
    gc.freeze()


def _serve(connection: Connection, collector: _LogCollector) -> None:
    cache: dict[str, Any] = {}
    while True:
        try:
            header = connection.recv_bytes()
            payload = connection.recv_bytes()
        except EOFError:
            return
        try:
            cached, forget = loads(header)
            for key, blob in cached.values():
                if blob is not None:
                    cache[key] = loads(blob)
            func, args, kwargs = loads(payload)
            kwargs.update((name, cache[key]) for name, (key, _) in cached.items())
            for key in forget:
                cache.pop(key, None)
        except MemoryError:
            connection.send_bytes(dumps(("dead", "memory limit exceeded", collector.take())))
            return
        # A request this worker cannot read (a function its modules cannot import, a digest it does
        # not hold) leaves its cache out of step with the parent's view: answer and be replaced.
        except Exception as exc:  # noqa: BLE001
            logger.warning("Worker could not read a call", exc_info=True)
            connection.send_bytes(dumps(("dead", f"call could not be read ({type(exc).__name__})", collector.take())))
            return
        try:
            reply = ("ok", func(*args, **kwargs))
        except MemoryError:
            # The heap may be in any state after this; answer and let the parent replace us.
            connection.send_bytes(dumps(("dead", "memory limit exceeded", collector.take())))
            return
        # The worker must report any failure rather than die silently.
        except BaseException as exc:  # noqa: BLE001
            logger.warning("Isolated call %s raised", getattr(func, "__qualname__", func), exc_info=True)
            reply = ("error", type(exc).__name__)
        del func, args, kwargs
        try:
            answer = dumps((*reply, collector.take()))
        except MemoryError:
            connection.send_bytes(dumps(("dead", "memory limit exceeded", [])))
            return
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            answer = dumps(("error", f"result could not be pickled ({type(exc).__name__})", []))
        connection.send_bytes(answer)


def main(argv: list[str]) -> int:
    channel_fd, parent_pid = int(argv[0]), int(argv[1])
    _die_with_parent(parent_pid)
    _reset_signals()
    connection = Connection(channel_fd)
    try:
        setup = loads(connection.recv_bytes())
    except EOFError:
        return 0
    sys.path[:] = setup["sys_path"]
    _limit_memory(setup["memory_bytes"])
    collector = _capture_logging(setup["log_levels"])
    _preload(setup["modules"])
    connection.send_bytes(dumps(("ready", os.getpid(), collector.take())))
    _serve(connection, collector)
    return 0


if __name__ == "__main__":
    # Run the importable copy of this module, so what a pickle names (``signing.isolation_worker.x``)
    # and what this loop uses are the same objects.
    from signing.isolation_worker import main as importable_main

    sys.exit(importable_main(sys.argv[1:]))
