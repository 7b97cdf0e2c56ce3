"""Where seal private keys live, behind one small interface chosen per seal.

* ``encrypted``: the PKCS#8 key encrypted at rest with AES-256-GCM under the key-encryption key
  (KEK) from the environment (``SEAL_KEY_ENCRYPTION_KEY``). The KEK is never stored in the database
  and the plain key is never written anywhere: it exists only in memory while a batch is sealed.
* ``pkcs11``: the key is a non-extractable object on a PKCS#11 token (an HSM; SoftHSM2 in tests),
  found by label; pyHanko's ``PKCS11Signer`` signs on the token.

Both hand out a pyHanko ``Signer`` in a context manager, so the PKCS#11 session is closed (and the
decrypted key dropped) when the batch ends.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from pyhanko.sign.signers import Signer

from .exceptions import KeyStoreConfigurationError, KeyStoreError

__all__ = [
    "ENCRYPTED",
    "PKCS11",
    "EncryptedFileKeyStore",
    "KeyStore",
    "Pkcs11KeyStore",
    "key_encryption_key",
    "key_store_for",
]

ENCRYPTED = "encrypted"
PKCS11 = "pkcs11"

_MAGIC = b"OWSK1"  # OneWindow sealed key, format 1: magic | 12-byte nonce | AES-GCM(ciphertext+tag)
_DEV_KEK_SEED = b"onewindow development key-encryption key - public, never for real seals"


def key_encryption_key() -> bytes:
    """The 32-byte KEK from ``SEAL_KEY_ENCRYPTION_KEY`` (urlsafe base64).

    Without it, only a DEBUG setup may fall back to a public development KEK; anything else is
    refused, so a production deployment cannot silently protect real keys with a published secret.
    """
    raw = getattr(settings, "SEAL_KEY_ENCRYPTION_KEY", "") or ""
    if not raw:
        if settings.DEBUG:
            return hashlib.sha256(_DEV_KEK_SEED).digest()
        raise KeyStoreConfigurationError("SEAL_KEY_ENCRYPTION_KEY is not set; seal keys cannot be used with DEBUG off.")
    try:
        kek = base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4))
    except ValueError as exc:
        raise KeyStoreConfigurationError("SEAL_KEY_ENCRYPTION_KEY is not valid base64.") from exc
    if len(kek) != 32:
        raise KeyStoreConfigurationError("SEAL_KEY_ENCRYPTION_KEY must decode to 32 bytes (AES-256).")
    return kek


class KeyStore(Protocol):
    """What the sealing engine needs from a key store."""

    kind: str

    def open_signer(
        self, *, key_ref: str, certificate: asn1_x509.Certificate, chain: Sequence[asn1_x509.Certificate]
    ) -> contextlib.AbstractContextManager[Signer]: ...


class EncryptedFileKeyStore:
    """Keys encrypted at rest in files under ``directory``; ``key_ref`` is the path below it."""

    kind = ENCRYPTED

    def __init__(self, directory: Path, kek: bytes | None = None):
        self.directory = Path(directory)
        self._kek = kek

    @property
    def kek(self) -> bytes:
        return self._kek if self._kek is not None else key_encryption_key()

    def _path(self, key_ref: str) -> Path:
        path = (self.directory / key_ref).resolve()
        if self.directory.resolve() not in path.parents:
            raise KeyStoreError("Key reference points outside the key store.")
        return path

    def store(self, *, key_ref: str, private_key) -> None:
        """Encrypt ``private_key`` (a cryptography key object) and write only the ciphertext."""
        plain = private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        nonce = os.urandom(12)
        blob = _MAGIC + nonce + AESGCM(self.kek).encrypt(nonce, plain, key_ref.encode())
        path = self._path(key_ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)

    def exists(self, key_ref: str) -> bool:
        return self._path(key_ref).exists()

    def load_private_key(self, key_ref: str):
        """The decrypted key as a cryptography object, in memory only."""
        try:
            blob = self._path(key_ref).read_bytes()
        except OSError as exc:
            raise KeyStoreError(f"The key file for {key_ref!r} cannot be read.") from exc
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 12 + 16:
            raise KeyStoreError(f"The key file for {key_ref!r} is not an encrypted OneWindow key.")
        nonce = blob[len(_MAGIC) : len(_MAGIC) + 12]
        try:
            plain = AESGCM(self.kek).decrypt(nonce, blob[len(_MAGIC) + 12 :], key_ref.encode())
        except InvalidTag as exc:
            # Do not say more: a wrong KEK and a tampered file look the same, on purpose.
            raise KeyStoreError(f"The key for {key_ref!r} cannot be decrypted with the configured KEK.") from exc
        return serialization.load_der_private_key(plain, password=None)

    @contextlib.contextmanager
    def open_signer(self, *, key_ref, certificate, chain) -> Iterator[Signer]:
        from .engine import InMemorySigner

        yield InMemorySigner(private_key=self.load_private_key(key_ref), certificate=certificate, chain=chain)


class Pkcs11KeyStore:
    """Keys on a PKCS#11 token; ``key_ref`` is the key object's label on the token."""

    kind = PKCS11

    def __init__(self, *, lib: str, token_label: str, pin: str):
        self.lib = lib
        self.token_label = token_label
        self.pin = pin

    def _session(self):
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11 as ph_pkcs11

        if not self.lib or not Path(self.lib).exists():
            raise KeyStoreConfigurationError("The PKCS#11 module (SEAL_PKCS11_LIB) is not installed here.")
        try:
            return ph_pkcs11.open_pkcs11_session(
                self.lib, token_criteria=TokenCriteria(label=self.token_label), user_pin=self.pin
            )
        except Exception:  # noqa: BLE001 - python-pkcs11 raises many unrelated types; all mean "no token"
            # from None: the PKCS#11 error text may echo the PIN-related state; say only what failed.
            raise KeyStoreError(f"The PKCS#11 token {self.token_label!r} cannot be opened.") from None

    @contextlib.contextmanager
    def open_signer(self, *, key_ref, certificate, chain) -> Iterator[Signer]:
        from pyhanko.sign.pkcs11 import PKCS11Signer

        session = self._session()
        try:
            yield PKCS11Signer(
                session,
                key_label=key_ref,
                signing_cert=certificate,
                ca_chain=list(chain),
            )
        finally:
            session.close()


def key_store_for(kind: str) -> KeyStore:
    """The configured key store of one kind (``Seal.key_store``)."""
    if kind == ENCRYPTED:
        return EncryptedFileKeyStore(Path(settings.SIGNING_PKI_DIR))
    if kind == PKCS11:
        return Pkcs11KeyStore(
            lib=settings.SEAL_PKCS11_LIB, token_label=settings.SEAL_PKCS11_TOKEN, pin=settings.SEAL_PKCS11_PIN
        )
    raise KeyStoreConfigurationError(f"Unknown key store {kind!r}.")


def private_key_info(private_key) -> asn1_keys.PrivateKeyInfo:
    """asn1crypto view of a cryptography key (pyHanko's DummyTimeStamper wants one)."""
    return asn1_keys.PrivateKeyInfo.load(
        private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
