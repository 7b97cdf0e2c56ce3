"""A throw-away PKI for verification tests: a root, a seal certificate, a TSA, a CRL.

Built with ``cryptography`` in memory so each scenario (a self-made look-alike root, a revoked seal
certificate) can be made on the spot. Certificates come back as asn1crypto objects, which is
what pyHanko consumes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.UTC


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _new_key() -> rsa.RSAPrivateKey:
    # RSA because pyHanko's in-process timestamper signs with RSA only; one key type keeps it simple.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _to_asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@dataclass
class Issued:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def asn1_cert(self) -> asn1_x509.Certificate:
        return _to_asn1_cert(self.cert)

    @property
    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        return _to_asn1_key(self.key)


@dataclass
class TestPKI:
    """Root CA signing everything directly; enough for chain, trust and revocation scenarios."""

    __test__ = False  # a helper, not a test class

    organisation: str = "Demo Ecology and Environment Bureau"
    crl_url: str = "http://127.0.0.1:8000/pki/crl/root.crl"
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    revoked: dict[int, dt.datetime] = field(default_factory=dict)

    def __post_init__(self):
        key = _new_key()
        name = _name("OneWindow Test Root CA", "OneWindow")
        cert = (
            self._builder(name, name, key.public_key(), days=3650)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        self.root = Issued(cert, key)
        self.seal = self.issue_seal(f"{self.organisation} seal")
        self.tsa = self._issue_tsa()

    def _builder(self, subject, issuer, public_key, *, days: int):
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(days=1))
            .not_valid_after(self.now + dt.timedelta(days=days))
        )

    def _leaf(self, common_name: str, *, usage: x509.KeyUsage, extra=()):
        key = _new_key()
        builder = (
            self._builder(_name(common_name, self.organisation), self.root.cert.subject, key.public_key(), days=730)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()), critical=False
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [x509.DistributionPoint([x509.UniformResourceIdentifier(self.crl_url)], None, None, None)]
                ),
                critical=False,
            )
        )
        for extension, critical in extra:
            builder = builder.add_extension(extension, critical=critical)
        return Issued(builder.sign(self.root.key, hashes.SHA256()), key)

    def issue_seal(self, common_name: str) -> Issued:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=True,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        return self._leaf(common_name, usage=usage)

    def _issue_tsa(self) -> Issued:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        return self._leaf(
            "OneWindow Test TSA",
            usage=usage,
            extra=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)],
        )

    def revoke(self, issued: Issued, at: dt.datetime) -> None:
        self.revoked[issued.cert.serial_number] = at

    def crl(self) -> asn1_crl.CertificateList:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.cert.subject)
            .last_update(self.now - dt.timedelta(minutes=5))
            .next_update(self.now + dt.timedelta(days=7))
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()), critical=False
            )
        )
        for serial, when in self.revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        crl = builder.sign(self.root.key, hashes.SHA256())
        return asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))
