"""Certifying a provider issues a certificate sealed by the platform; its standing follows the
provider's, and anyone can verify it like a permit."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers import services as provider_services
from providers.models import ProviderCertificate
from signing.demo import pki_init
from signing.models import DocumentKind
from tests.factories import make_certified_provider, staff_user
from tests.signing.offline import module_mm, offline_check, printed_codes, printed_text, qr_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _platform_seal(settings):
    settings.VERIFY_ISOLATE = False
    cache.clear()
    pki_init()


@pytest.fixture
def certified(catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return make_certified_provider(categories=[catalogue.get(code="eia")])


def verify(client, pdf: bytes) -> dict:
    upload = SimpleUploadedFile("certificate.pdf", pdf, content_type="application/pdf")
    return client.post(reverse("signing:api-verify"), {"file": upload}).json()


def test_certification_issues_a_sealed_certificate_that_verifies(client, certified):
    certificate = ProviderCertificate.objects.get(provider=certified)
    assert certificate.document.kind == DocumentKind.PROVIDER_CERTIFICATE
    body = verify(client, bytes(certificate.document.pdf))
    assert body["verdict"] == "valid", body["reason"]
    assert body["permit"]["kind"] == "provider_certificate"
    assert body["permit"]["holder"] == certified.name


def test_a_suspended_providers_certificate_verifies_as_suspended(client, certified):
    certificate = ProviderCertificate.objects.get(provider=certified)
    provider_services.provider_suspend(provider=certified, reviewer=staff_user(), reason="Quality complaints")
    body = verify(client, bytes(certificate.document.pdf))
    assert body["verdict"] == "suspended"
    assert body["permit"]["status_reason"] == "Quality complaints"


def test_members_download_their_certificate_and_nobody_else_does(client, certified, catalogue):
    owner = certified.memberships.first().user
    client.force_login(owner)
    response = client.get(reverse("providers:console-certificate"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"

    other = make_certified_provider(categories=[catalogue.get(code="surveying")])  # no on_commit: no certificate
    client.force_login(other.memberships.first().user)
    assert client.get(reverse("providers:console-certificate")).status_code == 404


def test_without_a_platform_seal_certification_still_succeeds(catalogue, django_capture_on_commit_callbacks, settings):
    from signing.models import IssuingAuthority

    IssuingAuthority.objects.filter(is_platform=True).update(is_platform=False)
    with django_capture_on_commit_callbacks(execute=True):
        provider = make_certified_provider(categories=[catalogue.get(code="eia")])
    assert provider.status == "certified"
    assert not ProviderCertificate.objects.filter(provider=provider).exists()


def test_the_backfill_command_issues_missing_certificates_once(catalogue, capsys):
    from django.core.management import call_command

    provider = make_certified_provider(categories=[catalogue.get(code="eia")])  # no on_commit: no certificate
    call_command("issue_provider_certificates")
    assert "Certificates issued: 1." in capsys.readouterr().out
    assert ProviderCertificate.objects.filter(provider=provider).count() == 1
    call_command("issue_provider_certificates")
    assert "Certificates issued: 0." in capsys.readouterr().out


def test_the_backfill_command_fails_clearly_without_a_platform_seal(catalogue):
    from django.core.management import CommandError, call_command

    from signing.models import IssuingAuthority

    make_certified_provider(categories=[catalogue.get(code="eia")])
    IssuingAuthority.objects.filter(is_platform=True).update(is_platform=False)
    with pytest.raises(CommandError, match="no seal yet"):
        call_command("issue_provider_certificates")


def test_only_a_certified_provider_receives_a_certificate(catalogue):
    from providers import certificates
    from signing.exceptions import PermitError

    provider = make_certified_provider(categories=[catalogue.get(code="eia")])
    provider.status = "suspended"
    with pytest.raises(PermitError):
        certificates.provider_certificate_issue(provider=provider)
    assert not ProviderCertificate.objects.filter(provider=provider).exists()


def test_the_certificate_carries_a_platform_signed_code_checked_offline(certified, tmp_path):
    """Printed and scanned, the certificate's signed code checks offline against the trust list, and
    says suspended once the provider is: the list names its certificate from then on."""
    certificate = ProviderCertificate.objects.get(provider=certified)
    (code,) = printed_codes(bytes(certificate.document.pdf), tmp_path)
    assert qr_version(code.text) <= 15 and module_mm(code) >= 0.4  # scannable at print size
    verdict = offline_check(code.text)
    assert verdict.verdict == "valid"
    claims = verdict.claims
    assert (claims.kind, claims.number) == ("provider_certificate", certificate.document.number)
    assert claims.credit_code == certified.credit_code and claims.issuer == "onewindow"
    assert "环境影响评价" in claims.matter
    text = printed_text(bytes(certificate.document.pdf), tmp_path)  # both ways to check, explained
    assert "Offline check" in text and "Online check" in text and "在线核验" in text

    provider_services.provider_suspend(provider=certified, reviewer=staff_user(), reason="Quality complaints")
    suspended = offline_check(code.text)
    assert suspended.verdict == "suspended" and suspended.status_since
    provider_services.provider_revoke(provider=certified, reviewer=staff_user(), reason="Forged reports")
    assert offline_check(code.text).verdict == "revoked"
