"""Sealed service contracts: the platform certifies (DocMDP level 2), then the buyer's enterprise
and the provider seal in turn; every step is validated with pyHanko itself."""

import io
import shutil
import subprocess

import pytest
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature, validate_pdf_timestamp

from marketplace.hiring import contracts
from marketplace.hiring.models import Contract, ContractSeal
from signing import services
from signing.exceptions import ContractError, GrantRequired, NotPermitted, SealNotUsable
from signing.models import SealGrant, SealUse
from signing.pki import Pki
from signing.verifier import verify_document
from tests.factories import UserFactory, make_buyer
from tests.factories.contracts import contract_parties, plain_member, platform_with_seal
from tests.signing.conftest import trust_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def pki(pki_dir):
    return Pki(pki_dir)


@pytest.fixture
def parties(category, contract_materials):
    """(service order, buyer owner, provider owner) with the platform's and both parties' seals."""
    platform_with_seal(contract_materials["platform"])
    return contract_parties(category=category, materials=contract_materials)


def _sealed(parties) -> Contract:
    service_order, buyer, provider_user = parties
    contract = contracts.contract_issue(service_order=service_order)
    contracts.contract_seal(contract=contract, actor=buyer)
    return contracts.contract_seal(contract=contract, actor=provider_user)


def test_three_seals_in_turn_each_valid_with_pyhanko(parties, pki):
    service_order, buyer, provider_user = parties
    contract = contracts.contract_issue(service_order=service_order)
    assert contract.status == Contract.Status.AWAITING_BUYER
    assert contracts.contract_issue(service_order=service_order) == contract  # idempotent
    platform_pdf = bytes(contract.document.pdf)

    contract = contracts.contract_seal(contract=contract, actor=buyer)
    assert contract.status == Contract.Status.AWAITING_PROVIDER
    contract = contracts.contract_seal(contract=contract, actor=provider_user)
    assert contract.status == Contract.Status.SEALED
    contract.refresh_from_db()
    final = bytes(contract.document.pdf)

    # Each seal is an incremental update: every version is a prefix of the final PDF, and kept.
    versions = list(contract.seals.order_by("size"))
    assert [v.party for v in versions] == ["platform", "buyer", "provider"]
    assert final.startswith(platform_pdf) and versions[0].size == len(platform_pdf)
    assert versions[-1].sha256 == contract.document.sha256

    reader = PdfFileReader(io.BytesIO(final))
    seals = reader.embedded_regular_signatures
    assert [s.field_name for s in seals] == ["PlatformSeal", "BuyerSeal", "ProviderSeal"]
    assert seals[0].docmdp_level == MDPPerm.FILL_FORMS  # certification allowing later signatures
    assert seals[1].docmdp_level is None and seals[2].docmdp_level is None
    organisations = []
    for embedded in seals:
        status = validate_pdf_signature(embedded, trust_context(pki))
        assert status.intact and status.valid and status.trusted, embedded.field_name
        assert status.timestamp_validity is not None and status.timestamp_validity.valid  # B-T and up
        organisations.append(embedded.signer_cert.subject.native["organization_name"])
    assert organisations == ["OneWindow Platform", "Jinghua New Materials Co., Ltd.", "Beijing Green EIA Consulting"]
    # B-LTA: revocation data in the DSS and a document timestamp after every seal.
    assert len(DocumentSecurityStore.read_dss(reader).crls) >= 2
    timestamps = reader.embedded_timestamp_signatures
    assert len(timestamps) == 3
    assert all(validate_pdf_timestamp(ts, trust_context(pki)).valid for ts in timestamps)

    # The log has the three sealings, chained, and the order's history shows them.
    entries = SealUse.objects.filter(document_number=contract.number, outcome="sealed")
    assert [e.actor_id for e in entries] == [None, buyer.pk, provider_user.pk]
    assert services.seal_log_verify().ok
    kinds = list(service_order.events.values_list("kind", flat=True))
    assert kinds[-3:] == ["contract_issued", "contract_sealed_buyer", "contract_sealed_provider"]


def test_out_of_turn_no_grant_and_outsiders_are_refused_and_logged(parties):
    service_order, buyer, provider_user = parties
    contract = contracts.contract_issue(service_order=service_order)

    with pytest.raises(ContractError, match="buyer seals the contract first"):
        contracts.contract_seal(contract=contract, actor=provider_user)
    member = plain_member(service_order.enterprise)
    with pytest.raises(GrantRequired):
        contracts.contract_seal(contract=contract, actor=member)
    _other_enterprise, outsider = make_buyer()
    with pytest.raises(ContractError, match="Only the buyer's and the provider's members"):
        contracts.contract_seal(contract=contract, actor=outsider)

    refusals = SealUse.objects.filter(outcome="refused", document_number=contract.number).order_by("id")
    assert [(r.actor_id, r.detail) for r in refusals] == [
        (provider_user.pk, "out of turn"),
        (member.pk, "no current grant"),
        (outsider.pk, "not a party to the contract"),
    ]
    contract.refresh_from_db()
    assert contract.status == Contract.Status.AWAITING_BUYER
    assert contract.seals.count() == 1

    contracts.contract_seal(contract=contract, actor=buyer)
    with pytest.raises(ContractError, match="already sealed"):
        contracts.contract_seal(contract=contract, actor=buyer)
    assert SealUse.objects.filter(outcome="refused", detail="already sealed").count() == 1


def test_verifier_reports_three_seals_valid_and_a_tampered_copy(parties, client, settings):
    settings.VERIFY_ISOLATE = False  # isolation has its own tests; keep these fast
    contract = _sealed(parties)
    final = bytes(contract.document.pdf)

    report = verify_document(final)
    assert report.verdict == "valid", report.reason
    assert report.permit.kind == "service_contract" and report.permit.number == contract.number
    seals = [s for s in report.signatures if s.kind == "seal"]
    assert [s.organisation for s in seals] == [
        "OneWindow Platform",
        "Jinghua New Materials Co., Ltd.",
        "Beijing Green EIA Consulting",
    ]
    assert seals[0].certification == "fill_forms"
    assert all(s.indication == "TOTAL_PASSED" and s.pades_level == "B-LTA" for s in seals)

    # The JSON API says the same.
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/verify/", {"file": SimpleUploadedFile("c.pdf", final, "application/pdf")})
    body = response.json()
    assert body["verdict"] == "valid"
    assert [s["certification"] for s in body["signatures"] if s["kind"] == "seal"] == ["fill_forms", None, None]

    # The platform's certified draft alone is genuine, but not the concluded contract.
    platform_version = contract.seals.get(party=ContractSeal.Party.PLATFORM)
    draft = verify_document(final[: platform_version.size])
    assert (draft.verdict, draft.reason) == ("indeterminate", "contract_incomplete")

    # One changed byte in the signed content: tampered.
    index = final.index(b"/Title") if b"/Title" in final else 400
    tampered = final[:index] + bytes([final[index] ^ 0x01]) + final[index + 1 :]
    assert verify_document(tampered).verdict == "tampered"

    # An incremental update after the provider's seal that is not signature maintenance: tampered.
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(final))
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    assert verify_document(out.getvalue()).verdict == "tampered"


def test_verify_pdf_command_reports_the_sealed_contract(parties, tmp_path, capsys, settings):
    settings.VERIFY_ISOLATE = False
    contract = _sealed(parties)
    path = tmp_path / "contract.pdf"
    path.write_bytes(bytes(contract.document.pdf))
    call_command("verify_pdf", str(path))
    out = capsys.readouterr().out
    assert "valid" in out.lower()
    for organisation in ("OneWindow Platform", "Jinghua New Materials", "Beijing Green EIA Consulting"):
        assert organisation in out


def test_contract_issue_needs_the_platform_seal(category, contract_materials):
    service_order, _buyer, _provider_user = contract_parties(category=category, materials=contract_materials)
    with pytest.raises(SealNotUsable):
        contracts.contract_issue(service_order=service_order)
    assert not Contract.objects.exists()


def test_order_is_created_even_when_the_contract_fails_then_retried(
    category, contract_materials, django_capture_on_commit_callbacks, capsys
):
    """No platform seal yet: the order stands, its history says why, and the command catches up."""
    with django_capture_on_commit_callbacks(execute=True):
        service_order, _buyer, _provider_user = contract_parties(category=category, materials=contract_materials)
    assert not Contract.objects.filter(service_order=service_order).exists()
    failure = service_order.events.get(kind="contract_failed")
    assert "no seal" in failure.reason

    with pytest.raises(Exception, match="1 contract"):
        call_command("issue_contracts")
    platform_with_seal(contract_materials["platform"])
    call_command("issue_contracts")
    assert "Contracts issued: 1." in capsys.readouterr().out
    assert Contract.objects.get(service_order=service_order).status == Contract.Status.AWAITING_BUYER


def test_order_creation_issues_the_contract_after_commit(
    parties, category, contract_materials, django_capture_on_commit_callbacks
):
    service_order, buyer, provider_user = parties
    from tests.factories import make_service_order

    with django_capture_on_commit_callbacks(execute=True):
        second = make_service_order(
            enterprise=service_order.enterprise, buyer=buyer, provider=service_order.provider, category=category
        )
    contract = Contract.objects.get(service_order=second)
    assert contract.number == f"HT-{second.order.number}"
    assert contract.document.kind == "service_contract"


def test_organisation_seal_creation_rights_and_grants(category, contract_materials):
    service_order, buyer, provider_user = contract_parties(category=category, materials=contract_materials)
    enterprise = service_order.enterprise
    member = plain_member(enterprise)
    with pytest.raises(NotPermitted):
        services.organisation_seal_create(actor=member, enterprise=enterprise)
    with pytest.raises(NotPermitted):
        services.organisation_seal_create(actor=provider_user, enterprise=enterprise)
    # An organisation with a usable seal gets it back.
    existing = services.organisation_seal_for(enterprise=enterprise)
    assert services.organisation_seal_create(actor=buyer, enterprise=enterprise) == existing


def test_the_seal_with_a_users_grants_answers_as_may_apply_seal_does(parties, django_assert_num_queries):
    """The order page reads the seal and the user's grants on it in one query; each answer must be
    the one the sealing check (``may_apply_seal``) gives: a current grant of that kind, on that seal,
    to that user — not a revoked or expired one, another kind's or another person's."""
    import datetime

    from django.utils import timezone

    service_order, buyer, provider_user = parties
    enterprise = service_order.enterprise
    member = plain_member(enterprise)
    kinds = ("service_contract", "delivery_note")

    def answers(user):
        with django_assert_num_queries(1):
            seal, held = services.organisation_seal_with_grants(user=user, document_kinds=kinds, enterprise=enterprise)
        expected = {kind for kind in kinds if services.may_apply_seal(seal=seal, user=user, document_kind=kind)}
        assert held == expected
        return seal, held

    seal, held = answers(buyer)  # the owner holds the contract grant the seal was made with
    assert seal == services.organisation_seal_for(enterprise=enterprise) and held == {"service_contract"}
    assert answers(member)[1] == set()  # a plain member holds none
    assert answers(provider_user)[1] == set()  # nor does the other side's owner
    grant = services.grant_create(seal=seal, user=member, document_kind="delivery_note")
    assert answers(member)[1] == {"delivery_note"}
    services.grant_revoke(grant=grant)
    assert answers(member)[1] == set()
    services.grant_create(
        seal=seal,
        user=member,
        document_kind="service_contract",
        valid_from=timezone.now() - datetime.timedelta(hours=2),
        valid_until=timezone.now() - datetime.timedelta(hours=1),
    )
    assert answers(member)[1] == set()  # expired
    # An organisation without a usable seal: no seal, nothing held.
    type(seal).objects.filter(pk=seal.pk).update(status="suspended")
    with django_assert_num_queries(1):
        assert services.organisation_seal_with_grants(user=buyer, document_kinds=kinds, enterprise=enterprise) == (
            None,
            frozenset(),
        )


def test_a_new_organisation_seal_is_certified_by_the_platform_ca_and_granted_to_owners(db, pki):
    enterprise, owner = make_buyer(name="Qiantang Smart Manufacturing Co., Ltd.", name_zh="钱塘智能制造有限公司")
    member = plain_member(enterprise)
    seal = services.organisation_seal_create(actor=owner, enterprise=enterprise)
    assert seal.owner == enterprise and seal.authority is None
    assert "Qiantang Smart Manufacturing" in seal.certificate_subject
    assert seal.certificate_chain.count("BEGIN CERTIFICATE") == 3  # seal, seal CA, root
    assert pki.keys.exists(seal.key_ref) and "PRIVATE KEY" not in seal.certificate_chain
    grants = SealGrant.objects.current().filter(seal=seal, document_kind="service_contract")
    assert list(grants.values_list("user", flat=True)) == [owner.pk]
    assert not grants.filter(user=member).exists()
    staff = UserFactory(is_staff=True)
    other, _owner = make_buyer()
    assert services.organisation_seal_create(actor=staff, enterprise=other).enterprise == other


def test_a_seal_has_exactly_one_owner(parties):
    from django.db import IntegrityError, transaction

    service_order, _buyer, _provider_user = parties
    seal = services.organisation_seal_for(enterprise=service_order.enterprise)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(seal).objects.filter(pk=seal.pk).update(provider=service_order.provider)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(seal).objects.filter(pk=seal.pk).update(enterprise=None)


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext/pdftoppm) not installed; .ci/run installs it",
)


@needs_poppler
def test_contract_prints_both_parties_terms_and_chinese_text(parties, tmp_path):
    contract = _sealed(parties)
    path = tmp_path / "contract.pdf"
    path.write_bytes(bytes(contract.document.pdf))
    text = subprocess.run(  # noqa: S603 - fixed tool, our own file
        [shutil.which("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    service_order = contract.service_order
    for expected in (
        "中介服务合同",
        "京华新材料有限公司",
        service_order.enterprise.credit_code,
        service_order.provider.credit_code,
        contract.number,
        service_order.order.number,
        "48,000.00",
        "30 日",
        "甲方（委托方）",
        "乙方（服务机构）",
    ):
        assert expected in text, expected
    # One page, rasterised: the three stamps make it more than a blank page.
    subprocess.run(  # noqa: S603 - fixed tool, our own file
        [shutil.which("pdftoppm"), "-r", "60", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    from PIL import Image

    image = Image.open(tmp_path / "page.png").convert("RGB")
    red = sum(1 for r, g, b in image.get_flattened_data() if r > 150 and g < 90 and b < 90)
    assert red > 300, "the seal stamps are drawn in red"


def test_portal_lists_the_three_seals_and_the_qr_page_shows_the_contract(parties, client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.VERIFY_ISOLATE = False
    contract = _sealed(parties)
    upload = SimpleUploadedFile("contract.pdf", bytes(contract.document.pdf), "application/pdf")
    page = client.post("/verify/", {"file": upload}).content.decode()
    assert 'data-verdict="valid"' in page
    assert page.count('data-seal="') == 3
    assert "certifies the document (fill_forms)" in page
    assert "Beijing Green EIA Consulting" in page and contract.number in page

    # The sealed verification report of that check is itself a PDF sealed by the platform.
    report_id = page.split("/verify/report/")[1].split("/")[0]
    response = client.post(f"/verify/report/{report_id}/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")

    landing = client.get(f"/v/{contract.token}").content.decode()
    assert contract.number in landing and "Sealed by all parties" not in landing
    assert "In force" in landing and landing.count("<li>") >= 3
    assert "48,000" not in landing  # the terms stay between the parties


@needs_poppler
def test_long_notes_are_printed_whole_on_further_pages(tmp_path):
    """Whatever the buyer agreed in the notes is in the sealed contract: nothing is cut off, long
    notes continue on further pages and the signature fields stay on the last one."""
    import datetime as dt

    from marketplace.hiring.contract_pdf import ContractContent, render_contract

    paragraphs = [f"Clause {index:03d}: " + "the provider keeps the site records. " * 6 for index in range(60)]
    paragraphs[-1] += "END-OF-NOTES"
    content = ContractContent(
        number="HT-2026-000001",
        order_number="100001",
        buyer_name="Buyer Ltd",
        buyer_name_zh="买方有限公司",
        buyer_credit_code="91110000MA00000000",
        provider_name="Provider Ltd",
        provider_name_zh="服务机构有限公司",
        provider_credit_code="91110000MA00000001",
        service="Survey",
        service_item="测绘 Surveying",
        project_name="Plant",
        site_location="Beijing",
        price="48,000.00",
        service_days=30,
        review_days=7,
        notes="\n".join(paragraphs),
        issued_on=dt.date(2026, 11, 30),
        platform_name="OneWindow",
        platform_name_zh="一窗通",
        verification_url="http://127.0.0.1:8000/v/token",
    )
    rendered = render_contract(content)
    path = tmp_path / "contract.pdf"
    path.write_bytes(rendered.pdf)
    text = subprocess.run(  # noqa: S603 - fixed tool, our own file
        [shutil.which("pdftotext"), str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Clause 000" in text and "Clause 059" in text and "END-OF-NOTES" in text
    assert rendered.signature_page >= 1, "long notes continue on a second page"
