"""Bulk issuance is idempotent: every row has a key (its own "key" column, or a digest of its
content), stored with the permit under a unique constraint, so a re-run file — after a kill, or two
runs at once — issues each row once and reports the rest; the issue form's double submit issues once."""

import csv
import threading

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from signing import services
from signing.exceptions import PermitError
from signing.models import DocumentKind, Permit
from tests.concurrency import POSTGRES_ONLY, in_thread
from tests.factories import AuthorityMemberFactory, EnterpriseFactory, IssuingAuthorityFactory
from tests.signing.conftest import permit_data
from tests.signing.test_services import _rows

pytestmark = pytest.mark.django_db


def issue(authority, officer, rows):
    return services.permits_issue_bulk(authority=authority, actor=officer, rows=rows)


def test_running_the_same_rows_again_issues_nothing_twice(authority, seal, granted_officer, holder):
    first = issue(authority, granted_officer, _rows(holder, 3))
    again = issue(authority, granted_officer, _rows(holder, 3))
    assert again.issued == [] and [a.number for a in again.already] == first.issued
    assert Permit.objects.count() == 3
    # Spacing and case do not make a new permit of the same content.
    tweaked = _rows(holder, 1, row0={"matter": "  排污许可   0 ", "holder_credit_code": holder.credit_code.lower()})
    assert issue(authority, granted_officer, tweaked).already[0].number == first.issued[0]


def test_a_key_column_names_rows_and_identical_rows_without_keys_are_refused(authority, seal, granted_officer, holder):
    twins = _rows(holder, 2, row1={"matter": "排污许可 0"})
    with pytest.raises(PermitError, match="Rows 1 and 2 describe the same permit"):
        issue(authority, granted_officer, twins)
    assert not Permit.objects.exists()
    keyed = [{**row, "key": f"batch-7/{n}"} for n, row in enumerate(twins, start=1)]
    assert len(issue(authority, granted_officer, keyed).issued) == 2
    assert set(Permit.objects.values_list("issue_key", flat=True)) == {"batch-7/1", "batch-7/2"}
    assert issue(authority, granted_officer, keyed).issued == []


def test_the_same_key_at_another_authority_is_another_permit(authority, seal, granted_officer, holder, seal_material):
    from signing.services.seals import _seal_from_chain

    other = IssuingAuthorityFactory(name="Other Bureau", number_prefix="OTB")
    chain_pem, key_ref = seal_material
    other_seal = _seal_from_chain(
        authority=other, name="Other", purpose="Permits", chain_pem=chain_pem, key_store="encrypted", key_ref=key_ref
    )
    officer = AuthorityMemberFactory(authority=other).user
    services.grant_create(seal=other_seal, user=officer, document_kind=DocumentKind.PERMIT)
    issue(authority, granted_officer, _rows(holder, 1))
    assert len(issue(other, officer, _rows(holder, 1)).issued) == 1


def test_the_command_reports_what_a_re_run_did_not_issue(authority, seal, granted_officer, holder, tmp_path, capsys):
    path = tmp_path / "permits.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=services.CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(_rows(holder, 2))
    args = ("issue_permit", "--authority", authority.code, "--officer", granted_officer.email, "--from-csv", path)
    call_command(*args)
    capsys.readouterr()
    call_command(*args)
    out = capsys.readouterr().out
    year = timezone.localdate().year
    assert "Issued 0 of 2 permits" in out and "2 row(s) already issued" in out
    assert f"row 1 (line 2): already issued as TEB-{year}-000001" in out


def test_submitting_the_issue_form_twice_issues_one_permit(client, authority, seal, granted_officer, holder):
    client.force_login(granted_officer)
    url = reverse("signing:permit-issue")
    token = client.get(url).context["form"].initial["issue_key"]
    data = permit_data(holder)
    post = {
        "holder_credit_code": holder.credit_code,
        "matter": data.matter,
        "scope": data.scope,
        "conditions": data.conditions,
        "valid_from": data.valid_from.isoformat(),
        "valid_until": data.valid_until.isoformat(),
        "issue_key": token,
    }
    first = client.post(url, post)
    second = client.post(url, post, follow=True)
    permit = Permit.objects.get()
    assert first.url == second.redirect_chain[-1][0] == reverse("signing:authority-permit", args=[permit.pk])
    assert "was issued once" in second.content.decode()
    assert client.get(url).context["form"].initial["issue_key"] != token  # a new form, a new permit


def postgres_only(test):
    for mark in reversed(POSTGRES_ONLY):
        test = mark(test)
    return test


@postgres_only
def test_two_runs_of_one_file_at_once_issue_each_row_once(authority, seal, granted_officer):
    holder = EnterpriseFactory()
    rows = _rows(holder, 4)
    barrier = threading.Barrier(2)
    results = {}

    def run():
        barrier.wait()
        return issue(authority, granted_officer, rows)

    threads = [in_thread(run, results, n) for n in range(2)]
    for thread in threads:
        thread.join(120)
    assert all(not isinstance(r, Exception) for r in results.values()), results
    assert sum(len(r.issued) for r in results.values()) == 4
    assert sum(len(r.already) for r in results.values()) == 4
    assert Permit.objects.count() == 4 and Permit.objects.values("issue_key").distinct().count() == 4
