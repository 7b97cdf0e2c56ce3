"""The registry vouches for another app's documents only through the source that app registers:
signing itself knows nothing of contracts or certificates, and a kind nobody answers for is not
vouched for (fail closed).

Real parts: the test PKI and the platform seal made by ``pki_init``; a plain permit PDF stands in
for another app's document, sealed by the platform like a certificate would be.
"""

import pytest
from django.http import HttpResponse

from signing import rendering, services, verification_sources
from signing.demo import pki_init
from signing.models import DocumentKind
from signing.verification import RegistryRecord
from signing.verification_sources import DatabaseRegistry, DocumentSource

from .conftest import permit_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sources(monkeypatch):
    """An empty source table, as if no app above signing were installed."""
    monkeypatch.setattr(verification_sources, "_SOURCES", {})


@pytest.fixture
def certificate_like(db, holder):
    pki_init()
    data = permit_data(holder)
    pdf = rendering.render_permit(
        rendering.PermitContent(
            number="OW-C-TEST-01",
            authority_name="OneWindow Platform",
            authority_name_zh="",
            holder_name=holder.name,
            holder_name_zh=holder.name_zh,
            holder_credit_code=holder.credit_code,
            matter=data.matter,
            scope=data.scope,
            conditions=data.conditions,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
            issued_on=data.valid_from,
            verification_url="https://example.invalid/v/x",
        )
    )
    return services.platform_seal_document(
        document_kind=DocumentKind.PROVIDER_CERTIFICATE,
        document_number="OW-C-TEST-01",
        pdf=pdf,
        reason="test",
        stamp_box=rendering.STAMP_BOX,
    )


def test_a_kind_nobody_registered_is_not_vouched_for(no_sources, certificate_like):
    assert DatabaseRegistry().find_by_sha256([certificate_like.sha256]) is None


def test_the_registered_source_judges_its_kind(no_sources, certificate_like):
    judged = []

    def record(document):
        judged.append(document.pk)
        return verification_sources.document_record(document, status="suspended", holder="Someone", reason="why")

    verification_sources.document_source_register(DocumentSource(kind=DocumentKind.PROVIDER_CERTIFICATE, record=record))
    found = DatabaseRegistry().find_by_sha256([certificate_like.sha256])
    assert judged == [certificate_like.pk]
    assert (found.status, found.holder, found.status_reason) == ("suspended", "Someone", "why")
    assert found.issuer == "OneWindow Platform"


def test_sources_answer_digests_and_tokens_before_the_kept_documents(no_sources, certificate_like):
    version = RegistryRecord(
        number="HT-1",
        kind=DocumentKind.SERVICE_CONTRACT,
        status="incomplete",
        holder="A / B",
        issuer="OneWindow Platform",
        valid_from=None,
        valid_until=None,
        sha256="ab" * 32,
        token="tok",
    )
    verification_sources.document_source_register(
        DocumentSource(
            kind=DocumentKind.SERVICE_CONTRACT,
            record=lambda document: None,
            find_by_sha256=lambda digests: version if "ab" * 32 in digests else None,
            find_by_token=lambda token: version if token == "tok" else None,
        )
    )
    registry = DatabaseRegistry()
    assert registry.find_by_sha256(["ab" * 32]) == version
    assert registry.find_by_token("tok") == version
    assert registry.find_by_token("other") is None
    assert registry.find_by_sha256([certificate_like.sha256]) is None  # no certificate source here


def test_the_qr_page_offers_each_token_to_the_registered_landings(no_sources, client):
    verification_sources.document_source_register(
        DocumentSource(
            kind=DocumentKind.SERVICE_CONTRACT,
            record=lambda document: None,
            landing=lambda request, token: HttpResponse("contract page") if token == "mine" else None,
        )
    )
    assert client.get("/v/mine").content == b"contract page"
    assert client.get("/v/unknown").status_code == 404  # nobody's: not a permit either


def test_the_installed_apps_register_contracts_and_certificates():
    kinds = {source.kind for source in verification_sources.document_sources()}
    assert {DocumentKind.SERVICE_CONTRACT, DocumentKind.PROVIDER_CERTIFICATE} <= kinds
