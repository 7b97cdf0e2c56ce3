"""Pages: every lookup scoped to the user's organisation; keys never reach a page."""

import pytest
from django.urls import reverse

from signing import services
from signing.models import Permit
from tests.factories import AuthorityMemberFactory, EnterpriseMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder_member(holder):
    return EnterpriseMemberFactory(enterprise=holder).user


def test_holder_sees_and_downloads_its_permits(client, issued_permit, holder_member, django_assert_max_num_queries):
    client.force_login(holder_member)
    # 8 for the page and its list, 1 for the header's role lookup (one query whatever the roles).
    # 11: the header counts the cart (one query) and, until the cache has it, the unread notifications.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("signing:my-permits"))
    assert issued_permit.number in response.content.decode()
    response = client.get(reverse("signing:my-permit-download", args=[issued_permit.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == bytes(issued_permit.document.pdf)


def test_my_permits_query_count_stays_flat(
    client, authority, seal, granted_officer, holder, holder_member, django_assert_max_num_queries
):
    from .conftest import permit_data

    with services.sealing_session(seal=seal) as sealer:
        for _ in range(3):
            services.permit_issue(
                authority=authority, actor=granted_officer, data=permit_data(holder), seal=seal, sealer=sealer
            )
    client.force_login(holder_member)
    # 8 for the page and its list, 1 for the header's role lookup (one query whatever the roles).
    # 11: the header counts the cart (one query) and, until the cache has it, the unread notifications.
    with django_assert_max_num_queries(11):
        assert client.get(reverse("signing:my-permits")).status_code == 200


def test_other_enterprises_get_404(client, issued_permit):
    client.force_login(EnterpriseMemberFactory().user)
    response = client.get(reverse("signing:my-permit-download", args=[issued_permit.pk]))
    assert response.status_code == 404
    assert issued_permit.number not in client.get(reverse("signing:my-permits")).content.decode()


def test_anonymous_is_sent_to_log_in(client, issued_permit):
    response = client.get(reverse("signing:my-permit-download", args=[issued_permit.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_officer_issues_a_permit_from_the_form(client, granted_officer, holder, seal):
    client.force_login(granted_officer)
    assert client.get(reverse("signing:permit-issue")).status_code == 200
    response = client.post(
        reverse("signing:permit-issue"),
        {
            "holder_credit_code": holder.credit_code.lower(),
            "matter": "排污许可证核发",
            "scope": "废气排放",
            "conditions": "",
            "valid_from": "2026-01-01",
            "valid_until": "2030-12-31",
        },
    )
    permit = Permit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("signing:authority-permit", args=[permit.pk])
    assert permit.issued_by == granted_officer


def test_issue_form_errors_are_shown_not_500(client, officer, holder, seal):
    client.force_login(officer)  # no grant
    data = {
        "holder_credit_code": holder.credit_code,
        "matter": "m",
        "scope": "s",
        "valid_from": "2026-01-01",
        "valid_until": "2030-12-31",
    }
    response = client.post(reverse("signing:permit-issue"), data)
    assert response.status_code == 200 and "no current grant" in response.content.decode()
    assert not Permit.objects.exists()
    response = client.post(reverse("signing:permit-issue"), {**data, "valid_until": "2025-01-01"})
    assert "must end on or after" in response.content.decode()
    response = client.post(reverse("signing:permit-issue"), {**data, "holder_credit_code": "91110000000000000X"})
    assert "No enterprise" in response.content.decode()


def test_refused_sealing_from_the_form_stays_logged(client, officer, holder, seal):
    from signing.models import SealUse

    client.force_login(officer)
    client.post(
        reverse("signing:permit-issue"),
        {
            "holder_credit_code": holder.credit_code,
            "matter": "m",
            "scope": "s",
            "valid_from": "2026-01-01",
            "valid_until": "2030-12-31",
        },
    )
    assert SealUse.objects.filter(outcome="refused", actor=officer).exists()


def test_authority_pages_are_scoped_to_the_officers_authority(client, issued_permit):
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(reverse("signing:authority-permits")).status_code == 404
    other_officer = AuthorityMemberFactory().user
    client.force_login(other_officer)
    for name in ("signing:authority-permit", "signing:authority-permit-download"):
        assert client.get(reverse(name, args=[issued_permit.pk])).status_code == 404
    assert (
        client.post(
            reverse("signing:authority-permit", args=[issued_permit.pk]), {"action": "revoke", "reason": "x"}
        ).status_code
        == 404
    )
    issued_permit.refresh_from_db()
    assert issued_permit.status == "valid"


def test_officer_suspends_and_revokes_with_a_reason(client, issued_permit, granted_officer):
    client.force_login(granted_officer)
    url = reverse("signing:authority-permit", args=[issued_permit.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"action": "suspend", "reason": ""})
    issued_permit.refresh_from_db()
    assert issued_permit.status == "valid"
    client.post(url, {"action": "suspend", "reason": "Inspection"})
    client.post(url, {"action": "revoke", "reason": "Fraud"})
    issued_permit.refresh_from_db()
    assert issued_permit.status == "revoked" and issued_permit.status_reason == "Fraud"
    page = client.get(url).content.decode()
    assert "Fraud" in page and "Inspection" in page


def test_public_registry_entry(client, issued_permit, granted_officer):
    url = reverse("signing:permit-public", args=[issued_permit.token])
    assert url == f"/v/{issued_permit.token}"
    page = client.get(url).content.decode()
    assert issued_permit.number in page and "Valid" in page and "Test Ecology Bureau" in page
    services.permit_suspend(permit=issued_permit, actor=granted_officer, reason="Inspection")
    assert "Suspended" in client.get(url).content.decode()
    assert client.get("/zh-hans" + url).status_code == 200
    assert client.get(reverse("signing:permit-public", args=["nope"])).status_code == 404


def test_crl_endpoint(client):
    assert client.get("/pki/root-ca.crl").status_code == 200
    assert client.get("/pki/unknown.crl").status_code == 404


def test_keys_never_reach_admin_pages_or_logs(client, issued_permit, seal, pki_dir, caplog):
    from signing.keystores import EncryptedFileKeyStore

    key = EncryptedFileKeyStore(pki_dir).load_private_key(seal.key_ref)
    secret_fragment = format(key.private_numbers().d, "x")[:24]
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    pages = [
        reverse("admin:signing_seal_change", args=[seal.pk]),
        reverse("admin:signing_seal_changelist"),
        reverse("admin:signing_sealuse_changelist"),
        reverse("admin:signing_permit_change", args=[issued_permit.pk]),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert "PRIVATE KEY" not in body and secret_fragment not in body
        assert seal.key_ref not in body
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "PRIVATE KEY" not in logged and secret_fragment not in logged


def test_the_issue_form_has_the_platforms_form_style_and_hides_its_one_time_key(client, granted_officer):
    client.force_login(granted_officer)
    html = client.get(reverse("signing:permit-issue")).content.decode()
    assert 'class="form-control"' in html and 'name="issue_key"' in html
    assert "Issue key" not in html
