"""An independent verifier agrees with ours: poppler's ``pdfsig`` on the documents we really issue.

Each document is issued through the real services (a permit, a service contract sealed by the
platform, the buyer and the provider, a provider certificate, a verification report) under the
session's test PKI, checked by our verifier, then handed to ``pdfsig`` with a throw-away NSS
database that trusts only the platform root CA. Nothing is mocked.

What pdfsig (poppler 22.12, Debian bookworm) checks, per signature: the CMS signature and the
digest of the /ByteRange bytes ("Signature is Valid."), then, only for a valid signature, the
signer's chain up to a trust anchor in the NSS database, now, with the key usage NSS asks of a
document signer ("Certificate is Trusted.").

What it does not check: revocation (our certificates name only CRL distribution points, NSS's
policy forbids fetching CRLs, and pdfsig does not read the CRLs in the document's DSS; OCSP would
only be asked of a responder named in an AIA extension, which :func:`pdfsig.assert_offline`
checks none of the certificates has, so nothing goes online); that the ByteRange covers the whole
file, or what later incremental updates changed (DocMDP); the PAdES level; and document
timestamps (SubFilter ETSI.RFC3161) at all: it lists them with the TSA as signer but prints
"Signature has not yet been verified." and, on stderr, "Unable to validate this type of
signature". Those are checked instead with ``openssl ts -verify`` over the same signed bytes and
against the same root; should a later pdfsig check them, it must find them valid and trusted.
"""

from __future__ import annotations

import uuid

import pytest
from asn1crypto import pem

from marketplace.hiring import contracts
from providers.models import ProviderCertificate
from signing import services, verifier
from signing.models import DocumentKind
from signing.pki import Pki
from signing.report_pdf import render_verification_report
from tests.factories import make_certified_provider
from tests.factories.contracts import contract_parties, platform_with_seal

from . import pdfsig

pytestmark = [pytest.mark.django_db, pdfsig.requires_pdfsig]

PLATFORM_SEAL = "OneWindow Platform Seal"  # the platform's seal in tests/factories/contracts.py
TSA = "OneWindow Timestamp Authority"


@pytest.fixture(autouse=True)
def _in_process_verification(settings):
    settings.VERIFY_ISOLATE = False  # isolation has its own tests; here it would only add a process


@pytest.fixture(scope="session")
def platform_root(pki_dir):
    return Pki(pki_dir).root()


@pytest.fixture(scope="session")
def root_pem(tmp_path_factory, platform_root):
    path = tmp_path_factory.mktemp("root") / "root.pem"
    path.write_bytes(pem.armor("CERTIFICATE", platform_root.dump()))
    return path


@pytest.fixture(scope="session")
def trusting_nss(tmp_path_factory, platform_root):
    """An NSS database whose only trust anchor is the platform root CA."""
    return pdfsig.nss_database(tmp_path_factory.mktemp("nss-trusting"), trusted_root=platform_root)


@pytest.fixture
def agrees(trusting_nss, root_pem, tmp_path):
    """Assert that pdfsig finds every signature our verifier reports valid and trusted; return its report."""

    def check(pdf: bytes, *, seals: list[str], timestamps: int) -> pdfsig.PdfsigReport:
        ours = verifier.verify_document(pdf)
        assert ours.verdict == "valid", ours.reason
        report = pdfsig.run_pdfsig(pdf, nss_dir=trusting_nss, work_dir=tmp_path)
        assert report.returncode == 0, report.describe()

        # pdfsig sees the same signatures we do: the same fields, ByteRanges and signers.
        theirs = {signature.field_name: signature for signature in report.signatures}
        assert len(theirs) == len(report.signatures) == len(ours.signatures) == len(seals) + timestamps
        assert sorted(theirs) == sorted(signature.field_name for signature in ours.signatures), report.describe()
        assert sorted(s.byte_range for s in report.signatures) == sorted(pdfsig.byte_ranges(pdf))
        assert sorted(s.signer for s in report.signatures) == sorted([*seals, *[TSA] * timestamps])

        unchecked_timestamps = []
        for mine in ours.signatures:
            signature = theirs[mine.field_name]
            assert mine.valid and mine.trusted, mine.field_name
            assert signature.signer and signature.signer in mine.signer, (signature.signer, mine.signer)
            if mine.kind == "document_timestamp" and signature.signature_validation == pdfsig.SIGNATURE_NOT_VERIFIED:
                assert signature.signature_type == "unknown", report.describe()  # ETSI.RFC3161 is not known
                unchecked_timestamps.append(signature.byte_range)
                continue
            assert signature.signature_validation == pdfsig.SIGNATURE_VALID, report.describe()
            assert signature.certificate_validation == pdfsig.CERTIFICATE_TRUSTED, report.describe()
        assert report.stderr.count(pdfsig.UNSUPPORTED_SUBFILTER) == len(unchecked_timestamps), report.describe()

        if unchecked_timestamps and pdfsig.OPENSSL is None:
            pytest.skip("pdfsig found the seals valid and trusted; its document timestamps need openssl, missing")
        for byte_range in unchecked_timestamps:
            result = pdfsig.openssl_verify_timestamp(pdf, byte_range, root_pem=root_pem, work_dir=tmp_path)
            assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stdout + result.stderr
        return report

    return check


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


def test_an_issued_permit_is_valid_and_trusted_in_pdfsig(issued_permit, agrees):
    report = agrees(bytes(issued_permit.document.pdf), seals=["Test Bureau Seal"], timestamps=1)
    assert report.signatures[0].field_name == "OneWindowSeal"
    assert report.signatures[0].signature_type == "ETSI.CAdES.detached"


def test_a_sealed_contract_has_three_seals_valid_and_trusted_in_pdfsig(eia, contract_materials, agrees):
    platform_with_seal(contract_materials["platform"])
    service_order, buyer, provider_user = contract_parties(category=eia, materials=contract_materials)
    contract = contracts.contract_issue(service_order=service_order)
    contracts.contract_seal(contract=contract, actor=buyer)
    contract = contracts.contract_seal(contract=contract, actor=provider_user)
    contract.refresh_from_db()

    report = agrees(
        bytes(contract.document.pdf),
        seals=[PLATFORM_SEAL, "Jinghua New Materials Co., Ltd. Seal", "Beijing Green EIA Consulting Seal"],
        timestamps=3,
    )
    assert {"PlatformSeal", "BuyerSeal", "ProviderSeal"} <= {s.field_name for s in report.signatures}


def test_a_provider_certificate_is_valid_and_trusted_in_pdfsig(
    eia, contract_materials, django_capture_on_commit_callbacks, agrees
):
    platform_with_seal(contract_materials["platform"])
    with django_capture_on_commit_callbacks(execute=True):  # certification issues the certificate on commit
        provider = make_certified_provider(categories=[eia])
    certificate = ProviderCertificate.objects.get(provider=provider)
    assert certificate.document.kind == DocumentKind.PROVIDER_CERTIFICATE

    agrees(bytes(certificate.document.pdf), seals=[PLATFORM_SEAL], timestamps=1)


def test_a_verification_report_is_valid_and_trusted_in_pdfsig(issued_permit, contract_materials, agrees):
    """The service the report download view calls, with the report of checking a real permit."""
    platform_with_seal(contract_materials["platform"])
    reference = uuid.uuid4().hex
    checked = verifier.verify_document(bytes(issued_permit.document.pdf))
    document = services.platform_seal_document(
        document_kind=DocumentKind.VERIFICATION_REPORT,
        document_number=reference,
        pdf=render_verification_report(report=checked, reference=reference, language="en"),
        reason="Verification report",
    )

    agrees(bytes(document.pdf), seals=[PLATFORM_SEAL], timestamps=1)


def test_a_permit_with_a_changed_signed_byte_is_not_valid_in_pdfsig(issued_permit, trusting_nss, tmp_path):
    """The negative control: one byte of the file header comment, inside every signed range."""
    original = bytes(issued_permit.document.pdf)
    index = original.index(b"ReportLab Generated PDF document")
    assert all(start <= index < start + length for start, length, _, _ in pdfsig.byte_ranges(original))
    tampered = original[:index] + b"X" + original[index + 1 :]
    assert verifier.verify_document(tampered).verdict == "tampered"  # ours

    report = pdfsig.run_pdfsig(tampered, nss_dir=trusting_nss, work_dir=tmp_path)

    assert len(report.signatures) == 2, report.describe()
    assert not [s for s in report.signatures if s.signature_validation == pdfsig.SIGNATURE_VALID], report.describe()
    seal = next(s for s in report.signatures if s.field_name == "OneWindowSeal")
    assert seal.signature_validation == pdfsig.DIGEST_MISMATCH, report.describe()
    assert seal.certificate_validation == ""  # pdfsig does not look at the chain of a broken signature


def test_without_the_platform_root_pdfsig_does_not_trust_the_seal(issued_permit, tmp_path):
    """The trust in the tests above comes from the platform root in the NSS database, nothing else."""
    empty = pdfsig.nss_database(tmp_path / "nss-empty", trusted_root=None)

    report = pdfsig.run_pdfsig(bytes(issued_permit.document.pdf), nss_dir=empty, work_dir=tmp_path)

    seal = next(s for s in report.signatures if s.field_name == "OneWindowSeal")
    assert seal.signature_validation == pdfsig.SIGNATURE_VALID, report.describe()
    assert seal.certificate_validation == pdfsig.CERTIFICATE_UNTRUSTED_ISSUER, report.describe()
