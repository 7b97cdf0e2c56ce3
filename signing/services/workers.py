"""Worker processes for a batch: this process prepares each item in order and hands it to forked
children, which each open their own session (a seal's key: never passed between processes) and
send back one outcome per item. Used by bulk permit issuance (:mod:`.permits_bulk`), which decides
what an item, a job and an outcome are; nothing here knows permits.

The children are forked (Linux): every database connection is closed first, so each process opens
its own. With SQLite every transaction then begins with the write lock (``BEGIN IMMEDIATE``) for
the batch's duration: two processes whose deferred transactions both read and then write would
otherwise deadlock, and SQLite answers one of them "database is locked" at once instead of waiting.

A child is handed items once its session is open (a key store that fails costs no item). A child
that stops (killed, or an error its work function does not expect) loses nothing the others did:
its items in hand are reported to ``on_lost`` and its reason returned; the rest go to the children
left. When none is left the batch ends, and items never handed out stay unreported.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from django.db import connection, connections
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Items in a child's hands at once: the one it works on and the next, so it never waits for this
# process to prepare one; a child that stops loses at most these.
WINDOW = 2
JOIN_SECONDS = 60


def default_workers() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def single_process_reason() -> str:
    """Why a batch cannot use worker processes here, or "" when it can."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return _("the database is in memory (SQLite), so other processes cannot open it")
    if connection.in_atomic_block:
        return _("the batch runs inside a transaction, whose rows other processes cannot see")
    if multiprocessing.current_process().daemon:
        return _("this process is a daemon worker and may not start processes")
    if "fork" not in multiprocessing.get_all_start_methods():
        return _("this system cannot fork processes")
    return ""


@contextlib.contextmanager
def _write_lock_at_begin() -> Iterator[None]:
    """SQLite: transactions begin with the write lock (and wait up to 30 s for it) while the block runs."""
    if connection.vendor != "sqlite":
        yield
        return
    options = connection.settings_dict.get("OPTIONS", {})
    connection.settings_dict["OPTIONS"] = {"timeout": 30, **options, "transaction_mode": "IMMEDIATE"}
    connection.close()  # reopened with the options above by whoever needs it next
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["OPTIONS"] = options


@dataclass
class _Child:
    number: int
    process: Any
    conn: Connection
    in_hand: deque = field(default_factory=deque)  # (index, job) sent, no outcome yet
    ready: bool = False  # its session is open: only then is it handed work
    stop_sent: bool = False
    reason: str = ""  # what the child said before it stopped, if it said anything


def _child_main(conn: Connection, session: Callable, work: Callable) -> None:
    """A child's loop: one session for the batch, then jobs until ``None``; exit 1 on what ``work``
    does not expect, after saying what it was."""
    index = None
    try:
        with session() as opened:
            conn.send(("ready", None, None))
            while (message := conn.recv()) is not None:
                index, job = message
                conn.send(("done", index, work(job, opened)))
                index = None
    except (EOFError, KeyboardInterrupt):
        sys.exit(1)  # the parent is gone, or the operator interrupted the batch
    except Exception as error:  # noqa: BLE001 - anything: reported to the parent, which names the lost items
        logger.exception("Batch worker %s stopped", os.getpid())
        with contextlib.suppress(OSError):
            conn.send(("failed", index, f"{type(error).__name__}: {error}"))
        sys.exit(1)
    finally:
        connections.close_all()


def run_in_processes(
    *,
    workers: int,
    jobs: Iterator[tuple[int, Any]],
    session: Callable[[], contextlib.AbstractContextManager],
    work: Callable[[Any, Any], Any],
    on_done: Callable[[int, Any], None],
    on_lost: Callable[[int, Any, str], None],
) -> list[str]:
    """Run ``work(job, session)`` in ``workers`` forked children for each ``(index, job)`` that
    ``jobs`` yields (consumed here, lazily, as children need work); ``on_done(index, outcome)`` as
    outcomes arrive. Returns why children stopped early ("" reasons are not returned), after
    ``on_lost(index, job, reason)`` for each item they had in hand. An exception from ``jobs`` stops
    the handing out; the children finish what they hold, and it is raised then."""
    context = multiprocessing.get_context("fork")
    stopped: list[str] = []
    with _write_lock_at_begin():
        connections.close_all()  # a child must never use this process's connection
        children: list[_Child] = []
        for number in range(1, workers + 1):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_child_main, args=(child_end, session, work), name=f"batch-worker-{number}", daemon=True
            )
            process.start()
            child_end.close()  # so this end reads EOF once the child is gone
            children.append(_Child(number=number, process=process, conn=parent_end))
        try:
            failure = _hand_out(children, jobs, on_done, on_lost, stopped)
        finally:
            for child in children:
                _stop(child)
    if failure is not None:
        raise failure
    return stopped


def _hand_out(children, jobs, on_done, on_lost, stopped) -> BaseException | None:
    live = list(children)
    exhausted, failure = False, None
    while live:
        for child in live:
            while child.ready and not exhausted and failure is None and len(child.in_hand) < WINDOW:
                try:
                    item = next(jobs)
                except StopIteration:
                    exhausted = True
                except Exception as error:  # noqa: BLE001 - raised once the children are done
                    failure = error
                else:
                    child.in_hand.append(item)
                    with contextlib.suppress(OSError):  # a child gone: its sentinel says so below
                        child.conn.send(item)
            if (exhausted or failure is not None) and not child.in_hand and not child.stop_sent:
                with contextlib.suppress(OSError):
                    child.conn.send(None)
                child.stop_sent = True
        ready = wait([c.conn for c in live] + [c.process.sentinel for c in live])
        for child in list(live):
            if child.conn in ready or child.process.sentinel in ready:
                if not _receive(child, on_done):
                    live.remove(child)
                    _ended(child, on_lost, stopped)
    return failure


def _receive(child: _Child, on_done) -> bool:
    """Read what the child sent; False once its end is closed (it exited)."""
    try:
        while child.conn.poll():
            kind, index, payload = child.conn.recv()
            if kind == "done":
                child.in_hand.popleft()
                on_done(index, payload)
            elif kind == "ready":
                child.ready = True
            else:
                child.reason = payload
    except (EOFError, OSError):
        return False
    return child.process.is_alive()


def _ended(child: _Child, on_lost, stopped: list[str]) -> None:
    child.process.join(JOIN_SECONDS)
    code = child.process.exitcode
    if code == 0 and not child.in_hand:
        return
    if not child.reason and code is not None and code < 0:
        child.reason = _("killed by signal %(signal)s") % {"signal": -code}
    elif not child.reason:
        child.reason = _("exit code %(code)s") % {"code": code}
    reason = _("worker %(number)s stopped: %(reason)s") % {"number": child.number, "reason": child.reason}
    stopped.append(reason)
    while child.in_hand:
        index, job = child.in_hand.popleft()
        on_lost(index, job, reason)


def _stop(child: _Child) -> None:
    if child.process.is_alive() and not child.stop_sent:
        with contextlib.suppress(OSError):
            child.conn.send(None)
    child.process.join(JOIN_SECONDS)
    if child.process.is_alive():
        child.process.terminate()
        child.process.join()
    child.conn.close()
