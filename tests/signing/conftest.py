import datetime as dt
import io
import uuid

import pytest
from django.utils import timezone

from signing import services
from signing.models import DocumentKind
from signing.pki import Pki, load_pem_chain
from signing.services.seals import _seal_from_chain
from tests.factories import AuthorityMemberFactory, EnterpriseFactory, IssuingAuthorityFactory
from tests.factories.contracts import contract_materials  # noqa: F401 - a fixture


@pytest.fixture(scope="session")
def seal_material(pki_dir):
    """One seal key + certificate for the whole session (RSA key generation is the slow part).

    Its own label: a conftest that imports this fixture (tests/approvals) runs it again in the same
    session, and one label would overwrite the key file under the certificate made first."""
    from django.test import override_settings

    from tests.conftest import TEST_SEAL_KEK

    with override_settings(SIGNING_PKI_DIR=pki_dir, SEAL_KEY_ENCRYPTION_KEY=TEST_SEAL_KEK):
        pki = Pki(pki_dir)
        label = f"test-bureau-{uuid.uuid4().hex[:8]}"
        cert, key_ref = pki.issue_seal(label=label, common_name="Test Bureau Seal", organisation="Test Bureau")
        return pki.chain_pem(cert), key_ref


@pytest.fixture
def pki(pki_dir):
    return Pki(pki_dir)


@pytest.fixture
def authority(db):
    return IssuingAuthorityFactory(name="Test Ecology Bureau", name_zh="测试生态环境局", number_prefix="TEB")


@pytest.fixture
def seal(authority, seal_material):
    chain_pem, key_ref = seal_material
    return _seal_from_chain(
        authority=authority,
        name="Test seal",
        purpose="Permits",
        chain_pem=chain_pem,
        key_store="encrypted",
        key_ref=key_ref,
    )


@pytest.fixture
def officer(authority):
    return AuthorityMemberFactory(authority=authority).user


@pytest.fixture
def granted_officer(officer, seal):
    services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    return officer


@pytest.fixture
def holder(db):
    return EnterpriseFactory(name="Jinghua New Materials Co., Ltd.", name_zh="京华新材料有限公司")


def permit_data(holder, **overrides):
    today = timezone.localdate()
    values = {
        "holder": holder,
        "matter": "建设项目环境影响评价文件审批",
        "scope": "年产5000吨新型复合材料生产线",
        "conditions": "落实各项污染防治措施",
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=365),
    }
    values.update(overrides)
    return services.PermitData(**values)


@pytest.fixture
def issued_permit(authority, seal, granted_officer, holder):
    return services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))


def reader_for(pdf: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(pdf))


def trust_context(pki):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=[pki.root()], allow_fetching=False, crls=pki.crls())


__all__ = ["load_pem_chain", "permit_data", "reader_for", "trust_context"]
