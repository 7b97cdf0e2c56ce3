"""The platform's own PKI for the embedded default and the tests, built with ``cryptography``.

Layout under ``settings.SIGNING_PKI_DIR`` (public parts in PEM/DER, private keys only encrypted by
:class:`signing.keystores.EncryptedFileKeyStore`)::

    root-ca.crt.pem   root-ca.key.enc     the trust anchor verifiers are given
    seal-ca.crt.pem   seal-ca.key.enc     issues seal and TSA certificates
    tsa.crt.pem       tsa.key.enc         the local RFC 3161 timestamp authority
    root-ca.crl       seal-ca.crl         CRLs (DER), served at /pki/<name>.crl
    seal-ca-revoked.json                  serials the seal CA has revoked
    seals/<label>.crt.pem  seals/<label>.key.enc

Everything is created only when missing, so :func:`pki_init` is idempotent. Production replaces
the root by imported certificates (PKCS#12, see :func:`seal_import_pkcs12` in services).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from .exceptions import PkiError
from .keystores import EncryptedFileKeyStore

ROOT = "root-ca"
SEAL_CA = "seal-ca"
TSA = "tsa"
# Signs the transparency log's tree heads (issue 18); certified by the seal CA like the TSA.
LOG = "transparency-log"
CRL_NAMES = (ROOT, SEAL_CA)
CRL_LIFETIME = dt.timedelta(days=7)
CRL_REFRESH_MARGIN = dt.timedelta(days=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_pem_chain(pem: str | bytes) -> list[asn1_x509.Certificate]:
    data = pem.encode() if isinstance(pem, str) else pem
    return [to_asn1(c) for c in x509.load_pem_x509_certificates(data)]


@dataclass(frozen=True)
class Pki:
    """Paths and operations of one PKI directory."""

    directory: Path

    @classmethod
    def default(cls) -> Pki:
        return cls(Path(settings.SIGNING_PKI_DIR))

    @property
    def keys(self) -> EncryptedFileKeyStore:
        return EncryptedFileKeyStore(self.directory)

    def cert_path(self, name: str) -> Path:
        return self.directory / f"{name}.crt.pem"

    def crl_path(self, name: str) -> Path:
        return self.directory / f"{name}.crl"

    def crl_url(self, name: str) -> str:
        return f"{settings.PUBLIC_BASE_URL}/pki/{name}.crl"

    # --- reading ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return all(self.cert_path(n).exists() for n in (ROOT, SEAL_CA, TSA))

    def certificate(self, name: str) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(self.cert_path(name).read_bytes())
        except OSError as exc:
            raise PkiError(f"The PKI has no {name} certificate; run `manage.py init_pki`.") from exc

    def root(self) -> asn1_x509.Certificate:
        return to_asn1(self.certificate(ROOT))

    def seal_ca(self) -> asn1_x509.Certificate:
        return to_asn1(self.certificate(SEAL_CA))

    def tsa(self):
        """(certificate, private key) of the local TSA."""
        return to_asn1(self.certificate(TSA)), self.keys.load_private_key(f"{TSA}.key.enc")

    def log_signer(self):
        """(certificate, private key) of the transparency log's key, made on first use."""
        if not self.cert_path(LOG).exists():
            self.init()
        return self.certificate(LOG), self.keys.load_private_key(f"{LOG}.key.enc")

    def log_chain_pem(self) -> str:
        """The log certificate, the seal CA and the root, PEM: what an auditor pins."""
        parts = [self.certificate(LOG), self.certificate(SEAL_CA), self.certificate(ROOT)]
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in parts)

    def crl_der(self, name: str) -> bytes:
        """The current CRL of ``name``, reissued first if it is about to expire."""
        if name not in CRL_NAMES:
            raise PkiError(f"No CRL named {name!r}.")
        path = self.crl_path(name)
        if path.exists():
            der = path.read_bytes()
            next_update = x509.load_der_x509_crl(der).next_update_utc
            if next_update and next_update - CRL_REFRESH_MARGIN > _now():
                return der
        return self._issue_crl(name)

    def crls(self) -> list[asn1_crl.CertificateList]:
        return [asn1_crl.CertificateList.load(self.crl_der(n)) for n in CRL_NAMES]

    def revoked(self, name: str = SEAL_CA) -> dict[str, dict]:
        path = self.directory / f"{name}-revoked.json"
        return json.loads(path.read_text()) if path.exists() else {}

    # --- writing ------------------------------------------------------------------------------

    def _sign_cert(
        self,
        *,
        subject: x509.Name,
        public_key,
        issuer_cert: x509.Certificate | None,
        issuer_key,
        days: int,
        ca: bool,
        key_usage: dict,
        eku=None,
        crl_name: str | None,
    ) -> x509.Certificate:
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject if issuer_cert else subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )
        ku = dict.fromkeys(
            (
                "digital_signature content_commitment key_encipherment data_encipherment key_agreement "
                "key_cert_sign crl_sign encipher_only decipher_only"
            ).split(),
            False,
        )
        ku.update(key_usage)
        builder = builder.add_extension(x509.KeyUsage(**ku), critical=True)
        if issuer_cert is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
            )
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
        if crl_name:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(self.crl_url(crl_name))],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        return builder.sign(issuer_key, hashes.SHA256())

    def _write_cert(self, path: Path, cert: x509.Certificate) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def _issue_crl(self, name: str) -> bytes:
        issuer = self.certificate(name)
        key = self.keys.load_private_key(f"{name}.key.enc")
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + CRL_LIFETIME)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False)
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        )
        for serial, info in self.revoked(name).items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(serial))
                .revocation_date(dt.datetime.fromisoformat(info["at"]))
                .build()
            )
        der = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        self.crl_path(name).write_bytes(der)
        return der

    def _issue_service_cert(self, name: str, common_name: str, *, days: int, key_usage: dict, eku=None) -> None:
        """A key and an end-entity certificate under the seal CA for one of the platform's own services."""
        key = new_key()
        self.keys.store(key_ref=f"{name}.key.enc", private_key=key)
        cert = self._sign_cert(
            subject=_name(common_name, "OneWindow"),
            public_key=key.public_key(),
            issuer_cert=self.certificate(SEAL_CA),
            issuer_key=self.keys.load_private_key(f"{SEAL_CA}.key.enc"),
            days=days,
            ca=False,
            key_usage=key_usage,
            eku=eku,
            crl_name=SEAL_CA,
        )
        self._write_cert(self.cert_path(name), cert)

    def init(self) -> list[str]:
        """Create whatever is missing of root CA, seal CA, TSA, log key and CRLs; return what was created."""
        self.directory.mkdir(parents=True, exist_ok=True)
        created = []
        if not self.cert_path(ROOT).exists():
            key = new_key()
            self.keys.store(key_ref=f"{ROOT}.key.enc", private_key=key)
            cert = self._sign_cert(
                subject=_name("OneWindow Root CA", "OneWindow"),
                public_key=key.public_key(),
                issuer_cert=None,
                issuer_key=key,
                days=365 * 20,
                ca=True,
                key_usage={"key_cert_sign": True, "crl_sign": True, "digital_signature": True},
                crl_name=None,
            )
            self._write_cert(self.cert_path(ROOT), cert)
            created.append(ROOT)
        root_cert = self.certificate(ROOT)
        root_key = self.keys.load_private_key(f"{ROOT}.key.enc")
        if not self.cert_path(SEAL_CA).exists():
            key = new_key()
            self.keys.store(key_ref=f"{SEAL_CA}.key.enc", private_key=key)
            cert = self._sign_cert(
                subject=_name("OneWindow Seal Issuing CA", "OneWindow"),
                public_key=key.public_key(),
                issuer_cert=root_cert,
                issuer_key=root_key,
                days=365 * 10,
                ca=True,
                key_usage={"key_cert_sign": True, "crl_sign": True, "digital_signature": True},
                crl_name=ROOT,
            )
            self._write_cert(self.cert_path(SEAL_CA), cert)
            created.append(SEAL_CA)
        if not self.cert_path(TSA).exists():
            self._issue_service_cert(
                TSA,
                "OneWindow Timestamp Authority",
                days=365 * 5,
                key_usage={"digital_signature": True, "content_commitment": True},
                eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            )
            created.append(TSA)
        if not self.cert_path(LOG).exists():
            self._issue_service_cert(
                LOG, "OneWindow Transparency Log", days=365 * 10, key_usage={"digital_signature": True}
            )
            created.append(LOG)
        for name in CRL_NAMES:
            if not self.crl_path(name).exists():
                self._issue_crl(name)
                created.append(f"{name}.crl")
        return created

    def issue_seal(self, *, label: str, common_name: str, organisation: str, public_key=None, days: int = 365 * 3):
        """A seal certificate (digitalSignature + nonRepudiation, as pyHanko's validator expects).

        Without ``public_key`` a key pair is made here and stored encrypted; with one (from a
        PKCS#11 token) only the certificate is issued. Returns (certificate, key_ref or None).
        """
        key_ref = None
        if public_key is None:
            key = new_key()
            key_ref = f"seals/{label}.key.enc"
            self.keys.store(key_ref=key_ref, private_key=key)
            public_key = key.public_key()
        cert = self._sign_cert(
            subject=_name(common_name, organisation),
            public_key=public_key,
            issuer_cert=self.certificate(SEAL_CA),
            issuer_key=self.keys.load_private_key(f"{SEAL_CA}.key.enc"),
            days=days,
            ca=False,
            key_usage={"digital_signature": True, "content_commitment": True},
            crl_name=SEAL_CA,
        )
        self._write_cert(self.directory / "seals" / f"{label}.crt.pem", cert)
        return cert, key_ref

    def issue_document_signer(self, *, label: str, authority_code: str, authority_name: str, days: int = 365 * 2):
        """A document-signer certificate for signed QR codes: an ECDSA P-256 key (what the codes and
        WebCrypto use), stored encrypted; the authority's code as the subject's organisational unit,
        so a verifier knows whose codes it may sign. Returns (certificate, key_ref)."""
        key = ec.generate_private_key(ec.SECP256R1())
        key_ref = f"document-signers/{label}.key.enc"
        self.keys.store(key_ref=key_ref, private_key=key)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, authority_name),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, authority_code),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{authority_name} Document Signer"),
            ]
        )
        cert = self._sign_cert(
            subject=subject,
            public_key=key.public_key(),
            issuer_cert=self.certificate(SEAL_CA),
            issuer_key=self.keys.load_private_key(f"{SEAL_CA}.key.enc"),
            days=days,
            ca=False,
            key_usage={"digital_signature": True},
            crl_name=SEAL_CA,
        )
        self._write_cert(self.directory / "document-signers" / f"{label}.crt.pem", cert)
        return cert, key_ref

    def chain_pem(self, cert: x509.Certificate) -> str:
        """Seal certificate + issuing CA + root, PEM, for ``Seal.certificate_chain``."""
        parts = [cert, self.certificate(SEAL_CA), self.certificate(ROOT)]
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in parts)

    def revoke(self, *, serial: int, reason: str = "") -> bool:
        """Add ``serial`` to the seal CA's CRL and reissue it; False if it was already revoked."""
        revoked = self.revoked(SEAL_CA)
        if str(serial) in revoked:
            return False
        revoked[str(serial)] = {"at": _now().isoformat(), "reason": reason}
        (self.directory / f"{SEAL_CA}-revoked.json").write_text(json.dumps(revoked, indent=2))
        self._issue_crl(SEAL_CA)
        return True
