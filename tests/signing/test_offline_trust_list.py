"""The published trust list (what ``/.well-known/onewindow-trust-list.json`` serves, cached between
makings) is made again hourly by a beat task and at once on every change to what it says: a permit
suspended, reinstated or revoked, a provider certificate's standing, a document signer rotated or
withdrawn. Each test reads the list as a verifier would, through ``trust_list_current``, so a change
that forgot to drop the cached list leaves the old verdict and fails the test."""

import datetime as dt

import pytest
from django.core.cache import cache

from providers import services as provider_services
from providers.models import ProviderCertificate
from signing import demo, qr_payload, services, tasks, trust_list
from signing.models import DocumentSigner
from signing.pki import Pki
from signing.services import document_signers
from tests.factories import make_certified_provider, staff_user

from .offline import printed_codes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_list_from_another_test():
    cache.delete(document_signers.TRUST_LIST_CACHE_KEY)


def published() -> dict:
    """The list a verifier downloads now, opened under the platform root."""
    content, _issuer = trust_list.trust_list_open(
        trust_list.trust_list_current(), root=Pki.default().certificate("root-ca")
    )
    return content


def verdict_of(code: str) -> qr_payload.QrVerdict:
    content, issuer = trust_list.trust_list_open(
        trust_list.trust_list_current(), root=Pki.default().certificate("root-ca")
    )
    signers, documents = trust_list.verifier_inputs(content, issuer=issuer)
    return qr_payload.verify(code, signers=signers, revoked=documents)


def test_the_list_is_made_again_every_hour_and_says_when_the_next_is_due(settings, issued_permit):
    services.authority_ensure(**demo.PLATFORM)
    assert settings.CELERY_BEAT_SCHEDULE["signing-trust-list"] == {
        "task": "signing.tasks.trust_list_refresh",
        "schedule": 3600.0,
    }
    first = trust_list.trust_list_current()
    assert trust_list.trust_list_current() == first  # served from the cache between makings
    content = published()
    made, due = dt.datetime.fromisoformat(content["made_at"]), dt.datetime.fromisoformat(content["next_due"])
    assert due - made == dt.timedelta(hours=1) and abs(made - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)

    tasks.trust_list_refresh.delay()  # the beat task (eager here: no broker)
    refreshed = trust_list.trust_list_current()
    assert refreshed["signature"] != first["signature"]
    assert published()["made_at"] >= content["made_at"]


def test_every_change_to_a_permits_standing_reaches_the_published_list(
    issued_permit, granted_officer, django_capture_on_commit_callbacks
):
    services.authority_ensure(**demo.PLATFORM)
    code = document_signers.permit_printed_code(permit=issued_permit)
    assert verdict_of(code).verdict == "valid"  # published and cached from here on
    for change, expected in (
        (services.permit_suspend, "suspended"),
        (services.permit_reinstate, "valid"),
        (services.permit_revoke, "revoked"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            change(permit=issued_permit, actor=granted_officer, reason="Inspection.")
        verdict = verdict_of(code)
        assert verdict.verdict == expected
        assert bool(verdict.status_since) == (expected != "valid")
    assert {"kind": "permit", "number": issued_permit.number, "status": "revoked"}.items() <= next(
        row for row in published()["documents"] if row["number"] == issued_permit.number
    ).items()


def test_rotating_or_withdrawing_a_key_reaches_the_published_list(
    issued_permit, authority, django_capture_on_commit_callbacks
):
    services.authority_ensure(**demo.PLATFORM)
    old_code = document_signers.permit_printed_code(permit=issued_permit)
    old = DocumentSigner.objects.get(authority=authority)
    assert verdict_of(old_code).verdict == "valid"
    with django_capture_on_commit_callbacks(execute=True):
        new = document_signers.document_signer_create(authority=authority)
    statuses = {row["kid"]: row["status"] for row in published()["signers"]}
    assert statuses[old.kid] == "retired" and statuses[new.kid] == "active"
    new_code = document_signers.permit_printed_code(permit=issued_permit)
    assert verdict_of(new_code).verdict == verdict_of(old_code).verdict == "valid"
    with django_capture_on_commit_callbacks(execute=True):
        document_signers.document_signer_revoke(signer=DocumentSigner.objects.get(pk=old.pk))
    assert old.kid not in {row["kid"] for row in published()["signers"]}
    assert verdict_of(old_code).verdict == "unknown_key" and verdict_of(new_code).verdict == "valid"


def test_a_provider_certificates_standing_reaches_the_published_list(
    catalogue, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The certificate's standing is its provider's: suspending, reinstating and revoking the provider
    each change the verdict on the certificate's printed code at once."""
    settings.VERIFY_ISOLATE = False
    demo.pki_init()
    with django_capture_on_commit_callbacks(execute=True):
        provider = make_certified_provider(categories=[catalogue.get(code="eia")])
    certificate = ProviderCertificate.objects.get(provider=provider)
    (printed,) = printed_codes(bytes(certificate.document.pdf), tmp_path)
    assert verdict_of(printed.text).verdict == "valid"  # published and cached from here on
    reviewer = staff_user()
    for change, reason, expected in (
        (provider_services.provider_suspend, {"reason": "Complaints"}, "suspended"),
        (provider_services.provider_reinstate, {}, "valid"),
        (provider_services.provider_revoke, {"reason": "Forgery"}, "revoked"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            change(provider=provider, reviewer=reviewer, **reason)
        assert verdict_of(printed.text).verdict == expected
    row = next(row for row in published()["documents"] if row["number"] == certificate.document.number)
    assert (row["kind"], row["status"]) == ("provider_certificate", "revoked")
