"""init_pki and the demo permits: idempotent, complete, and using the real services."""

import pytest
from django.core.management import call_command

from signing.models import AuthorityMember, IssuingAuthority, Permit, Seal, SealUse
from signing.services import seal_log_verify

pytestmark = pytest.mark.django_db


def test_init_pki_is_idempotent(capsys):
    call_command("init_pki")
    first = capsys.readouterr().out
    assert "seal:onewindow" in first and "seal:bj-eeb" in first
    seals = list(Seal.objects.values_list("pk", "certificate_serial"))
    call_command("init_pki")
    assert "nothing to do" in capsys.readouterr().out
    assert list(Seal.objects.values_list("pk", "certificate_serial")) == seals
    assert IssuingAuthority.objects.filter(is_platform=True).count() == 1


def test_load_demo_issues_eleven_sealed_permits_once(capsys):
    """Ten demo permits, and one issued from an approval case citing its delivery notes."""
    call_command("load_demo", "--quiet-logins")
    authority = IssuingAuthority.objects.get(code="bj-eeb")
    assert AuthorityMember.objects.filter(authority=authority, user__email="officer@demo.onewindow.local").exists()
    permits = Permit.objects.filter(authority=authority)
    assert permits.count() == 11
    assert sorted(permits.values_list("status", flat=True)) == ["revoked", "suspended"] + ["valid"] * 9
    from_case = permits.get(case__isnull=False)
    assert from_case.citations and all(c["kind"] == "delivery_note" for c in from_case.citations)
    assert SealUse.objects.filter(outcome="sealed", document_kind="permit").count() == 11
    assert Permit.objects.filter(holder__members__email="buyer@demo.onewindow.local").exists()
    call_command("load_demo", "--quiet-logins")
    assert Permit.objects.count() == 11
    assert SealUse.objects.filter(document_kind="permit").count() == 11
    assert seal_log_verify().ok
