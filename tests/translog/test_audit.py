"""The standalone auditor (tools/log_audit.py) against a running instance (pytest-django's live
server): a clean log passes; a record rewritten, a record removed and re-signed, or a fork shown
after an earlier audit, are each caught from the public endpoints alone."""

import json
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from marketplace.core.append_only import suspended
from signing import services
from signing.services import tree_heads
from tests.signing.conftest import permit_data
from tests.tools import load_tool
from translog import merkle
from translog.models import LogLeaf, LogState, TreeHead

pytestmark = pytest.mark.django_db(transaction=True)

log_audit = load_tool("log_audit")


def rewrite(sql: str, params=()) -> None:
    """What an operator with the database could do: raw SQL with the append-only triggers lifted."""
    with suspended(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def log(authority, granted_officer, holder):
    """Two permits issued; each status change is signed at once (its on-commit head)."""
    for _n in range(2):
        services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))


def run(live_server, state: Path, *extra) -> int:
    return log_audit.main(["--url", live_server.url, "--state", str(state), *extra])


def test_a_clean_log_passes_and_pins_the_root(live_server, log, tmp_path, capsys):
    state = tmp_path / "state.json"
    assert run(live_server, state) == 0
    out = capsys.readouterr().out
    assert "2 tree heads" in out and "seal-use links" in out
    saved = json.loads(state.read_text())
    assert len(saved["root_sha256"]) == 64 and len(saved["heads"]) == 2
    assert run(live_server, state, "--root-sha256", "00" * 32) == 1
    assert "root certificate changed" in capsys.readouterr().err


def test_a_rewritten_record_is_caught(live_server, log, tmp_path, capsys):
    leaf = LogLeaf.objects.get(index=1)
    forged = leaf.data[:-1] + ',"note":"quietly changed"}'
    rewrite(
        "UPDATE translog_logleaf SET data = %s, leaf_hash = %s WHERE id = %s",
        (forged, merkle.leaf_hash(forged.encode()).hex(), leaf.pk),
    )
    assert run(live_server, tmp_path / "state.json") == 1
    assert "a record was changed, removed or reordered" in capsys.readouterr().err


def test_history_rewritten_and_resigned_after_an_audit_is_a_fork(live_server, log, tmp_path, capsys):
    state = tmp_path / "state.json"
    assert run(live_server, state) == 0
    # The operator removes the last record, moves the size back, drops the heads and signs anew:
    # every head now served is self-consistent, but the auditor remembers the tree it saw.
    size = LogState.objects.get().size
    rewrite('DELETE FROM translog_logleaf WHERE "index" = %s', (size - 1,))
    LogState.objects.filter(pk=1).update(size=size - 1)  # the lock row is not a record
    rewrite("DELETE FROM translog_treehead")
    tree_heads.tree_head_sign()
    assert TreeHead.objects.count() == 1
    assert run(live_server, state) == 1
    assert "was seen before" in capsys.readouterr().err


def test_the_auditor_waits_out_the_rate_limit(live_server, log, tmp_path, settings, monkeypatch):
    """The API allows so many requests a minute; an audit makes one per head and waits when told to.
    Waiting is simulated (the minute passes at once); the server's limit and answers are real."""
    settings.API_RATE_LIMIT_PER_MINUTE = 1  # an audit of two heads asks three or four things
    cache.clear()
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        cache.clear()  # the next minute's allowance

    monkeypatch.setattr(log_audit.time, "sleep", sleep)
    assert run(live_server, tmp_path / "state.json") == 0
    assert waits and all(1 <= seconds <= 60 for seconds in waits)


def test_an_unreachable_instance_is_exit_2(tmp_path, capsys):
    assert log_audit.main(["--url", "http://127.0.0.1:9", "--state", str(tmp_path / "s.json")]) == 2
