"""Sealed and attacked PDFs for verification tests, made with pyHanko the way the platform seals.

Every file a verification test uses is generated here from a real PKI, a real PDF and real
pyHanko sealing: nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from signing.verification import RegistryRecord, TrustAnchors

from .pkifactory import Issued, TestPKI


def plain_pdf(text: str = "Permit No. DEMO-2026-000001", pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)  # readable streams, so tests can edit them
    for page in range(pages):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 760, text)
        pdf.drawString(72, 740, f"Page {page + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def validation_context(pki: TestPKI) -> ValidationContext:
    return ValidationContext(trust_roots=[pki.root.asn1_cert], crls=[pki.crl()], allow_fetching=False)


def seal(
    pdf: bytes,
    pki: TestPKI,
    *,
    sealer: Issued | None = None,
    lta: bool = True,
    certify: bool = True,
    docmdp=fields.MDPPerm.NO_CHANGES,
    field_name: str = "Seal",
) -> bytes:
    sealer = sealer or pki.seal
    registry = SimpleCertificateStore.from_certs([pki.root.asn1_cert])
    signer = signers.SimpleSigner(signing_cert=sealer.asn1_cert, signing_key=sealer.asn1_key, cert_registry=registry)
    timestamper = DummyTimeStamper(
        tsa_cert=pki.tsa.asn1_cert, tsa_key=pki.tsa.asn1_key, certs_to_embed=[pki.root.asn1_cert]
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=docmdp,
        embed_validation_info=lta,
        use_pades_lta=lta,
        validation_context=validation_context(pki) if lta else None,
    )
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, timestamper=timestamper, output=out
    )
    return out.getvalue()


# --- issued files, as the registry keeps them ------------------------------------------------------


@dataclass(frozen=True, repr=False)
class IssuedFile:
    """A sealed file as issued: its bytes, what a verifier trusts, and the registry's records of it
    (a contract has one per version). ``timestamper`` and ``validation_context`` make what a holder's
    tool needs to refresh the file's long-term validation data (signature maintenance)."""

    kind: str
    pdf: bytes
    trust: TrustAnchors
    records: tuple[RegistryRecord, ...]
    timestamper: Callable[[], TimeStamper]
    validation_context: Callable[[], ValidationContext]

    def __repr__(self) -> str:  # short: test reports and Hypothesis print it
        return f"<IssuedFile {self.kind}, {len(self.pdf)} bytes, sha256 {hashlib.sha256(self.pdf).hexdigest()[:12]}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis's printer would list every field
        printer.text(repr(self))


def issued_permit(pki: TestPKI) -> IssuedFile:
    """A permit sealed the way the platform seals one: certified (no changes allowed), PAdES B-LTA."""
    pdf = seal(plain_pdf(), pki)
    record = RegistryRecord(
        number="DEMO-2026-000001",
        kind="permit",
        status="valid",
        holder="Jinghua New Materials Co., Ltd.",
        issuer="Demo Ecology and Environment Bureau",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2030, 12, 31),
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    return IssuedFile(
        kind="permit",
        pdf=pdf,
        trust=TrustAnchors(roots=(pki.root.asn1_cert,), crls=(pki.crl(),)),
        records=(record,),
        timestamper=lambda: DummyTimeStamper(tsa_cert=pki.tsa.asn1_cert, tsa_key=pki.tsa.asn1_key),
        validation_context=lambda: validation_context(pki),
    )


def archival_refresh(issued: IssuedFile, pdf: bytes | None = None) -> bytes:
    """Genuine signature maintenance, as a holder's tool does it: pyHanko adds the revocation data
    of the last timestamp to the DSS and a fresh document timestamp, as incremental updates."""
    out = io.BytesIO()
    signers.PdfTimeStamper(issued.timestamper()).update_archival_timestamp_chain(
        PdfFileReader(io.BytesIO(issued.pdf if pdf is None else pdf)), issued.validation_context(), output=out
    )
    return out.getvalue()


def platform_issued_files(*, pki_dir, materials, media_dir) -> dict[str, IssuedFile]:
    """A fully sealed service contract, a provider certificate and a verification report, made
    through the platform's own services and PKI, with the registry records the platform's registry
    answers for them (``signing.verification_sources`` and the sources hiring and providers register).

    Needs database access (in a module-scoped fixture: ``django_db_blocker.unblock()``); everything
    written to the database is rolled back, only the bytes and the records are kept.
    """
    from django.db import connection, transaction
    from django.test import override_settings
    from django.utils import translation

    from marketplace.catalogue import services as catalogue_services
    from marketplace.catalogue.models import Category
    from marketplace.hiring import contracts
    from marketplace.hiring.models import Contract
    from providers import certificates
    from signing import engine, services
    from signing.models import DocumentKind
    from signing.pki import Pki
    from signing.report_pdf import render_verification_report
    from signing.verification import verify_pdf
    from signing.verification_sources import document_record
    from tests.conftest import TEST_SEAL_KEK
    from tests.factories.contracts import contract_parties, platform_with_seal

    database = str(connection.settings_dict["NAME"])
    if "test" not in database.rsplit("/", 1)[-1] and "memory" not in database:
        # pytest-django sets up the test database only when a collected test is marked django_db.
        raise RuntimeError(f"Refusing to write to {database!r}: mark the tests that use these files django_db.")

    pki = Pki(pki_dir)
    trust = TrustAnchors(roots=(pki.root(),), crls=tuple(pki.crls()), intermediates=(pki.seal_ca(),))

    def issued(kind: str, pdf: bytes, records) -> IssuedFile:
        return IssuedFile(
            kind=kind,
            pdf=pdf,
            trust=trust,
            records=tuple(records),
            timestamper=lambda: engine.local_timestamper(Pki(pki_dir)),
            validation_context=lambda: engine.platform_validation_context(Pki(pki_dir)),
        )

    files = {}
    with (
        override_settings(
            SIGNING_PKI_DIR=pki_dir,
            SEAL_KEY_ENCRYPTION_KEY=TEST_SEAL_KEK,
            SIGNING_PADES_LEVEL="B-LTA",
            SIGNING_TSA_URL="",
            MEDIA_ROOT=media_dir / "media",
            PRIVATE_MEDIA_ROOT=media_dir / "private",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        translation.override("en"),
        transaction.atomic(),
    ):
        catalogue_services.catalogue_sync_service_items()
        catalogue_services.product_class_ensure_intermediary_service()
        platform_with_seal(materials["platform"])
        service_order, buyer, provider_user = contract_parties(
            category=Category.objects.get(code="eia"), materials=materials
        )
        contract = contracts.contract_issue(service_order=service_order)
        contracts.contract_seal(contract=contract, actor=buyer)
        contracts.contract_seal(contract=contract, actor=provider_user)
        contract = Contract.objects.select_related("document").get(pk=contract.pk)
        files["contract"] = issued(
            "service_contract",
            bytes(contract.document.pdf),
            [contracts.contract_record(contract, version) for version in contract.seals.order_by("size")],
        )

        certificate = certificates.provider_certificate_issue(provider=service_order.provider)
        files["provider_certificate"] = issued(
            "provider_certificate",
            bytes(certificate.document.pdf),
            [certificates.certificate_record(certificate.document)],
        )

        check = verify_pdf(
            files["contract"].pdf, trust=trust, registry=VersionRegistry(*files["contract"].records), max_bytes=1 << 24
        )
        reference = "0" * 31 + "1"
        report = services.platform_seal_document(
            document_kind=DocumentKind.VERIFICATION_REPORT,
            document_number=reference,
            pdf=render_verification_report(report=check, reference=reference, language="en"),
            reason="Verification report",
        )
        files["verification_report"] = issued(
            "verification_report", bytes(report.pdf), [document_record(report, status="valid", holder="")]
        )
        transaction.set_rollback(True)
    return files


class VersionRegistry:
    """The registry's lookups over records in memory. Like the platform's registry, a file that
    extends several kept versions (a contract) is the longest of them."""

    def __init__(self, *records: RegistryRecord):
        self.records = {record.sha256: record for record in records}

    def find_by_sha256(self, digests):
        found = [self.records[digest] for digest in digests if digest in self.records]
        return found[0] if found else None  # the digests run from the whole file to the shortest prefix

    def find_by_number(self, number, code):
        return None

    def find_by_token(self, token):
        return next((r for r in self.records.values() if r.token and r.token == token), None)
