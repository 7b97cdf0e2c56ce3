"""Work that must wait for the current transaction to commit, done once per transaction."""

from collections.abc import Callable, Iterable

from django.db import transaction


class _CommitBatch:
    """The ids one transaction collected for ``send``, handed over once when it commits."""

    def __init__(self, send: Callable[[list[int]], None]):
        self.send = send
        self.ids: set[int] = set()
        self.sent = False
        # Django names a failing robust callback by its ``__qualname__`` when it logs the error;
        # without one the logging itself raises and the failure escapes after all.
        self.__qualname__ = f"on_commit_batched({getattr(send, '__qualname__', repr(send))})"

    def __call__(self) -> None:
        self.sent = True
        if self.ids:
            self.send(sorted(self.ids))


def on_commit_batched(send: Callable[[list[int]], None], ids: Iterable[int | None], *, robust: bool = False) -> None:
    """Call ``send(sorted ids)`` after the current transaction commits (at once outside one), once,
    with every id passed for the same ``send`` during that transaction.

    A save that touches several rows, or a request that changes several inputs, then costs one
    call. The batch lives in the connection's own commit callbacks, so a rolled-back transaction
    takes its ids with it instead of leaking them into the next one. ``robust``: a failing
    ``send`` is logged instead of raised (what is committed stays committed either way).
    """
    ids = {int(pk) for pk in ids if pk}
    if not ids:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        active = set(connection.savepoint_ids)
        for savepoints, callback, _robust in connection.run_on_commit:
            # Only a batch of a block still open: one left by a block that already ended belongs
            # to work this caller cannot see (a test's earlier, never-committed steps, say).
            if (
                isinstance(callback, _CommitBatch)
                and callback.send is send
                and not callback.sent
                and set(savepoints) <= active
            ):
                callback.ids.update(ids)
                return
    batch = _CommitBatch(send)
    batch.ids.update(ids)
    transaction.on_commit(batch, robust=robust)
