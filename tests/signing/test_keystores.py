"""Key stores: encrypted at rest (KEK from settings), PKCS#11 on a SoftHSM2 token, PKCS#12 import."""

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from signing import services
from signing.exceptions import KeyStoreConfigurationError, KeyStoreError
from signing.keystores import EncryptedFileKeyStore, key_encryption_key
from signing.models import DocumentKind
from signing.pki import new_key
from tests.factories import AuthorityMemberFactory

from .conftest import permit_data, reader_for, trust_context

SOFTHSM_LIB = next(
    (
        p
        for p in (
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/local/lib/softhsm/libsofthsm2.so",
        )
        if Path(p).exists()
    ),
    None,
)


def _all_bytes_under(*roots: Path) -> bytes:
    chunks = []
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file():
                chunks.append(path.read_bytes())
    return b"\x00".join(chunks)


def test_encrypted_key_store_never_writes_the_plain_key(tmp_path, settings):
    store = EncryptedFileKeyStore(tmp_path)
    key = new_key()
    store.store(key_ref="seals/k.key.enc", private_key=key)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    raw_d = key.private_numbers().d.to_bytes(256, "big")

    on_disk = _all_bytes_under(tmp_path)
    assert der not in on_disk and pem not in on_disk and raw_d not in on_disk
    assert b"PRIVATE KEY" not in on_disk
    assert (tmp_path / "seals/k.key.enc").stat().st_mode & 0o077 == 0  # readable by the owner only
    # ... and it decrypts back to the same key in memory.
    assert store.load_private_key("seals/k.key.enc").private_numbers() == key.private_numbers()


def test_sealing_writes_no_plain_key_anywhere(issued_permit, pki_dir, seal, settings, tmp_path):
    """After a real sealing run, neither the PKI directory nor media contain the decrypted seal key."""
    key = EncryptedFileKeyStore(pki_dir).load_private_key(seal.key_ref)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    on_disk = _all_bytes_under(pki_dir, tmp_path)
    assert der not in on_disk
    assert bytes(issued_permit.document.pdf).find(der) == -1


def test_wrong_kek_is_refused_without_revealing_anything(tmp_path):
    store = EncryptedFileKeyStore(tmp_path, kek=os.urandom(32))
    store.store(key_ref="k.key.enc", private_key=new_key())
    with pytest.raises(KeyStoreError) as excinfo:
        EncryptedFileKeyStore(tmp_path, kek=os.urandom(32)).load_private_key("k.key.enc")
    assert "cannot be decrypted" in str(excinfo.value)
    assert excinfo.value.__cause__ is not None  # InvalidTag, which carries no data


def test_key_ref_cannot_escape_the_store(tmp_path):
    with pytest.raises(KeyStoreError):
        EncryptedFileKeyStore(tmp_path, kek=os.urandom(32)).load_private_key("../../etc/passwd")


def test_kek_is_required_outside_debug(settings):
    settings.SEAL_KEY_ENCRYPTION_KEY = ""
    settings.DEBUG = False
    with pytest.raises(KeyStoreConfigurationError):
        key_encryption_key()
    settings.DEBUG = True
    assert len(key_encryption_key()) == 32  # the public development KEK, DEBUG only


def test_kek_must_be_32_bytes(settings):
    settings.SEAL_KEY_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"short").decode()
    with pytest.raises(KeyStoreConfigurationError):
        key_encryption_key()


@pytest.mark.django_db
def test_pkcs12_import_seals_a_permit(authority, holder, pki, settings):
    """A production-style seal: key and certificate arrive as PKCS#12 (here issued by our CA)."""
    key = new_key()
    cert, _ = pki.issue_seal(
        label="p12-import", common_name="Imported Seal", organisation="Test", public_key=key.public_key()
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"imported",
        key,
        cert,
        [pki.certificate("seal-ca"), pki.certificate("root-ca")],
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(Exception, match="could not be opened"):
        services.seal_import_pkcs12(authority=authority, name="Imported", data=p12, password=b"wrong", pki=pki)
    seal = services.seal_import_pkcs12(authority=authority, name="Imported", data=p12, password=b"secret", pki=pki)
    assert b"PRIVATE KEY" not in (pki.directory / seal.key_ref).read_bytes()
    officer = AuthorityMemberFactory(authority=authority).user
    services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    permit = services.permit_issue(authority=authority, actor=officer, data=permit_data(holder), seal=seal)
    status = services_validate(permit, pki)
    assert status.bottom_line


def services_validate(permit, pki):
    from pyhanko.sign.validation import validate_pdf_signature

    return validate_pdf_signature(reader_for(bytes(permit.document.pdf)).embedded_signatures[0], trust_context(pki))


@pytest.fixture
def softhsm_token(tmp_path, monkeypatch):
    """A fresh SoftHSM2 token in a tmp dir with its own SOFTHSM2_CONF."""
    if SOFTHSM_LIB is None or shutil.which("softhsm2-util") is None:
        pytest.skip("libsofthsm2 / softhsm2-util not installed (apt-get install softhsm2; .ci/run does)")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    util = shutil.which("softhsm2-util")
    subprocess.run(  # noqa: S603 - fixed arguments, the tool found on PATH above
        [util, "--init-token", "--free", "--label", "ow-test", "--so-pin", "5678", "--pin", "1234"],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    return {"lib": SOFTHSM_LIB, "label": "ow-test", "pin": "1234"}


@pytest.mark.django_db
def test_pkcs11_seal_signs_on_a_softhsm_token(softhsm_token, authority, holder, pki, settings):
    import pkcs11
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pkcs11 import Attribute, KeyType

    settings.SEAL_PKCS11_LIB = softhsm_token["lib"]
    settings.SEAL_PKCS11_TOKEN = softhsm_token["label"]
    settings.SEAL_PKCS11_PIN = softhsm_token["pin"]

    lib = pkcs11.lib(softhsm_token["lib"])
    token = lib.get_token(token_label=softhsm_token["label"])
    with token.open(rw=True, user_pin=softhsm_token["pin"]) as session:
        public, _private = session.generate_keypair(KeyType.RSA, 2048, label="permit-seal", store=True)
        modulus = int.from_bytes(public[Attribute.MODULUS], "big")
        exponent = int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big")
    public_key = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    cert, key_ref = pki.issue_seal(
        label="hsm", common_name="HSM Seal", organisation="Test", public_key=public_key, days=30
    )
    assert key_ref is None  # nothing was written: the key never left the token
    seal = services.seal_register_pkcs11(
        authority=authority, name="HSM seal", key_label="permit-seal", chain_pem=pki.chain_pem(cert)
    )
    officer = AuthorityMemberFactory(authority=authority).user
    services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    permit = services.permit_issue(authority=authority, actor=officer, data=permit_data(holder), seal=seal)
    status = services_validate(permit, pki)
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.serial_number == cert.serial_number


@pytest.mark.django_db
def test_pkcs11_wrong_pin_is_a_key_store_error(softhsm_token, settings):
    from signing.keystores import Pkcs11KeyStore

    store = Pkcs11KeyStore(lib=softhsm_token["lib"], token_label=softhsm_token["label"], pin="0000")
    with pytest.raises(KeyStoreError) as excinfo:
        with store.open_signer(key_ref="x", certificate=None, chain=[]):
            pass
    assert "0000" not in str(excinfo.value)
