"""A version token per database table, moved on by every committed write to it, seen in the SQL.

Every statement a connection runs passes :func:`_watch` (installed on each connection as it opens).
A statement that can write (anything but a ``SELECT`` or transaction control) names the tables it
touches; when its transaction commits, each of them gets a new random token in the cache, so
whatever was built from the table's old contents can tell it is out of date. A rolled-back write
moves nothing.

Reading the statements rather than the model signals catches every write the application makes:
``QuerySet.update``, ``bulk_create``, raw SQL, Celery tasks and management commands included. Writes
from outside the application (``psql``, another service) are not seen; whoever caches must bound
them with a timeout.

The tables a statement names are the known tables (every model's, many-to-many tables included)
among its words: an over-approximation, which costs an extra retirement, never a missed one. A write
that names no known table moves :data:`EVERYTHING`, a pseudo-table every dependant holds; so does
``migrate``.

:func:`reading` collects the tables the statements run inside it read, and whether any wrote, so a
cached page depends on exactly the tables it was made from (:mod:`marketplace.core.page_cache`). A
value read from the cache rather than the database is not a statement: code that serves one says
which tables it came from with :func:`note_read`, names a narrower source whose every change it
retires itself (:func:`note_source`, :func:`retire_on_commit`: one person's unread count, say), or
says that it cannot be tracked (:func:`note_untracked`).

Off when ``PAGE_CACHE_SECONDS`` is 0 (nothing depends on the tokens then).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache as memoise
from uuid import uuid4

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)
KEY_PREFIX = "ow:table-version:"
EVERYTHING = "*"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Statements that never write: a read, or transaction and session control.
_READ_ONLY = frozenset({"SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET", "SHOW", "EXPLAIN"})


@memoise
def known_tables() -> frozenset[str]:
    return frozenset(model._meta.db_table for model in apps.get_models(include_auto_created=True))


def tables_named(sql: str) -> frozenset[str]:
    return known_tables().intersection(_WORD.findall(sql))


_CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
_CTE_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE")


def _writes(sql: str) -> bool:
    first = _WORD.match(sql.lstrip(" \n\t("))
    verb = first.group(0).upper() if first else ""
    if verb == "PRAGMA":
        return "=" in sql  # SQLite: reading a pragma is a read, setting one is connection state
    if verb == "WITH":
        # The verbs looked for as plain text first: the case-blind word search alone took 0.45 ms
        # over the search's 8 kB statement, which names none of them.
        upper = sql.upper()
        return any(word in upper for word in _CTE_WRITE_VERBS) and _CTE_WRITE.search(sql) is not None
    return verb not in _READ_ONLY


def key(table: str) -> str:
    return KEY_PREFIX + table


def new_token() -> str:
    return uuid4().hex


def retire(tables: Iterable[str]) -> None:
    """New tokens for ``tables``: everything built from their old contents is out of date."""
    tables = set(tables)
    if tables:
        cache.set_many({key(table): new_token() for table in tables}, timeout=None)


def retire_on_commit(*sources: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Retire named sources (not tables: values kept in the cache, see :func:`note_source`) once the
    current transaction commits, or now outside one."""
    if settings.PAGE_CACHE_SECONDS > 0:
        _retire_on_commit(connections[using], set(sources))


def current(tables: Iterable[str]) -> dict[str, str]:
    """The tokens of ``tables`` now, each made if the cache holds none (never written since the cache
    started, or evicted). A token is only ever added, never overwritten here: a retirement racing
    with this call wins, and a token once retired never comes back."""
    tables = list(tables)
    found = cache.get_many([key(table) for table in tables])
    tokens = {table: found.get(key(table)) for table in tables}
    for table, token in tokens.items():
        if token is None:
            cache.add(key(table), new_token(), timeout=None)
            tokens[table] = cache.get(key(table))
    return tokens


# --- Reads: what a piece of work was made from -----------------------------------------------------


@dataclass
class Reads:
    tables: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    untracked: bool = False
    # Tokens of named sources, read when the source was noted: before what it stands for was read.
    snapshots: dict[str, str] = field(default_factory=dict)

    @property
    def wrote(self) -> bool:
        return bool(self.written)


_reading: ContextVar[Reads | None] = ContextVar("table_versions_reading", default=None)


@contextmanager
def reading() -> Iterator[Reads]:
    """Collect the tables read (and whether anything was written) by the statements run inside; an
    enclosing collection gets them too."""
    reads = Reads()
    marker = _reading.set(reads)
    try:
        yield reads
    finally:
        _reading.reset(marker)
        if (outer := _reading.get()) is not None:
            outer.tables |= reads.tables
            outer.written |= reads.written
            outer.untracked |= reads.untracked
            outer.snapshots = reads.snapshots | outer.snapshots


@contextmanager
def not_reading() -> Iterator[None]:
    """Statements run inside are not collected: their result is followed by a named source instead."""
    marker = _reading.set(None)
    try:
        yield
    finally:
        _reading.reset(marker)


def note_read(*models) -> None:
    """A value built from these models' tables was taken from the cache, not the database."""
    reads = _reading.get()
    if reads is not None:
        reads.tables.update(model._meta.db_table for model in models)


def note_source(name: str) -> None:
    """A value is about to be taken from a named source: one whose every change is followed by
    :func:`retire_on_commit` with that name (narrower than its whole table). Call it *before*
    reading the value: its token is read now, so a change committed after it retires the work."""
    reads = _reading.get()
    if reads is not None:
        reads.tables.add(name)
        if name not in reads.snapshots:
            try:
                reads.snapshots[name] = current([name])[name]
            except Exception:  # the cache unreachable: no token, so what is made is not kept
                logger.warning("Could not read the version token of %s", name, exc_info=True)


# --- Narrower sources for busy tables ---------------------------------------------------------------
#
# A table written often and read by many pages (messages: every order page reads the thread) would
# retire all of them on every write. Its readers may hold a narrower source instead (one order's
# thread), which the code that writes the table retires itself. A write to the table that comes
# with no source of its family in the same transaction (a writer that does not know of the
# narrowing: an admin action, a data fix) retires the family's own source, which every narrowed
# reader also holds, so nothing is missed: it only costs a wider retirement.

_FAMILIES: dict[str, str] = {}
_narrowed: ContextVar[frozenset[str]] = ContextVar("table_versions_narrowed", default=frozenset())


def narrow(family: str, *models) -> None:
    """Let readers of these models' tables hold ``family`` sources (``"<family>:<id>"``) instead."""
    for model in models:
        _FAMILIES[model._meta.db_table] = family


def family_source(family: str) -> str:
    return f"{family}:*"


@contextmanager
def narrowed(family: str, source: str) -> Iterator[None]:
    """Reads of the family's tables inside are recorded as ``source`` (and the family's own source),
    not as the tables. Writes are recorded as usual."""
    tables = frozenset(table for table, name in _FAMILIES.items() if name == family)
    note_source(source)
    note_source(family_source(family))
    marker = _narrowed.set(_narrowed.get() | tables)
    try:
        yield
    finally:
        _narrowed.reset(marker)


def _with_families(written: set[str]) -> set[str]:
    """``written`` plus the family source of each narrowed table written without a source of its
    family beside it."""
    for family in {_FAMILIES[table] for table in written if table in _FAMILIES}:
        prefix, whole = f"{family}:", family_source(family)
        if not any(name.startswith(prefix) and name != whole for name in written):
            written = written | {whole}
    return written


def note_untracked() -> None:
    """What is being made depends on something no table token follows: it must not be kept."""
    reads = _reading.get()
    if reads is not None:
        reads.untracked = True


# --- The watcher ------------------------------------------------------------------------------


class _Pending:
    """The tables one transaction (or savepoint) wrote, retired together when it commits."""

    def __init__(self):
        self.tables: set[str] = set()

    def __call__(self):
        _retire_logged(_with_families(self.tables))


def _retire_logged(tables: set[str]) -> None:
    try:
        retire(tables)
    except Exception:  # the cache unreachable (any backend's error): the write stands, and what it
        # should have retired is kept at most PAGE_CACHE_SECONDS; a write must never fail for this
        logger.exception("Could not retire the version tokens of %s", sorted(tables))


def _watch(execute, sql, params, many, context):
    reads = _reading.get()
    if not _writes(sql):
        if reads is not None:
            reads.tables |= tables_named(sql) - _narrowed.get()
        return execute(sql, params, many, context)
    result = execute(sql, params, many, context)
    if reads is not None or settings.PAGE_CACHE_SECONDS > 0:
        tables = tables_named(sql) or {EVERYTHING}
        if reads is not None:
            reads.written |= tables
        if settings.PAGE_CACHE_SECONDS > 0:
            _retire_on_commit(context["connection"], tables)
    return result


def _retire_on_commit(connection, tables: set[str]) -> None:
    if not connection.in_atomic_block:
        _retire_logged(_with_families(tables))  # autocommit: the write is committed already
        return
    # One pending set per savepoint level, still registered: a rolled-back savepoint drops its own
    # callback (and so its tables), and a set is reused only while Django still holds it.
    level = tuple(connection.savepoint_ids)
    held = getattr(connection, "_table_versions_pending", None)
    if held is not None and held[0] == level and any(entry[1] is held[1] for entry in connection.run_on_commit):
        held[1].tables |= tables
        return
    pending = _Pending()
    pending.tables |= tables
    connection.on_commit(pending)
    connection._table_versions_pending = (level, pending)


def _install(sender, connection, **kwargs) -> None:
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def _after_migrate(sender, **kwargs) -> None:
    if settings.PAGE_CACHE_SECONDS > 0:
        retire([EVERYTHING])


def connect() -> None:
    connection_created.connect(_install, dispatch_uid="table-versions-install")
    post_migrate.connect(_after_migrate, dispatch_uid="table-versions-migrate")
    for connection in connections.all(initialized_only=True):
        _install(None, connection)
