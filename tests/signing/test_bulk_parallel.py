"""Bulk issuance in worker processes (``--workers``): this process reserves each row's number in
order, forked workers seal and record. On PostgreSQL (real concurrent transactions, a database
other processes open): every row issued exactly once, numbers contiguous, every PDF valid, the
seal-use chain intact — also when the same file runs twice at once, and when a worker is killed.
Where processes cannot share the database the batch seals in one process and says why."""

import csv
import multiprocessing
import os
import re
import signal
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from signing import services, verifier
from signing.exceptions import KeyStoreError
from signing.models import Permit, PermitEvent, PermitNumberReservation, PermitSequence, SealedDocument, SealUse
from signing.services import permits, permits_bulk
from tests.concurrency import POSTGRES_ONLY

from .test_services import _rows

pytestmark = pytest.mark.django_db

ROWS = 6


def postgres_only(test):
    for mark in reversed(POSTGRES_ONLY):
        test = mark(test)
    return test


def _numbers(*ns) -> list[str]:
    year = timezone.localdate().year
    return [f"TEB-{year}-{n:06d}" for n in ns]


def _csv(path, rows) -> str:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=services.CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def _command(authority, officer, path, *extra) -> tuple[str, str]:
    """Run ``issue_permit --from-csv``; (its output, the CommandError's message or "")."""
    out = StringIO()
    args = ["--authority", authority.code, "--officer", officer.email, "--from-csv", path, *extra]
    try:
        call_command("issue_permit", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), ""


def _every_row_issued_once(authority, rows: int) -> None:
    permits_ = list(Permit.objects.filter(authority=authority).order_by("number"))
    assert [p.number for p in permits_] == _numbers(*range(1, rows + 1))  # contiguous, no duplicate
    assert len({p.issue_key for p in permits_}) == rows
    assert PermitSequence.objects.get(authority=authority).last == rows
    assert SealedDocument.objects.count() == PermitEvent.objects.count() == rows
    assert SealUse.objects.filter(outcome="sealed").count() == rows
    for permit in permits_:
        report = verifier.verify_document(bytes(permit.document.pdf))
        assert report.verdict == "valid", (permit.number, report.reason, report.detail, report.permit)
    assert services.seal_log_verify().ok
    # The seal-use log is in commit order: its times rise with its ids, and each entry is written after
    # the PDF it names was sealed (in another process, possibly after a later number's PDF).
    uses = list(SealUse.objects.filter(outcome="sealed").order_by("id"))
    assert [u.created_at for u in uses] == sorted(u.created_at for u in uses)
    sealed_at = dict(SealedDocument.objects.values_list("number", "sealed_at"))
    assert all(use.created_at >= sealed_at[use.document_number] for use in uses)


@postgres_only
def test_two_workers_seal_a_file_each_row_once(authority, seal, granted_officer, holder, tmp_path, monkeypatch):
    """Both processes seal (each writes its process id as it seals a row); the bar counts the whole file."""
    real, sealed_by = permits_bulk._row_complete, tmp_path / "pids"

    def recording(reserved, sealer):
        with sealed_by.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(reserved, sealer)

    monkeypatch.setattr(permits_bulk, "_row_complete", recording)
    out, error = _command(authority, granted_officer, _csv(tmp_path / "f.csv", _rows(holder, ROWS)), "--workers", "2")
    assert error == ""
    assert f"Issued {ROWS} of {ROWS} permits in" in out and "(2 worker processes)" in out
    assert f"] {ROWS}/{ROWS} · " in out
    pids = sealed_by.read_text().split()
    assert len(pids) == ROWS and len(set(pids)) == 2 and str(os.getpid()) not in pids
    _every_row_issued_once(authority, ROWS)


@postgres_only
def test_numbers_follow_the_rows_and_bad_rows_are_reported_in_order(authority, seal, granted_officer, holder):
    rows = _rows(holder, 5, row1={"holder_credit_code": "91110000000000000X"}, row3={"valid_until": "31/12/2030"})
    ticks = []
    result = services.permits_issue_bulk(
        authority=authority, actor=granted_officer, rows=rows, workers=2, progress=ticks.append
    )
    assert result.workers == 2 and result.note == "" and result.stopped == []
    assert result.issued == _numbers(1, 2, 3)  # rows 1, 3 and 5, in their order
    assert [(e.row, "credit code" in e.message or "YYYY-MM-DD" in e.message) for e in result.errors] == [
        (2, True),
        (4, True),
    ]
    assert sorted(ticks) == ticks == [1, 2, 3, 4, 5]
    assert list(Permit.objects.order_by("number").values_list("matter", flat=True)) == [
        "排污许可 0",
        "排污许可 2",
        "排污许可 4",
    ]


def _run_in_another_process(target) -> multiprocessing.Process:
    """A separate OS process (as a second operator's command would be), itself allowed to fork workers."""
    connections.close_all()
    process = multiprocessing.get_context("fork").Process(target=target, daemon=False)
    process.start()
    return process


@postgres_only
def test_the_same_file_twice_at_once_with_workers_issues_each_row_once(
    authority, seal, granted_officer, holder, tmp_path
):
    path = _csv(tmp_path / "f.csv", _rows(holder, ROWS))
    start = multiprocessing.get_context("fork").Barrier(2)

    def run(n):
        def target():
            start.wait()
            out, error = _command(authority, granted_officer, path, "--workers", "2")
            (tmp_path / f"out{n}").write_text(out + error)
            connections.close_all()

        return target

    processes = [_run_in_another_process(run(n)) for n in range(2)]
    for process in processes:
        process.join(300)
        assert process.exitcode == 0
    outputs = [(tmp_path / f"out{n}").read_text() for n in range(2)]
    issued = [int(re.search(r"Issued (\d+) of", out).group(1)) for out in outputs]
    already = [int(m.group(1)) if (m := re.search(r"(\d+) row\(s\) already issued", out)) else 0 for out in outputs]
    assert sum(issued) == ROWS and sum(already) == ROWS, outputs
    assert all("row(s) not issued" not in out for out in outputs), outputs
    _every_row_issued_once(authority, ROWS)


def _kill_the_worker_at(matter: str, *, after_recording: bool):
    real = permits_bulk._row_complete

    def dying(reserved, sealer):
        if reserved.data.matter == matter and not after_recording:
            os.kill(os.getpid(), signal.SIGKILL)
        outcome = real(reserved, sealer)
        if reserved.data.matter == matter:
            os.kill(os.getpid(), signal.SIGKILL)  # recorded, but the parent is never told
        return outcome

    return dying


@postgres_only
def test_a_killed_worker_loses_nothing_the_other_issued(
    authority, seal, granted_officer, holder, tmp_path, monkeypatch
):
    """Row 3's worker is killed (SIGKILL) before it seals: the rows it held are named as not issued, the
    command exits non-zero, the other worker issues the rest; the re-run issues the rows it lost
    under the numbers reserved for them."""
    real = permits_bulk._row_complete
    monkeypatch.setattr(permits_bulk, "_row_complete", _kill_the_worker_at("排污许可 2", after_recording=False))
    path = _csv(tmp_path / "f.csv", _rows(holder, ROWS))
    out, error = _command(authority, granted_officer, path, "--workers", "2")
    assert re.fullmatch(r"worker \d stopped: killed by signal 9\. Run the file again .*", error), error
    lost = [int(n) for n in re.findall(r"row (\d) \(line \d\): Not issued \(worker \d stopped", out)]
    assert 3 in lost and len(lost) <= 2, out  # the row it sealed and the one it held next
    issued = set(Permit.objects.values_list("matter", flat=True))
    assert issued == {f"排污许可 {n}" for n in range(ROWS)} - {f"排污许可 {n - 1}" for n in lost}
    assert services.seal_log_verify().ok
    reserved = dict(PermitNumberReservation.objects.values_list("issue_key", "number"))

    monkeypatch.setattr(permits_bulk, "_row_complete", real)
    out, error = _command(authority, granted_officer, path, "--workers", "2")
    assert error == "" and f"Issued {len(lost)} of {ROWS}" in out
    for permit in Permit.objects.all():
        assert reserved[permit.issue_key] == permit.number
    _every_row_issued_once(authority, ROWS)


@postgres_only
def test_a_worker_killed_after_recording_its_permit_reports_it_issued(
    authority, seal, granted_officer, holder, monkeypatch
):
    monkeypatch.setattr(permits_bulk, "_row_complete", _kill_the_worker_at("排污许可 2", after_recording=True))
    result = services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 4), workers=2)
    assert len(result.stopped) == 1 and "killed by signal 9" in result.stopped[0]
    assert _numbers(3)[0] in result.issued  # found recorded, though its worker never said so
    assert Permit.objects.filter(number=_numbers(3)[0], matter="排污许可 2").exists()


@postgres_only
def test_workers_that_cannot_open_the_key_take_no_number(authority, seal, granted_officer, holder, monkeypatch):
    """A key store that fails in every worker: no row is handed out, so no number is reserved."""

    def token_missing(**kwargs):
        raise KeyStoreError("The token is not present.")

    monkeypatch.setattr(permits_bulk, "sealing_session", token_missing)
    result = services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 3), workers=2)
    assert len(result.stopped) == 2 and all("KeyStoreError: The token is not present." in s for s in result.stopped)
    assert [e.row for e in result.errors] == [1, 2, 3] and result.issued == []
    assert all("no worker process was left" in e.message for e in result.errors)
    assert not PermitNumberReservation.objects.exists() and not Permit.objects.exists()


@postgres_only
def test_no_lock_is_held_while_a_permit_is_sealed(authority, seal, granted_officer, holder, monkeypatch):
    """While a permit is being sealed another connection takes the number lock and the seal-use log's
    head lock at once (NOWAIT): other processes issue meanwhile."""
    from signing.models import SealLogHead

    services.seal_log_append(seal=seal, actor=None, document_kind="permit", outcome="refused")  # the head row
    real, taken = permits._permit_seal, []

    def with_a_second_connection(*, reserved, sealer):
        def grab():
            with transaction.atomic():
                taken.append(PermitSequence.objects.select_for_update(nowait=True).get(authority=authority).last)
                taken.append(SealLogHead.objects.select_for_update(nowait=True).get(pk=1).entries)
            connection.close()

        thread = threading.Thread(target=grab)
        thread.start()
        thread.join(30)
        return real(reserved=reserved, sealer=sealer)

    monkeypatch.setattr(permits, "_permit_seal", with_a_second_connection)
    services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 1))
    assert taken == [1, 1]


def test_where_processes_cannot_share_the_database_one_process_seals_and_says_why(
    authority, seal, granted_officer, holder, tmp_path
):
    """The unit tests' SQLite database is in memory; on PostgreSQL the test's transaction is the reason."""
    reason = "in memory (SQLite)" if connection.vendor == "sqlite" else "inside a transaction"
    result = services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 2), workers=2)
    assert result.workers == 1 and reason in result.note and len(result.issued) == 2
    out, error = _command(authority, granted_officer, _csv(tmp_path / "f.csv", _rows(holder, 3)), "--workers", "4")
    assert error == "" and "Issued 1 of 3 permits" in out and "(1 process)" in out
    assert f"Sealed in one process: {result.note}." in out
