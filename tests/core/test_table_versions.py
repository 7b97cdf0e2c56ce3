"""Table version tokens (marketplace/core/table_versions.py): every committed write moves the tokens of
the tables it names, seen in the SQL itself; a rolled-back one moves nothing.

``transactional_db``: a token moves when a write commits, which a test wrapped in one transaction
never does.
"""

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from marketplace.core import table_versions
from marketplace.core.models import Notification
from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("page_cache_on")]
USERS = "accounts_user"
NOTIFICATIONS = Notification._meta.db_table


def _tokens(*tables):
    return table_versions.current(tables)


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('SELECT "accounts_user"."id" FROM "accounts_user"', False),
        ('SELECT "id" FROM "accounts_user" FOR UPDATE', False),
        ("  (SELECT 1) UNION (SELECT 2)", False),
        ('SAVEPOINT "s1"', False),
        ('RELEASE SAVEPOINT "s1"', False),
        ("PRAGMA foreign_keys", False),
        ('INSERT INTO "accounts_user" ("email") VALUES (%s)', True),
        ('UPDATE "accounts_user" SET "first_name" = %s', True),
        ('DELETE FROM "accounts_user" WHERE "id" = %s', True),
        ("TRUNCATE accounts_user", True),
        ("REFRESH MATERIALIZED VIEW some_view", True),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("WITH gone AS (DELETE FROM accounts_user RETURNING id) SELECT count(*) FROM gone", True),
        ("with changed as (update accounts_user set first_name = 'a' returning id) select 1", True),
        ('WITH x AS (SELECT "updated_at", "merged" FROM t) SELECT * FROM x', False),  # verbs inside words
        ("PRAGMA foreign_keys = ON", True),
        ("VACUUM", True),  # not known to be harmless: treated as a write
    ],
)
def test_which_statements_write(sql, writes):
    assert table_versions._writes(sql) is writes


def test_the_tables_a_statement_names_are_the_known_ones_among_its_words():
    sql = 'SELECT "accounts_user"."id" FROM "accounts_user" INNER JOIN core_notification ON (id = user_id)'
    assert table_versions.tables_named(sql) == {USERS, NOTIFICATIONS}
    assert table_versions.tables_named("SELECT 1") == frozenset()


def test_a_committed_write_moves_its_tables_tokens_only_when_it_commits():
    user = UserFactory()
    before = _tokens(USERS, NOTIFICATIONS)
    with transaction.atomic():
        user.first_name = "Changed"
        user.save()
        assert _tokens(USERS) == {USERS: before[USERS]}  # not yet: it may still roll back
    after = _tokens(USERS, NOTIFICATIONS)
    assert after[USERS] != before[USERS]
    assert after[NOTIFICATIONS] == before[NOTIFICATIONS]


def test_a_rolled_back_write_moves_nothing():
    user = UserFactory()
    before = _tokens(USERS)
    with pytest.raises(RuntimeError), transaction.atomic():
        user.first_name = "Never"
        user.save()
        raise RuntimeError
    assert _tokens(USERS) == before


def test_a_rolled_back_savepoint_drops_its_writes_and_keeps_the_rest():
    user = UserFactory()
    before = _tokens(USERS, NOTIFICATIONS)
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            Notification.objects.create(user=user, kind="orders", subject={}, body={}, channel="platform")
            raise RuntimeError
        user.first_name = "Kept"
        user.save()
    after = _tokens(USERS, NOTIFICATIONS)
    assert after[USERS] != before[USERS]
    assert after[NOTIFICATIONS] == before[NOTIFICATIONS]


def test_a_write_inside_a_savepoint_that_commits_with_its_transaction_moves_the_token():
    user = UserFactory()
    before = _tokens(NOTIFICATIONS)
    with transaction.atomic():
        user.first_name = "First"
        user.save()
        with transaction.atomic():
            Notification.objects.create(user=user, kind="orders", subject={}, body={}, channel="platform")
    assert _tokens(NOTIFICATIONS) != before


def test_a_write_that_names_no_known_table_retires_everything():
    before = _tokens(table_versions.EVERYTHING)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE scratch_for_test (id integer)")
        cursor.execute("DROP TABLE scratch_for_test")
    assert _tokens(table_versions.EVERYTHING) != before


def test_reading_collects_the_tables_read_and_whether_anything_wrote():
    user = UserFactory()
    with table_versions.reading() as outer:
        with table_versions.reading() as inner:
            list(Notification.objects.filter(user=user))
        assert inner.tables == {NOTIFICATIONS} and not inner.wrote
        user.save()
    assert outer.tables == {NOTIFICATIONS} and outer.wrote  # a write is not a read


def test_an_evicted_token_comes_back_as_a_new_one():
    first = _tokens(USERS)[USERS]
    cache.delete(table_versions.key(USERS))
    assert _tokens(USERS)[USERS] != first


def test_off_when_the_page_cache_is_off(settings):
    settings.PAGE_CACHE_SECONDS = 0
    before = _tokens(USERS)
    UserFactory()
    assert _tokens(USERS) == before


def test_a_write_commits_when_the_cache_is_unreachable(monkeypatch, caplog):
    """The cache failing is simulated: the write stands, the failure is logged, nothing raises."""

    def fail(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    user = UserFactory()
    monkeypatch.setattr(table_versions.cache, "set_many", fail)
    with transaction.atomic():
        user.first_name = "Saved anyway"
        user.save()
    user.first_name = "Saved outside a transaction too"
    user.save()
    monkeypatch.undo()
    user.refresh_from_db()
    assert user.first_name == "Saved outside a transaction too"
    assert "Could not retire the version tokens" in caplog.text
