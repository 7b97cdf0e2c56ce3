"""Issuing in three steps (signing/services/permits.py): the number reserved and committed first,
the PDF sealed with no transaction open, then everything recorded at once. Faults are injected
between the steps (by replacing the internal step that comes next); whatever stops, nothing of the
permit is recorded, its number stays reserved for its key, and issuing the key again uses it."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from signing import services, verifier
from signing.exceptions import GrantRequired, PermitError
from signing.models import (
    Permit,
    PermitEvent,
    PermitNumberReservation,
    PermitSequence,
    SealedDocument,
    SealUse,
)
from signing.services import permits
from translog.models import LogLeaf

from .conftest import permit_data
from .test_services import _rows

pytestmark = pytest.mark.django_db


def _number(n: int) -> str:
    return f"TEB-{timezone.localdate().year}-{n:06d}"


def _crash_on_call(monkeypatch, name: str, on: int):
    """Replace ``permits.<name>`` with one that raises on call number ``on`` and passes the others on."""
    real = getattr(permits, name)
    calls = []

    def crashing(*args, **kwargs):
        calls.append(1)
        if len(calls) == on:
            raise RuntimeError("process killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(permits, name, crashing)
    return lambda: monkeypatch.setattr(permits, name, real)


def _nothing_recorded_for(number: str) -> None:
    assert not Permit.objects.filter(number=number).exists()
    assert not SealedDocument.objects.filter(number=number).exists()
    assert not SealUse.objects.filter(document_number=number).exists()
    assert not PermitEvent.objects.filter(permit__number=number).exists()
    assert not LogLeaf.objects.filter(data__contains=number).exists()


def _reissue_uses_the_reserved_number(authority, officer, rows) -> None:
    result = services.permits_issue_bulk(authority=authority, actor=officer, rows=rows)
    assert [(a.row, a.number) for a in result.already] == [(1, _number(1))]
    assert result.issued == [_number(2), _number(3)]
    assert PermitSequence.objects.get(authority=authority).last == 3  # no number was taken twice
    permit = Permit.objects.get(number=_number(2))
    reservation = PermitNumberReservation.objects.get(number=_number(2))
    assert reservation.issue_key == permit.issue_key
    assert verifier.verify_document(bytes(permit.document.pdf)).verdict == "valid"
    assert services.seal_log_verify().ok


def test_a_crash_after_the_number_is_reserved_and_before_sealing(authority, seal, granted_officer, holder, monkeypatch):
    restore = _crash_on_call(monkeypatch, "_permit_seal", on=2)
    with pytest.raises(RuntimeError):
        services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 3))
    restore()
    _nothing_recorded_for(_number(2))
    assert PermitNumberReservation.objects.filter(number=_number(2)).exists()
    assert services.seal_log_verify().ok
    _reissue_uses_the_reserved_number(authority, granted_officer, _rows(holder, 3))


def test_a_crash_after_sealing_and_before_the_record_commits(authority, seal, granted_officer, holder, monkeypatch):
    """The crash is inside the recording transaction, after the seal-use entry (and its transparency
    log leaf) was appended: the rollback takes them with it, and the hash chain still verifies."""
    restore = _crash_on_call(monkeypatch, "sealed_document_record", on=2)
    with pytest.raises(RuntimeError):
        services.permits_issue_bulk(authority=authority, actor=granted_officer, rows=_rows(holder, 3))
    restore()
    _nothing_recorded_for(_number(2))
    assert SealUse.objects.filter(outcome="sealed").count() == 1
    assert services.seal_log_verify().ok
    _reissue_uses_the_reserved_number(authority, granted_officer, _rows(holder, 3))


@pytest.mark.django_db(transaction=True)
def test_a_key_issued_again_after_a_failed_sealing_gets_its_reserved_number(
    authority, seal, granted_officer, holder, monkeypatch
):
    """One permit through ``permit_issue`` outside any transaction (a command, a task): the failed
    sealing keeps the key's number, issuing the key again uses it, and a permit without a key
    takes the next."""
    restore = _crash_on_call(monkeypatch, "_permit_seal", on=1)
    data = permit_data(holder, issue_key="task:abc")
    with pytest.raises(RuntimeError):
        services.permit_issue(authority=authority, actor=granted_officer, data=data)
    restore()
    assert not Permit.objects.exists() and PermitNumberReservation.objects.get().number == _number(1)
    assert services.permit_issue(authority=authority, actor=granted_officer, data=data).number == _number(1)
    unkeyed = services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    assert unkeyed.number == _number(2)
    assert PermitNumberReservation.objects.get(number=_number(2)).issue_key == ""


def test_inside_the_callers_transaction_a_failed_sealing_reserves_no_number(
    authority, seal, granted_officer, holder, monkeypatch
):
    """The web form's path (``ATOMIC_REQUESTS``): the request's transaction goes on after the error
    (the form is shown again) and holds no number for the failed permit."""
    restore = _crash_on_call(monkeypatch, "_permit_seal", on=1)
    data = permit_data(holder, issue_key="form:abc")
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            services.permit_issue(authority=authority, actor=granted_officer, data=data)
        assert not PermitNumberReservation.objects.exists()
        assert not PermitSequence.objects.filter(last__gt=0).exists()
        restore()
        assert services.permit_issue(authority=authority, actor=granted_officer, data=data).number == _number(1)


def test_a_refused_or_invalid_permit_reserves_no_number(authority, seal, officer, holder):
    with pytest.raises(GrantRequired):
        services.permit_issue(authority=authority, actor=officer, data=permit_data(holder, issue_key="k"))
    with pytest.raises(PermitError):
        ended = timezone.localdate().replace(year=1999)
        services.permit_issue(authority=authority, actor=officer, data=permit_data(holder, valid_until=ended))
    assert not PermitNumberReservation.objects.exists()
    assert SealUse.objects.filter(outcome="refused").count() == 1


def test_reservations_are_append_only(authority, seal, granted_officer, holder):
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PermitNumberReservation.objects.update(issue_key="rewritten")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PermitNumberReservation.objects.all()._raw_delete(PermitNumberReservation.objects.db)
    assert PermitNumberReservation.objects.get().issue_key == ""


@pytest.mark.django_db(transaction=True)
def test_sealing_runs_with_no_transaction_open(authority, seal, granted_officer, holder, monkeypatch):
    """Outside any caller's transaction, the reservation is committed before the PDF is sealed."""
    seen = []
    real = permits._permit_seal

    def watching(*, reserved, sealer):
        reservation = PermitNumberReservation.objects.filter(number=reserved.number)
        seen.append((connection.in_atomic_block, reservation.exists()))
        return real(reserved=reserved, sealer=sealer)

    monkeypatch.setattr(permits, "_permit_seal", watching)
    services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    assert seen == [(False, True)]
