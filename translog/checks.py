"""Checking what the log publishes, without Django: a signed tree head (checkpoint, signature,
RFC 3161 timestamp) and a record's inclusion proof against it. Used by ``verify_pdf`` and by the
standalone auditor (``tools/log_audit.py``), so it needs only ``requirements.txt`` packages.
"""

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from . import merkle


class HeadError(ValueError):
    """A tree head, a proof or a key that does not check out."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) != 4 or lines[3] != "" or not lines[1].isdigit():
        raise HeadError("the checkpoint is not <origin>\\n<size>\\n<base64 root>\\n")
    try:
        root_hash = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise HeadError("the checkpoint's root is not base64") from None
    if len(root_hash) != 32:
        raise HeadError("the checkpoint's root is not a SHA-256 hash")
    return Checkpoint(lines[0], int(lines[1]), root_hash)


def load_chain(pem: str | bytes) -> list[x509.Certificate]:
    """The log certificate first, then its issuers up to the root."""
    chain = x509.load_pem_x509_certificates(pem.encode() if isinstance(pem, str) else pem)
    if len(chain) < 2:
        raise HeadError("the log key chain needs the log certificate and its issuers")
    for cert, issuer in zip(chain, chain[1:], strict=False):
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise HeadError(f"{cert.subject.rfc4514_string()} is not issued by the next certificate") from None
    return chain


def root_fingerprint(chain: list[x509.Certificate]) -> str:
    return chain[-1].fingerprint(hashes.SHA256()).hex()


def verify_head(head: dict, chain: list[x509.Certificate]) -> datetime:
    """Check ``head`` (the JSON of ``/transparency/log/head.json``) against the log key chain: the
    checkpoint matches the size and root, the log key signed it, and the timestamp token (by a TSA
    chaining to the same root) covers the signature. Returns the timestamp's time."""
    checkpoint = parse_checkpoint(head["checkpoint"])
    if checkpoint.tree_size != head["tree_size"] or checkpoint.root_hash.hex() != head["root_hash"]:
        raise HeadError("the checkpoint does not say the head's size and root")
    try:
        signature = base64.b64decode(head["signature"], validate=True)
        token = base64.b64decode(head["timestamp_token"], validate=True)
    except ValueError:
        raise HeadError("the head's signature or timestamp token is not base64") from None
    try:
        chain[0].public_key().verify(signature, head["checkpoint"].encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise HeadError(f"the signature of the head of size {checkpoint.tree_size} is not the log key's") from None
    return verify_timestamp(token, hashlib.sha256(signature).digest(), chain)


def verify_timestamp(token_der: bytes, digest: bytes, chain: list[x509.Certificate]) -> datetime:
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    try:
        signed_data = cms.ContentInfo.load(token_der)["content"]
        root = asn1_x509.Certificate.load(chain[-1].public_bytes(Encoding.DER))
        context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
        status = asyncio.run(validate_tst_signed_data(signed_data, context, lambda _algorithm: digest))
    except Exception as error:  # noqa: BLE001 - any parse or validation failure is a bad token
        raise HeadError(f"the timestamp token does not check out: {error}") from None
    if not (status.get("intact") and status.get("valid")):
        raise HeadError("the timestamp token does not cover the signature or is not the TSA's")
    return status["timestamp"]


def verify_inclusion(proof: dict, head: dict) -> None:
    """``proof`` as ``/transparency/log/proof/inclusion.json`` gives it, against ``head``'s root."""
    if proof["tree_size"] != head["tree_size"]:
        raise HeadError("the proof is for another tree size than the head")
    try:
        merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            proof["leaf_index"],
            proof["tree_size"],
            [bytes.fromhex(p) for p in proof["inclusion_path"]],
            bytes.fromhex(head["root_hash"]),
        )
    except (merkle.ProofError, ValueError) as error:
        raise HeadError(str(error)) from None
