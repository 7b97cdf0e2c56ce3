"""Grants, the hash-chained seal-use log, permit numbering and status, bulk issuance."""

import csv
import datetime as dt
import re

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from marketplace.core.append_only import suspended
from signing import services
from signing.exceptions import GrantRequired, PermitError, SealNotUsable
from signing.models import DocumentKind, Permit, PermitEvent, PermitSequence, SealedDocument, SealLogHead, SealUse
from tests.factories import AuthorityMemberFactory, UserFactory

from .conftest import permit_data

pytestmark = pytest.mark.django_db


def _refused(**filters):
    return SealUse.objects.filter(outcome=SealUse.Outcome.REFUSED, **filters)


def test_sealing_without_a_grant_is_refused_and_logged(authority, seal, officer, holder):
    with pytest.raises(GrantRequired, match="You hold no current grant to apply the seal “Test seal”"):
        services.permit_issue(authority=authority, actor=officer, data=permit_data(holder))
    assert Permit.objects.count() == 0 and SealedDocument.objects.count() == 0
    entry = _refused(actor=officer).get()
    assert entry.detail == "no current grant" and entry.document_kind == DocumentKind.PERMIT
    assert not PermitSequence.objects.filter(last__gt=0).exists()


def test_expired_revoked_and_wrong_kind_grants_do_not_count(authority, seal, officer, holder):
    now = timezone.now()
    services.grant_create(
        seal=seal,
        user=officer,
        document_kind=DocumentKind.PERMIT,
        valid_until=now - dt.timedelta(minutes=1),
        valid_from=now - dt.timedelta(days=2),
    )
    services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.SERVICE_CONTRACT)
    grant = services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    services.grant_revoke(grant=grant, actor=officer)
    services.grant_create(
        seal=seal, user=officer, document_kind=DocumentKind.PERMIT, valid_from=now + dt.timedelta(days=1)
    )
    with pytest.raises(GrantRequired):
        services.permit_issue(authority=authority, actor=officer, data=permit_data(holder))
    assert _refused().count() == 1


def test_only_officers_of_the_authority_may_issue(authority, seal, holder):
    outsider = UserFactory()
    services.grant_create(seal=seal, user=outsider, document_kind=DocumentKind.PERMIT)
    with pytest.raises(PermitError):
        services.permit_issue(authority=authority, actor=outsider, data=permit_data(holder))


@pytest.fixture
def own_seal(authority, pki):
    """A seal with its own certificate: revoking it must not revoke the session's shared one."""
    return services.seal_create(authority=authority, name="Own seal", pki=pki)


def test_revoked_seal_refuses_and_goes_on_the_crl(authority, own_seal, officer, holder, pki):
    seal = own_seal
    services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    services.seal_revoke(seal=seal, reason="key compromise", pki=pki)
    seal.refresh_from_db()
    with pytest.raises(SealNotUsable):
        services.permit_issue(authority=authority, actor=officer, data=permit_data(holder), seal=seal)
    assert _refused(seal=seal).get().detail == "seal not usable"
    crl = x509.load_der_x509_crl(pki.crl_der("seal-ca"))
    assert crl.get_revoked_certificate_by_serial_number(int(seal.certificate_serial)) is not None


def test_revoke_seal_command(own_seal, pki, client):
    seal = own_seal
    call_command("revoke_seal", str(seal.pk), "--reason", "retired")
    seal.refresh_from_db()
    assert seal.status == "revoked"
    response = client.get("/pki/seal-ca.crl")
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.get_revoked_certificate_by_serial_number(int(seal.certificate_serial)) is not None
    with pytest.raises(CommandError):
        call_command("revoke_seal", "999999", "--reason", "x")


def test_permit_numbers_are_prefixed_yearly_and_sequential(authority, seal, granted_officer, holder):
    year = timezone.localdate().year
    with services.sealing_session(seal=seal) as sealer:
        numbers = [
            services.permit_issue(
                authority=authority, actor=granted_officer, data=permit_data(holder), seal=seal, sealer=sealer
            ).number
            for _ in range(3)
        ]
    assert numbers == [f"TEB-{year}-00000{i}" for i in (1, 2, 3)]
    tokens = set(Permit.objects.values_list("token", flat=True))
    assert len(tokens) == 3 and all(len(t) >= 32 for t in tokens)


def test_seal_log_chain_verifies_and_detects_tampering(issued_permit, authority, seal, granted_officer, holder):
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    assert services.seal_log_verify().ok
    call_command("verify_seal_log")
    first, second = SealUse.objects.order_by("id")
    # Rewrite history behind the model's back: an UPDATE straight to the table, the triggers lifted.
    with suspended(connection):
        SealUse.objects.filter(pk=first.pk).update(document_number="FORGED-1")
    result = services.seal_log_verify()
    assert not result.ok and result.first_broken_id == first.pk
    with pytest.raises(CommandError, match=f"entry #{first.pk}"):
        call_command("verify_seal_log")


def test_seal_log_detects_a_deleted_entry(issued_permit, authority, granted_officer, holder):
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    first, second = SealUse.objects.order_by("id")
    with suspended(connection):
        SealUse.objects.filter(pk=first.pk)._raw_delete(SealUse.objects.db)
    result = services.seal_log_verify()
    assert not result.ok and result.first_broken_id == second.pk


def test_seal_log_is_append_only(issued_permit):
    entry = SealUse.objects.get()
    entry.detail = "changed"
    with pytest.raises(Exception, match="append-only"):
        entry.save()
    with pytest.raises(Exception, match="append-only"):
        entry.delete()


def test_status_changes_keep_the_pdf_and_record_history(issued_permit, granted_officer):
    permit = issued_permit
    pdf = bytes(permit.document.pdf)
    services.permit_suspend(permit=permit, actor=granted_officer, reason="Inspection pending")
    with pytest.raises(PermitError):
        services.permit_suspend(permit=permit, actor=granted_officer, reason="again")
    services.permit_reinstate(permit=permit, actor=granted_officer, reason="Inspection passed")
    with pytest.raises(PermitError):
        services.permit_revoke(permit=permit, actor=granted_officer, reason="  ")
    services.permit_revoke(permit=permit, actor=granted_officer, reason="Obtained by deception")
    with pytest.raises(PermitError):
        services.permit_reinstate(permit=permit, actor=granted_officer, reason="no")
    permit.refresh_from_db()
    assert permit.status == "revoked" and permit.status_reason == "Obtained by deception"
    assert bytes(permit.document.pdf) == pdf
    assert list(permit.events.values_list("action", flat=True)) == ["issued", "suspended", "reinstated", "revoked"]


def test_status_change_by_another_authority_is_refused(issued_permit):
    stranger = AuthorityMemberFactory().user
    with pytest.raises(PermitError):
        services.permit_suspend(permit=issued_permit, actor=stranger, reason="x")


def test_expiry(issued_permit):
    assert services.permits_expire(today=issued_permit.valid_until + dt.timedelta(days=1)) == 1
    issued_permit.refresh_from_db()
    assert issued_permit.status == "expired"
    assert issued_permit.events.last().action == PermitEvent.Action.EXPIRED


def _rows(holder, n, **bad):
    rows = []
    for i in range(n):
        rows.append(
            {
                "holder_credit_code": holder.credit_code,
                "matter": f"排污许可 {i}",
                "scope": "废气排放",
                "conditions": "",
                "valid_from": "2026-01-01",
                "valid_until": "2030-12-31",
            }
        )
    for index, row in bad.items():
        rows[int(index.removeprefix("row"))].update(row)
    return rows


def test_bulk_issue_continues_past_bad_rows(authority, seal, granted_officer, holder):
    rows = _rows(holder, 5, row1={"holder_credit_code": "91110000000000000X"}, row3={"valid_until": "31/12/2030"})
    ticks = []
    result = services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=rows, progress=ticks.append)
    assert len(result.issued) == 3
    assert [e.row for e in result.errors] == [2, 4]
    assert "credit code" in result.errors[0].message and "YYYY-MM-DD" in result.errors[1].message
    assert ticks == [1, 2, 3, 4, 5]
    assert Permit.objects.count() == SealedDocument.objects.count() == 3


def test_a_crash_mid_batch_leaves_no_half_issued_permit(authority, seal, granted_officer, holder, monkeypatch):
    """The failure is injected right after the second PDF is sealed, before it is recorded (by
    replacing the internal step that records it). Its number stays reserved for its row, and the
    re-run issues the row under it: no gap. (tests/signing/test_issue_steps.py stops the flow at
    each step.)"""
    from signing.services import permits

    record = permits._permit_record
    calls = []

    def crash_on_the_second(**kwargs):
        calls.append(kwargs["permit"].number)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return record(**kwargs)

    monkeypatch.setattr(permits, "_permit_record", crash_on_the_second)
    with pytest.raises(RuntimeError):
        services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 4))
    monkeypatch.setattr(permits, "_permit_record", record)
    year = timezone.localdate().year
    assert list(Permit.objects.values_list("number", flat=True)) == [f"TEB-{year}-000001"]
    assert SealedDocument.objects.count() == 1
    assert SealUse.objects.filter(outcome="sealed").count() == 1  # the sealing of row 2 rolled back too
    assert PermitSequence.objects.get(authority=authority).last == 2  # row 2's number, reserved for it
    assert services.seal_log_verify().ok
    # Re-run as the README says: row 1 is not issued again, row 2 gets its reserved number, no gap.
    result = services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 4))
    assert [(a.row, a.number) for a in result.already] == [(1, f"TEB-{year}-000001")]
    assert result.issued == [f"TEB-{year}-00000{n}" for n in (2, 3, 4)]
    assert Permit.objects.count() == 4


def test_issue_permit_command_from_csv(authority, seal, granted_officer, holder, tmp_path, capsys):
    path = tmp_path / "permits.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=services.CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(_rows(holder, 3, row1={"matter": ""}))
    call_command("issue_permit", "--authority", authority.code, "--officer", granted_officer.email, "--from-csv", path)
    out = capsys.readouterr().out
    assert "Issued 2 of 3 permits" in out
    assert "row 2 (line 3): Missing value(s): matter" in out
    assert "[##############################] 3/3" in out
    # Each step says the rate so far and what is left at that rate; at the end, nothing.
    assert re.search(r"1/3 · [0-9.]+/s · about \d+ s left", out) and "3/3 · " in out and "about 0 s left" in out


def test_issue_permit_command_single(authority, seal, granted_officer, holder, capsys):
    call_command(
        "issue_permit",
        "--authority",
        authority.code,
        "--officer",
        granted_officer.email,
        "--holder",
        holder.credit_code,
        "--matter",
        "辐射安全许可",
        "--scope",
        "III类射线装置",
        "--valid-from",
        "2026-01-01",
        "--valid-until",
        "2027-01-01",
    )
    assert "Issued TEB-" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Only officers"):
        call_command(
            "issue_permit",
            "--authority",
            authority.code,
            "--officer",
            UserFactory().email,
            "--holder",
            holder.credit_code,
            "--matter",
            "x",
            "--scope",
            "y",
            "--valid-from",
            "2026-01-01",
            "--valid-until",
            "2027-01-01",
        )


def test_bulk_celery_task_runs_the_service(authority, seal, granted_officer, holder):
    from signing.tasks import permits_issue_bulk

    result = permits_issue_bulk.delay(
        authority_id=authority.pk, actor_id=granted_officer.pk, rows=_rows(holder, 1)
    ).get()
    assert len(result["issued"]) == 1 and result["errors"] == []


def test_the_grant_is_checked_once_per_permit(authority, seal, granted_officer, holder, monkeypatch):
    """One grant lookup per sealing: not again in a nested call, nor again when the seal is applied."""
    from signing.services import sealing

    real = sealing.may_apply_seal
    checks = []

    def counting(**kwargs):
        checks.append(kwargs["document_kind"])
        return real(**kwargs)

    monkeypatch.setattr(sealing, "may_apply_seal", counting)
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    assert checks == [DocumentKind.PERMIT]
    checks.clear()
    result = services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 3))
    assert len(result.issued) == 3 and checks == [DocumentKind.PERMIT] * 3


def test_sealing_needs_an_authorisation(seal, granted_officer):
    """seal_apply takes only what seal_authorise hands out: there is no way to pass an actor past the check."""
    with pytest.raises(TypeError):
        services.seal_apply(  # type: ignore[call-arg]
            seal=seal,
            actor=granted_officer,
            document_kind=DocumentKind.PERMIT,
            document_number="X",
            pdf=b"",
            sealer=None,
        )
    authorisation = services.seal_authorise(seal=seal, actor=granted_officer, document_kind=DocumentKind.PERMIT)
    assert authorisation.seal == seal and authorisation.actor == granted_officer


def _rehash_from(entries, start: int) -> str:
    """An operator's rewrite: change an entry and recompute every hash after it (the table's own
    chain then verifies); returns the new last hash."""
    prev = entries[start - 1].entry_hash if start else "0" * 64
    for entry in entries[start:]:
        entry.prev_hash = prev
        entry.document_number = entry.document_number + "-X" if entry is entries[start] else entry.document_number
        entry.entry_hash = entry.compute_hash()
        SealUse.objects.filter(pk=entry.pk).update(
            prev_hash=entry.prev_hash, document_number=entry.document_number, entry_hash=entry.entry_hash
        )
        prev = entry.entry_hash
    return prev


def test_a_rehashed_tail_with_the_head_moved_is_caught_by_the_transparency_log(
    issued_permit, authority, granted_officer, holder
):
    """The issue's case: rewrite entry 2, re-hash from there and move the head. The chain verifies on
    its own; the entries no longer match what the transparency log recorded."""
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    entries = list(SealUse.objects.order_by("id"))
    with suspended(connection):
        last = _rehash_from(entries, 1)
        SealLogHead.objects.filter(pk=1).update(last_hash=last)
    result = services.seal_log_verify()
    assert not result.ok and result.first_broken_id == entries[1].pk
    assert "transparency log" in result.problem


def test_the_last_entries_deleted_and_the_head_moved_back_is_caught(issued_permit, authority, granted_officer, holder):
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    entries = list(SealUse.objects.order_by("id"))
    with suspended(connection):
        SealUse.objects.filter(pk__in=[e.pk for e in entries[-2:]]).delete()
        SealLogHead.objects.filter(pk=1).update(last_hash=entries[-3].entry_hash, entries=len(entries) - 2)
    result = services.seal_log_verify()
    assert not result.ok and result.first_broken_id == entries[-2].pk and "gone" in result.problem
