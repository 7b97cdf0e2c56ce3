"""Append-only tables, enforced by the database: triggers refuse UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE) whatever issues them — the ORM's ``QuerySet.update()/delete()``, raw SQL,
a database shell. Installed by migrations on PostgreSQL and SQLite::

    from marketplace.core.append_only import append_only

    operations = [append_only("procurement", "Selection", set_once=["winner"], false_to_true=["superseded"])]

``set_once`` fields may go from NULL to a value once; ``false_to_true`` booleans may be raised once;
every other column of an UPDATE must stay as it was. The error is the database's integrity error
(``django.db.IntegrityError``) with the message ``onewindow: <table> is append-only``.

The triggers are named ``onewindow_ao_<table>_<what>``; ``suspended(connection)`` lifts them for a
block (the test suite's flush between transactional tests, and tests that play an operator
rewriting history) and puts them back.
"""

from contextlib import contextmanager

from django.db import migrations

PREFIX = "onewindow_ao_"
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION onewindow_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'onewindow: % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql
"""


def _permitted_update(model, vendor: str, set_once, false_to_true) -> str:
    """A boolean SQL expression over OLD/NEW: true when the update only makes allowed transitions."""
    same = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
    free = {model._meta.get_field(name).column for name in (*set_once, *false_to_true)}
    parts = [
        f'NEW."{field.column}" {same} OLD."{field.column}"'
        for field in model._meta.concrete_fields
        if field.column not in free
    ]
    for name in set_once:
        column = model._meta.get_field(name).column
        parts.append(f'(NEW."{column}" {same} OLD."{column}" OR OLD."{column}" IS NULL)')
    for name in false_to_true:
        column = model._meta.get_field(name).column
        true = "TRUE" if vendor == "postgresql" else "1"
        parts.append(f'(NEW."{column}" {same} OLD."{column}" OR NEW."{column}" = {true})')
    return " AND ".join(parts)


def _statements(model, vendor: str, set_once=(), false_to_true=()) -> list[str]:
    table = model._meta.db_table
    message = f"onewindow: {table} is append-only"
    when = ""
    if set_once or false_to_true:
        when = f"WHEN (NOT ({_permitted_update(model, vendor, set_once, false_to_true)}))"
    if vendor == "postgresql":
        run = "EXECUTE FUNCTION onewindow_append_only()"
        return [
            PG_FUNCTION,
            f'CREATE TRIGGER "{PREFIX}{table}_update" BEFORE UPDATE ON "{table}" FOR EACH ROW {when} {run}',
            f'CREATE TRIGGER "{PREFIX}{table}_delete" BEFORE DELETE ON "{table}" FOR EACH ROW {run}',
            f'CREATE TRIGGER "{PREFIX}{table}_truncate" BEFORE TRUNCATE ON "{table}" FOR EACH STATEMENT {run}',
        ]
    if vendor == "sqlite":
        body = f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        return [
            f'CREATE TRIGGER "{PREFIX}{table}_update" BEFORE UPDATE ON "{table}" FOR EACH ROW {when} {body}',
            f'CREATE TRIGGER "{PREFIX}{table}_delete" BEFORE DELETE ON "{table}" FOR EACH ROW {body}',
        ]
    raise NotImplementedError(f"append-only triggers are written for PostgreSQL and SQLite, not {vendor}")


def append_only(app_label: str, model_name: str, *, set_once=(), false_to_true=()) -> migrations.RunPython:
    """The migration operation that makes ``app_label.model_name``'s table append-only (reversible)."""

    def install(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        for sql in _statements(model, schema_editor.connection.vendor, set_once, false_to_true):
            schema_editor.execute(sql, params=None)

    def remove(apps, schema_editor):
        table = apps.get_model(app_label, model_name)._meta.db_table
        for what in ("update", "delete", "truncate"):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{PREFIX}{table}_{what}" ON "{table}"')
            else:
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{PREFIX}{table}_{what}"')

    return migrations.RunPython(install, remove, elidable=False)


@contextmanager
def suspended(connection, tables=None):
    """Lift the append-only triggers for the block, then restore them (SQLite: those of ``tables``,
    else all; PostgreSQL: every ordinary trigger, for this session)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Replica mode skips ordinary triggers for this session (ours, and foreign-key checks: this
            # is for maintenance and tests only). Needs a superuser; ALTER TABLE ... DISABLE TRIGGER
            # would fail inside a transaction with pending deferred constraint events.
            cursor.execute("SHOW session_replication_role")
            (previous,) = cursor.fetchone()
            cursor.execute("SET session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute(f"SET session_replication_role = {previous}")
            return
        cursor.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?", [PREFIX + "%"]
        )
        triggers = [(name, sql) for name, table, sql in cursor.fetchall() if tables is None or table in tables]
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            yield
        finally:
            for _name, sql in triggers:
                cursor.execute(sql)
