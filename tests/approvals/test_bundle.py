"""The sealed case bundle: one ZIP a party or an auditor checks offline. Genuine as made; any file
changed, removed or added, a manifest rewritten or signed by anyone but the platform, or a hostile
archive each gets its own verdict; the command, the /verify/ page and openssl agree."""

import asyncio
import datetime
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from types import SimpleNamespace

import pytest
from asn1crypto import pem
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from marketplace.approvals import bundle, selectors, services
from marketplace.approvals import views as approval_views
from marketplace.approvals.models import ApprovalMatter, Case
from marketplace.conversations import services as conversations
from marketplace.conversations.models import Clarification
from marketplace.hiring import contracts
from marketplace.payments.ledger import ledger_balance
from marketplace.procurement import services as procurement
from signing import bundles
from signing import services as signing_services
from signing.keystores import key_store_for
from signing.pki import Pki, load_pem_chain
from tests.approvals.test_cases import accepted_order
from tests.factories import make_buyer, make_quote, make_request, provider_owner, provider_seal
from tests.factories.contracts import platform_with_seal
from tests.signing.conftest import permit_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_process_verification(settings):
    settings.VERIFY_ISOLATE = False  # isolation has its own tests


@pytest.fixture
def platform(contract_materials):
    """The platform as an issuer with its own seal (what seals a bundle's manifest)."""
    return platform_with_seal(contract_materials["platform"])


@pytest.fixture
def case(buyer, authority, catalogue, providers, granted_officer, platform):
    """A case that ended in a permit: a closed request for quotes, an accepted order under a sealed
    delivery note, accepted by the authority, the permit citing the note."""
    eia = catalogue.get(code="eia")
    matter = ApprovalMatter.objects.create(
        code="eia-only", name="EIA approval", authority=authority, time_limit_days=20
    )
    matter.service_items.set([eia])
    enterprise, owner = buyer
    case = services.case_open(enterprise=enterprise, user=owner, matter=matter, project_name="P", site="S", region="")
    request = make_request(enterprise=enterprise, user=owner, category=eia)
    make_quote(request, providers[1], price="61000")
    make_quote(request, providers[2], price="59000")
    procurement.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
    services.case_attach_request(case=case, user=owner, request_id=request.pk)
    so = accepted_order(buyer, providers[0], eia)
    contracts.contract_issue(service_order=so)  # a live order gets it after the commit that placed it
    services.case_attach_order(case=case, user=owner, service_order_id=so.pk)
    services.case_submit(case=case, user=owner)
    services.case_decide(case=case, user=granted_officer, accept=True)
    data = permit_data(enterprise, citations=selectors.case_citations(case))
    permit = signing_services.permit_issue(authority=authority, actor=granted_officer, data=data)
    services.case_permit_link(case=case, user=granted_officer, permit=permit)
    return Case.objects.get(pk=case.pk)


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def test_a_fresh_bundle_is_genuine_and_holds_the_whole_chain(case):
    name, data = bundle.case_bundle(case)
    assert name.startswith(f"case-{case.code}-") and name.endswith(".zip")
    files = entries(data)
    manifest = json.loads(files["manifest.json"])
    assert manifest["about"]["case"] == case.code
    assert {row["path"] for row in manifest["files"]} == set(files) - {"manifest.json", "manifest.p7s"}
    for row in manifest["files"]:
        assert hashlib.sha256(files[row["path"]]).hexdigest() == row["sha256"]
    so = case.order_links.get().service_order
    request = case.request_links.get().request
    folder = f"orders/{so.order.number}"
    assert files[f"{folder}/delivery-note-1.pdf"] == bytes(so.delivery_notes.get().document.pdf)
    assert files["permit/permit.pdf"] == bytes(case.permit.document.pdf)
    assert f"{folder}/contract-1-platform.pdf" in files  # the certified contract: the first version
    quotes = json.loads(files[f"requests/{request.pk}/quotes.json"])  # closed: its quotes are public now
    assert sorted(q["price"] for q in quotes) == ["59000.00", "61000.00"]
    assert json.loads(files[f"requests/{request.pk}/selection.json"])[0]["table"]
    ledger = json.loads(files[f"{folder}/ledger.json"])
    balance = ledger_balance(service_order=so)
    assert ledger["charged"] == int(so.price * 100) == balance.charged and ledger["platform_fee"] == balance.fees > 0
    assert (ledger["paid_out_to_provider"], ledger["held"]) == (balance.transferred, balance.held)
    relied = json.loads(files["permit/registry-record.json"])["relies_on"]
    assert [c["check"] for c in relied] == ["genuine"]
    # Organisations by credit code; no person's e-mail anywhere.
    assert case.enterprise.credit_code.encode() in files["case.json"]
    assert not any(b"@" in content for path, content in files.items() if path.endswith(".json"))

    report = bundles.verify_bundle(data)
    assert report.verdict == "genuine", report.reason
    assert "OneWindow Platform" in report.signer or report.signer
    pdfs = {f.path: f.pdf_verdict for f in report.files if f.pdf_verdict}
    assert pdfs[f"{folder}/delivery-note-1.pdf"] == "valid" and pdfs["permit/permit.pdf"] == "valid"


def test_a_request_still_open_keeps_its_quotes_out_of_the_bundle(case, buyer, providers, catalogue):
    enterprise, owner = buyer
    open_request = make_request(enterprise=enterprise, user=owner, category=catalogue.get(code="eia"))
    make_quote(open_request, providers[1])
    Case.objects.filter(pk=case.pk).update(status=Case.Status.OPEN)
    case.refresh_from_db()
    services.case_attach_request(case=case, user=owner, request_id=open_request.pk)
    files = entries(bundle.case_bundle(case)[1])
    assert f"requests/{open_request.pk}/request.json" in files
    assert f"requests/{open_request.pk}/quotes.json" not in files


@pytest.fixture
def sealed(platform, issued_permit):
    """A small bundle in the same format (the tampering tests are about the format, not a case's files)."""
    files = [
        ("case.json", b'{"code": "AC2026000001"}'),
        ("orders/OW1/ledger.json", b'{"charged": 4800000, "refunded": 0}'),
        ("permit/permit.pdf", bytes(issued_permit.document.pdf)),
    ]
    return bundles.bundle_seal(files=files, about={"case": "AC2026000001"}, number="AC2026000001")


def test_a_changed_file_is_named(sealed):
    files = entries(sealed)
    path = next(p for p in files if p.endswith("ledger.json"))
    files[path] = files[path].replace(b'"refunded": 0', b'"refunded": 1')
    report = bundles.verify_bundle(rezip(files))
    assert (report.verdict, report.reason) == ("altered", "files_changed")
    assert {f.path: f.state for f in report.files}[path] == "changed"


def test_a_removed_and_an_added_file_are_named(sealed):
    files = entries(sealed)
    del files["permit/permit.pdf"]
    files["orders/extra-report.pdf"] = b"%PDF-1.4\n%%EOF\n"
    states = {f.path: f.state for f in bundles.verify_bundle(rezip(files)).files}
    assert states["permit/permit.pdf"] == "missing" and states["orders/extra-report.pdf"] == "unlisted"


def test_a_rewritten_manifest_breaks_its_seal(sealed):
    """Change a file and its digest in the manifest to match: the manifest's signature no longer holds."""
    files = entries(sealed)
    manifest = json.loads(files["manifest.json"])
    row = next(r for r in manifest["files"] if r["path"].endswith("ledger.json"))
    files[row["path"]] = b'{"charged": 0}'
    row["sha256"], row["size"] = hashlib.sha256(files[row["path"]]).hexdigest(), len(files[row["path"]])
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    report = bundles.verify_bundle(rezip(files))
    assert (report.verdict, report.reason) == ("altered", "manifest_changed")


def test_a_manifest_signed_by_a_providers_seal_is_not_the_platforms(sealed, providers):
    """A provider's seal is certified by the same CA as the platform's: trusted, but not the platform's."""
    files = entries(sealed)
    seal = provider_seal(providers[0])
    chain = load_pem_chain(seal.certificate_chain)
    with key_store_for(seal.key_store).open_signer(key_ref=seal.key_ref, certificate=chain[0], chain=chain[1:]) as s:
        files["manifest.p7s"] = asyncio.run(s.async_sign_general_data(files["manifest.json"], "sha256")).dump()
    report = bundles.verify_bundle(rezip(files))
    assert (report.verdict, report.reason) == ("untrusted", "signer_not_platform")


def test_a_tampered_pdf_inside_fails_the_bundle_even_with_its_digest_updated(platform, issued_permit):
    """A sealed PDF altered before the bundle was sealed (a forged permit slipped in): every digest
    matches, but the PDF's own seal does not."""
    pdf = bytes(issued_permit.document.pdf)
    position = pdf.index(b"stream") + 20
    forged = pdf[:position] + bytes([pdf[position] ^ 1]) + pdf[position + 1 :]
    data = bundles.bundle_seal(files=[("permit.pdf", forged)], about={}, number="T")
    report = bundles.verify_bundle(data)
    assert (report.verdict, report.reason) == ("altered", "pdf_altered")
    assert report.files[0].state == "ok" and report.files[0].pdf_verdict == "tampered"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 not really a zip", "not_zip"),
        (b"%PDF-1.4", "not_zip"),
        (rezip({"readme.txt": b"hello"}), "no_manifest"),
        (rezip({"manifest.json": b"{not json", "manifest.p7s": b""}), "bad_manifest"),
    ],
)
def test_what_is_not_a_sealed_bundle_says_so(db, data, reason):
    report = bundles.verify_bundle(data)
    assert (report.verdict, report.reason) == ("unreadable", reason)


def test_a_zip_bomb_is_refused_before_it_is_read(db):
    bomb = rezip({"manifest.json": b"{}", "manifest.p7s": b"", "zeros.bin": b"\0" * (bundles.MAX_ENTRY_BYTES + 1)})
    assert len(bomb) < 1_000_000
    assert bundles.verify_bundle(bomb).reason == "too_large"


def test_unsafe_paths_are_never_sealed(platform):
    for path in ("../escape.txt", "/etc/passwd", "a/../../b", "manifest.json", "c:\\x"):
        with pytest.raises(bundles.BundleError):
            bundles.bundle_seal(files=[(path, b"x")], about={}, number="T")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_openssl_verifies_the_manifest_seal_without_our_code(sealed, tmp_path, pki_dir):
    files = entries(sealed)
    for name in ("manifest.json", "manifest.p7s"):
        (tmp_path / name).write_bytes(files[name])
    root = tmp_path / "root.pem"
    root.write_bytes(pem.armor("CERTIFICATE", Pki(pki_dir).root().dump()))
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "manifest.p7s")]
    command += [
        "-content",
        str(tmp_path / "manifest.json"),
        "-CAfile",
        str(root),
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0  # noqa: S603
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"] + b" ")
    assert subprocess.run(command, capture_output=True, check=False).returncode != 0  # noqa: S603


def test_the_command_and_the_verify_page_give_the_same_verdict(client, sealed, tmp_path, capsys):
    """(The case's own bundle is checked the same way in the tests above and below.)"""
    path = tmp_path / "bundle.zip"
    path.write_bytes(sealed)
    call_command("verify_bundle", str(path))
    assert capsys.readouterr().out.startswith("GENUINE")
    page = client.post(reverse("signing:verify"), {"file": io.BytesIO(sealed)}).content.decode()
    assert 'data-bundle-verdict="genuine"' in page

    files = entries(sealed)
    files["case.json"] += b" "
    path.write_bytes(rezip(files))
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_bundle", str(path), "--json")
    assert exit_status.value.code == 1 and json.loads(capsys.readouterr().out)["reason"] == "files_changed"
    tampered = io.BytesIO(path.read_bytes())
    tampered.name = "bundle.zip"
    page = client.post(reverse("signing:verify"), {"file": tampered}).content.decode()
    assert 'data-bundle-verdict="altered"' in page and 'data-state="changed"' in page


def test_only_those_who_may_see_the_case_download_its_bundle(
    client, case, buyer, providers, officer, staff, monkeypatch
):
    monkeypatch.setattr(approval_views, "BUNDLES_PER_MINUTE", 1)
    # One fixed window for the whole test: sealing three bundles can cross a minute boundary.
    monkeypatch.setattr("signing.ratelimit.time", SimpleNamespace(time=lambda: 1_800_000_000))
    url = reverse("approvals:case-bundle", args=[case.code])
    for user in (buyer[1], officer, staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/zip", user
        assert bundles.verify_bundle(response.content).verdict == "genuine"
    for user in (make_buyer()[1], provider_owner(providers[0])):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(buyer[1])
    again = client.get(url, follow=True)  # each bundle is sealed afresh: a second one this minute waits
    assert "Too many bundles at once" in again.content.decode()


def test_the_bundle_carries_each_orders_conversation_with_its_corrections(case, providers):
    so = case.order_links.get().service_order
    buyer = so.enterprise.memberships.first().user
    first = conversations.message_post(service_order=so, user=buyer, body="Please add the night-time noise data.")
    conversations.message_edit(message=first, user=buyer, body="Please add the night-time noise data (22:00–06:00).")
    request = case.request_links.get().request
    # The request's clarifications as they stood at its deadline: one published, one never answered.
    asked = request.deadline - datetime.timedelta(hours=30)
    for question, answer in (("Is the access road included?", "Yes, all 400 m of it."), ("Soil report?", None)):
        Clarification.objects.create(
            request=request,
            provider=providers[1],
            asked_by=provider_owner(providers[1]),
            question=question,
            asked_at=asked,
            answer=answer,
            answered_by=buyer if answer else None,
            answered_at=asked + datetime.timedelta(hours=2) if answer else None,
        )
    files = entries(bundle.case_bundle(case)[1])
    said = json.loads(files[f"orders/{so.order.number}/conversation.json"])
    assert [(m["side"], m["body"], m["revises"]) for m in said] == [
        ("buyer", "Please add the night-time noise data.", None),
        ("buyer", "Please add the night-time noise data (22:00–06:00).", first.pk),
    ]
    assert said[0]["credit_code"] == so.enterprise.credit_code and buyer.email not in json.dumps(said)
    published = json.loads(files[f"requests/{request.pk}/clarifications.json"])
    assert [(c["question"], c["answer"]) for c in published] == [
        ("Is the access road included?", "Yes, all 400 m of it.")
    ]  # what every provider read; the unanswered question was nobody's business
    assert providers[1].name not in json.dumps(published) and providers[1].credit_code not in json.dumps(published)
