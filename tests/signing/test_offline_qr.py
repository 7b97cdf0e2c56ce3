"""Signed QR codes checked offline: a permit's claims signed with its authority's document-signer
key (COSE_Sign1, ES256, Base45), checked against the platform-signed trust list with no network.
Each way a code can be wrong has its own verdict; the trust list itself is refused when it is not
the platform's; the command reads a code from its text or from a picture."""

import dataclasses
import datetime as dt
import json
import shutil
import subprocess
import zlib

import base45
import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from marketplace.enterprises.models import EnterpriseMember
from signing import demo, offline, qr_payload, services, trust_list
from signing.models import DocumentSigner
from signing.pki import Pki
from signing.services import document_signers
from tests.factories import EnterpriseFactory, IssuingAuthorityFactory, UserFactory

from .conftest import permit_data
from .offline import offline_check, printed_codes, qr_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_list_from_another_test():
    cache.delete(document_signers.TRUST_LIST_CACHE_KEY)  # the published list is cached across requests


@pytest.fixture
def platform(db):
    return services.authority_ensure(**demo.PLATFORM)


@pytest.fixture
def published(platform, pki_dir):
    """What an offline verifier holds: the opened trust list, as the command and the page build it."""

    def make():
        content, issuer = trust_list.trust_list_open(trust_list.trust_list_make(), root=root(pki_dir))
        return trust_list.verifier_inputs(content, issuer=issuer)

    return make


def root(pki_dir):
    return Pki(pki_dir).certificate("root-ca")


def check(code, published, **kwargs):
    signers, documents = published()
    return qr_payload.verify(code, signers=signers, revoked=documents, **kwargs)


def test_a_permits_code_round_trips_and_fits_a_small_qr_code(issued_permit, published):
    code = document_signers.permit_signed_code(permit=issued_permit)
    verdict = check(code, published)
    assert verdict.verdict == "valid"
    claims = verdict.claims
    assert (claims.kind, claims.number) == ("permit", issued_permit.number)
    assert claims.credit_code == issued_permit.holder.credit_code
    assert claims.holder == "京华新材料有限公司" and claims.sha256 == issued_permit.sha256
    assert claims.valid_until == issued_permit.valid_until.isoformat() and claims.issuer == issued_permit.authority.code
    assert verdict.signer.authority == issued_permit.authority.name
    # Base45 is the QR code's alphanumeric alphabet; at error correction M the code stays at version 15 or less.
    assert set(code) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    symbol = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = memoryview(symbol.to_image(scale=1, add_quiet_zones=False)).shape[0]
    assert (modules - 17) // 4 <= 15


def resigned_payload(code: str, change) -> str:
    """The code with its claims changed and its old signature kept (what a forger can do)."""
    message, _kid = qr_payload.decode_unverified(code)
    claims = qr_payload.cbor2.loads(message.payload)
    change(claims[qr_payload.DOCUMENT])
    raw = qr_payload.cbor2.dumps(
        qr_payload.cbor2.CBORTag(18, [message.phdr_encoded, {}, qr_payload.cbor2.dumps(claims), message.signature])
    )
    return qr_payload.PREFIX + base45.b45encode(zlib.compress(raw)).decode()


def test_a_changed_claim_is_tampered(issued_permit, published):
    code = document_signers.permit_signed_code(permit=issued_permit)
    forged = resigned_payload(code, lambda doc: doc.update(u="2099-12-31"))
    assert check(forged, published).verdict == "tampered"
    assert check(code[:-4] + "AAAA", published).verdict == "unreadable"
    assert check("https://example.com/v/abc", published).verdict == "unreadable"


def foreign_signer(authority_code: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A P-256 key and a certificate naming ``authority_code`` that the platform's CA never issued
    (what anyone can make)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, authority_code)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def test_a_code_signed_by_a_key_not_in_the_list_is_unknown(issued_permit, published, authority):
    claims = document_signers.permit_claims(issued_permit)
    key, certificate = foreign_signer(authority.code)
    assert check(qr_payload.encode(claims, private_key=key, certificate=certificate), published).verdict == (
        "unknown_key"
    )
    # The same foreign key behind the kid of the authority's real key: the signature gives it away.
    code = document_signers.permit_signed_code(permit=issued_permit)
    real = x509.load_pem_x509_certificate(DocumentSigner.objects.get(authority=authority).certificate_pem.encode())
    assert check(qr_payload.encode(claims, private_key=key, certificate=real), published).verdict == "tampered"
    # A key withdrawn from the list (compromised) is unknown from then on, and so is what it signed.
    document_signers.document_signer_revoke(signer=DocumentSigner.objects.get(authority=authority))
    assert check(code, published).verdict == "unknown_key"


def test_one_authoritys_key_cannot_sign_for_another(issued_permit, published):
    """A valid signature by the water bureau's own key over claims naming the ecology bureau."""
    other = IssuingAuthorityFactory(code="water", name="Water Bureau")
    claims = document_signers.permit_claims(issued_permit)
    code = document_signers.sign_claims(authority=other, claims=claims)
    assert check(code, published).verdict == "tampered"


def test_rotation_keeps_old_codes_checking(issued_permit, published, authority):
    old = document_signers.permit_signed_code(permit=issued_permit)
    first = DocumentSigner.objects.get(authority=authority)
    document_signers.document_signer_create(authority=authority)
    first.refresh_from_db()
    assert first.status == "retired"
    new = document_signers.permit_signed_code(permit=issued_permit)
    assert qr_payload.decode_unverified(new)[1].hex() != first.kid
    assert check(old, published).verdict == check(new, published).verdict == "valid"


def screen_code_shown_later(permit) -> str:
    """A holder's on-screen code as a screenshot replayed minutes later: signed (like
    ``permit_signed_code(dynamic=True)``) at the earliest moment its key could sign, five minutes
    before now, and expired one second after."""
    key = DocumentSigner.objects.get(authority=permit.authority, status="active")
    made = int(key.not_before.timestamp()) + 1
    assert made + document_signers.DYNAMIC_CODE_SECONDS > dt.datetime.now(dt.UTC).timestamp() - 60
    claims = document_signers.permit_claims(permit, with_sha256=True)
    return document_signers.sign_claims(
        authority=permit.authority, claims=dataclasses.replace(claims, issued_at=made, expires=made + 1)
    )


def test_a_holders_screen_code_expires_after_five_minutes(issued_permit, published):
    code = document_signers.permit_signed_code(permit=issued_permit, dynamic=True)
    now = dt.datetime.now(dt.UTC)
    assert check(code, published, now=now).verdict == "valid"
    later = now + dt.timedelta(seconds=document_signers.DYNAMIC_CODE_SECONDS + 1)
    assert check(code, published, now=later).verdict == "code_expired"


def test_a_permit_past_its_validity_or_a_code_signed_outside_its_keys_reads_so(issued_permit, published):
    claims = document_signers.permit_claims(issued_permit)
    lapsed = dataclasses.replace(claims, valid_from="2020-01-01", valid_until="2021-01-01")
    assert check(document_signers.sign_claims(authority=issued_permit.authority, claims=lapsed), published).verdict == (
        "expired"
    )
    key = DocumentSigner.objects.get(authority=issued_permit.authority)
    backdated = dataclasses.replace(claims, issued_at=int(key.not_before.timestamp()) - 3600)
    code = document_signers.sign_claims(authority=issued_permit.authority, claims=backdated)
    assert check(code, published).verdict == "signer_expired"


def test_a_revoked_permit_reads_revoked_from_the_list(
    issued_permit, published, granted_officer, django_capture_on_commit_callbacks
):
    code = document_signers.permit_signed_code(permit=issued_permit)
    trust_list.trust_list_current()  # published and cached
    with django_capture_on_commit_callbacks(execute=True):
        services.permit_revoke(permit=issued_permit, actor=granted_officer, reason="Forged application.")
    content, issuer = trust_list.trust_list_open(trust_list.trust_list_current(), root=root_of_settings())
    signers, documents = trust_list.verifier_inputs(content, issuer=issuer)
    verdict = qr_payload.verify(code, signers=signers, revoked=documents)
    assert verdict.verdict == "revoked" and verdict.status_since  # the list changed with the revocation


def root_of_settings():
    return Pki.default().certificate("root-ca")


def test_a_trust_list_not_signed_by_the_platform_is_refused(platform, pki_dir, authority):
    signed = trust_list.trust_list_make()
    payload = json.loads(trust_list._unb64(signed["payload"]))
    payload["documents"].append({"kind": "permit", "number": "X", "status": "revoked", "since": "2026"})
    forged = {**signed, "payload": trust_list._b64(json.dumps(payload).encode())}
    with pytest.raises(trust_list.TrustListError, match="signature"):
        trust_list.trust_list_open(forged, root=root(pki_dir))
    # Signed correctly, but by an issuing authority's key rather than the platform's.
    bureau = document_signers.document_signer_for(authority=authority)
    body = trust_list._unb64(signed["payload"])
    r, s = decode_dss_signature(
        Pki(pki_dir).keys.load_private_key(bureau.key_ref).sign(body, ec.ECDSA(hashes.SHA256()))
    )
    cert = x509.load_pem_x509_certificate(bureau.certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    impostor = {
        **signed,
        "signature": trust_list._b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")),
        "certificate": trust_list._b64(cert),
    }
    with pytest.raises(trust_list.TrustListError, match="not signed by the platform"):
        trust_list.trust_list_open(impostor, root=root(pki_dir))


def test_the_well_known_list_opens_with_the_root_alone(client, platform, issued_permit, pki_dir):
    document_signers.permit_signed_code(permit=issued_permit)
    response = client.get(reverse("signing:trust-list"))
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    content, _issuer = trust_list.trust_list_open(response.json(), root=root(pki_dir))
    assert content["made_at"] < content["next_due"]
    assert {row["authority_code"] for row in content["signers"]} == {"onewindow", issued_permit.authority.code}


def test_the_command_checks_text_and_pictures_offline(issued_permit, platform, tmp_path, capsys):
    code = document_signers.permit_signed_code(permit=issued_permit)
    call_command("verify_qr", code)
    assert capsys.readouterr().out.startswith("VALID")

    picture = tmp_path / "code.png"
    pixels = memoryview(zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(scale=4))
    Image.frombytes("L", (pixels.shape[1], pixels.shape[0]), pixels.tobytes()).save(picture)
    saved = tmp_path / "trust-list.json"
    saved.write_text(json.dumps(trust_list.trust_list_make()))
    call_command("verify_qr", str(picture), "--trust-list", str(saved), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "valid" and report["claims"]["number"] == issued_permit.number

    forged = resigned_payload(code, lambda doc: doc.update(n="TEB-2099-000001"))
    key, certificate = foreign_signer(issued_permit.authority.code)
    unknown = qr_payload.encode(document_signers.permit_claims(issued_permit), private_key=key, certificate=certificate)
    for text, verdict in (
        (forged, "TAMPERED"),
        (unknown, "UNKNOWN_KEY"),
        (screen_code_shown_later(issued_permit), "CODE_EXPIRED"),
        ("OW1:NOT A CODE", "UNREADABLE"),
    ):
        with pytest.raises(SystemExit) as status:
            call_command("verify_qr", text, "--trust-list", str(saved))
        assert status.value.code == 1 and capsys.readouterr().out.startswith(verdict)

    with pytest.raises(CommandError, match="Cannot read a picture"):
        call_command("verify_qr", str(saved))
    Image.new("L", (200, 200), 255).save(tmp_path / "blank.png")
    with pytest.raises(CommandError, match="No OneWindow signed code"):
        call_command("verify_qr", str(tmp_path / "blank.png"))
    saved.write_text(saved.read_text().replace('"signature": "', '"signature": "AA'))
    with pytest.raises(CommandError, match="not to be trusted"):
        call_command("verify_qr", code, "--trust-list", str(saved))


def test_the_printed_permit_carries_its_signed_code_readable_at_print_size(issued_permit, platform, tmp_path):
    """Rendered as a printer would see it (pdftoppm, 300 dpi), the permit's second code decodes, checks
    offline, stays within version 15 at M, and its modules are at least 0.4 mm wide."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("needs poppler's pdftoppm (Debian poppler-utils)")
    (tmp_path / "permit.pdf").write_bytes(bytes(issued_permit.document.pdf))
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            pdftoppm,
            "-r",
            "300",
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "permit.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    page = Image.open(next(tmp_path.glob("p*.png")))
    found = [r for r in zxingcpp.read_barcodes(page) if r.text.startswith(qr_payload.PREFIX)]
    assert len(found) == 1
    code = found[0]
    content, issuer = trust_list.trust_list_open(trust_list.trust_list_make(), root=root_of_settings())
    signers, documents = trust_list.verifier_inputs(content, issuer=issuer)
    verdict = qr_payload.verify(code.text, signers=signers, revoked=documents)
    assert verdict.verdict == "valid" and verdict.claims.number == issued_permit.number
    assert verdict.claims.sha256 == ""  # printed before the file existed: the file cannot hold its own digest
    assert_printable(code)


def assert_printable(code) -> None:
    """A code zxing read from a page rendered at 300 dpi: the symbol as printed is at most version 15 at
    error correction M, and its modules are at least 0.4 mm wide."""
    version = int(code.extra["Version"])  # what the decoder found on the page, not a re-encoding
    assert code.ec_level == "M" and version <= 15
    modules = 17 + 4 * version
    width_px = abs(code.position.top_right.x - code.position.top_left.x)
    assert width_px / modules / 300 * 25.4 >= 0.4  # millimetres per module


def test_a_printed_code_stays_small_whatever_the_names(authority, seal, granted_officer, platform, tmp_path):
    """A long holder name and matter (48 and 56 Chinese characters) would need version 17: the printed
    code cuts its free text (marked "…"; the registry keeps it whole) until it fits, and still checks;
    the holder's on-screen code is not printed and keeps them whole."""
    holder = EnterpriseFactory(
        name="Zhongguancun Advanced Materials Joint R&D Centre Co., Ltd.",
        name_zh="北京市海淀区中关村国家自主创新示范区核心区新型复合材料与先进制造技术联合研究开发中心有限责任公司",
    )
    matter = (
        "建设项目环境影响评价文件审批（含辐射类建设项目、海洋工程建设项目、"
        "跨省级行政区域建设项目及核与辐射安全许可事项）"
    )
    assert max(len(holder.name_zh), len(matter)) < qr_payload.MAX_TEXT  # whole, they would need version 17
    permit = services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder, matter=matter))
    codes = printed_codes(bytes(permit.document.pdf), tmp_path)
    assert len(codes) == 1
    assert_printable(codes[0])
    verdict = offline_check(codes[0].text)
    assert verdict.verdict == "valid" and verdict.claims.number == permit.number
    for shown, whole in ((verdict.claims.holder, holder.name_zh), (verdict.claims.matter, matter)):
        assert shown.endswith(qr_payload.CUT) and whole.startswith(shown[:-1]) and len(shown) >= 15

    # What certificates and delivery notes print (the platform vouches): the same bound.
    note = document_signers.document_signed_code(
        authority=platform, kind="delivery_note", number="JF-OW-2026-000001-1", holder=holder.name_zh, matter=matter
    )
    assert len(note) <= qr_payload.PRINTED_MAX_CHARS and qr_version(note) <= 14
    assert offline_check(note).verdict == "valid"
    screen = document_signers.permit_signed_code(permit=permit, dynamic=True)
    assert qr_payload.decode_claims_unverified(screen).holder == holder.name_zh
    # Nothing left to cut: a clear error, not a code too dense to scan.
    key, certificate = foreign_signer("x")
    with pytest.raises(qr_payload.CodeTooLarge):
        qr_payload.encode(
            qr_payload.Claims(kind="permit", number="TEB-2026-000001", issuer="teb", holder="某" * 60),
            private_key=key,
            certificate=certificate,
            max_chars=150,  # less than the signature alone takes
        )


def test_the_holder_shows_a_fresh_code_on_screen_and_nobody_else_can(client, issued_permit, holder, platform):
    owner = UserFactory()
    EnterpriseMember.objects.create(enterprise=holder, user=owner, role=EnterpriseMember.Role.OWNER)
    client.force_login(owner)
    url = reverse("signing:my-permit-code", args=[issued_permit.pk])
    assert url in client.get(reverse("signing:my-permits")).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    code = page.split('data-signed-code="')[1].split('"')[0]
    assert "<svg" in page and "Show a new code" in page
    now = dt.datetime.now(dt.UTC)
    content, issuer = trust_list.trust_list_open(trust_list.trust_list_make(), root=root_of_settings())
    signers, documents = trust_list.verifier_inputs(content, issuer=issuer)
    verdict = qr_payload.verify(code, signers=signers, revoked=documents, now=now)
    assert verdict.verdict == "valid" and verdict.claims.sha256 == issued_permit.sha256
    assert 0 < verdict.claims.expires - now.timestamp() <= document_signers.DYNAMIC_CODE_SECONDS
    later = now + dt.timedelta(seconds=document_signers.DYNAMIC_CODE_SECONDS + 1)
    assert qr_payload.verify(code, signers=signers, revoked=documents, now=later).verdict == "code_expired"

    client.force_login(UserFactory())  # acts for no holder
    assert client.get(url).status_code == 404


def test_the_command_rotates_and_revokes_keys(issued_permit, published, authority, capsys):
    old_code = document_signers.permit_signed_code(permit=issued_permit)
    old = DocumentSigner.objects.get(authority=authority)
    call_command("document_signers", "rotate", authority.code)
    new = DocumentSigner.objects.get(authority=authority, status="active")
    assert new.kid != old.kid and f"New key {new.kid}" in capsys.readouterr().out
    assert check(old_code, published).verdict == "valid"  # retired, not withdrawn: its codes still check
    assert check(document_signers.permit_signed_code(permit=issued_permit), published).signer.kid.hex() == new.kid

    with pytest.raises(CommandError, match="--yes"):
        call_command("document_signers", "revoke", old.kid)
    call_command("document_signers", "revoke", old.kid, "--yes")
    assert check(old_code, published).verdict == "unknown_key"
    with pytest.raises(CommandError, match="already revoked"):
        call_command("document_signers", "revoke", old.kid, "--yes")
    with pytest.raises(CommandError, match="No issuing authority"):
        call_command("document_signers", "rotate", "nobody")


def test_the_scan_page_and_its_service_worker_are_served_for_each_language(client, platform):
    for prefix in ("", "/zh-hans"):
        page = client.get(f"{prefix}/verify/scan/")
        assert page.status_code == 200
        urls = json.loads(page.content.decode().split('id="scan-urls" type="application/json">')[1].split("<")[0])
        assert urls["page"] == f"{prefix}/verify/scan/"
        worker = client.get(f"{prefix}/verify/scan/sw.js")
        assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
        script = worker.content.decode()
        assert all(asset in script for asset in urls["assets"])
    # Everything it keeps exists (a missing file would fail the worker's install, and offline use).
    assert all(finders.find(name) for name in offline.ASSETS)
    assert "离线核验" in client.get("/zh-hans/verify/scan/").content.decode()
