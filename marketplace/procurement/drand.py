"""drand, the League of Entropy's public randomness beacon, as pure functions (no Django, no network
here: ``fetch_round`` is the one network call and callers choose when to make it).

A drand round is a BLS signature by the network's threshold key; nobody knows it before the network
produces it at ``genesis_time + (round − 1) × period``, and anyone can check it offline against the
chain's public key. OneWindow's requests fix the round at publication — the first round at or after
the quote deadline — and mix its randomness into the committed seed (``mixed_seed``), so neither the
platform (which knows the seed) nor anyone else (who knows the round's time) can steer a draw.

Scheme ``bls-unchained-g1-rfc9380`` (the "quicknet" chain): public key on G2 (96 bytes), signature on
G1 (48 bytes) over SHA-256(round as 8 big-endian bytes), hashed to G1 with the RFC 9380 suite
``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_``; randomness = SHA-256(signature). Checked with
``py_ecc`` against real published rounds (tests/procurement/drand_rounds.json).
"""

import hashlib
import json
import math
import urllib.error
import urllib.request
from dataclasses import dataclass

SCHEME = "bls-unchained-g1-rfc9380"
DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"


class BeaconError(ValueError):
    """A round that does not verify, or a chain this code does not know how to check."""


class BeaconPending(Exception):
    """The round does not exist yet (or the beacon could not be reached): try again later."""


@dataclass(frozen=True)
class Chain:
    url: str
    chain_hash: str
    public_key: str
    period: int
    genesis_time: int
    scheme: str = SCHEME

    def as_json(self) -> dict:
        return {
            "url": self.url,
            "chain_hash": self.chain_hash,
            "public_key": self.public_key,
            "period": self.period,
            "genesis_time": self.genesis_time,
            "scheme": self.scheme,
        }

    def round_url(self, number: int) -> str:
        return f"{self.url.rstrip('/')}/{self.chain_hash}/public/{number}"


# The League of Entropy's quicknet chain (https://api.drand.sh/<hash>/info).
QUICKNET = Chain(
    url="https://api.drand.sh",
    chain_hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    public_key=(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d"
        "1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
    ),
    period=3,
    genesis_time=1692803367,
)


def round_at(chain: Chain, unix_time: float) -> int:
    """The first round produced at or after ``unix_time``."""
    if unix_time <= chain.genesis_time:
        return 1
    return math.ceil((unix_time - chain.genesis_time) / chain.period) + 1


def round_time(chain: Chain, number: int) -> int:
    return chain.genesis_time + (number - 1) * chain.period


def verify_round(chain: Chain, number: int, signature_hex: str) -> str:
    """Check the round's signature against the chain's key; returns its randomness (hex)."""
    if chain.scheme != SCHEME:
        raise BeaconError(f"drand scheme {chain.scheme!r} is not supported (only {SCHEME})")
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.optimized_bls12_381 import FQ12, G2, final_exponentiate, neg
    from py_ecc.optimized_bls12_381.optimized_pairing import miller_loop

    try:
        signature = bytes.fromhex(signature_hex)
        key = bytes.fromhex(chain.public_key)
        if len(signature) != 48 or len(key) != 96:
            raise ValueError("wrong length")
        signature_point = decompress_G1(int.from_bytes(signature, "big"))
        key_point = decompress_G2((int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big")))
    except (ValueError, TypeError) as error:
        raise BeaconError(f"round {number}: not a BLS12-381 signature or key ({error})") from None
    message = hashlib.sha256(number.to_bytes(8, "big")).digest()
    hashed = hash_to_G1(message, DST, hashlib.sha256)
    # e(signature, g2) == e(H(m), key)  <=>  e(signature, g2) · e(H(m), −key) == 1
    if final_exponentiate(miller_loop(G2, signature_point) * miller_loop(neg(key_point), hashed)) != FQ12.one():
        raise BeaconError(f"round {number}: the signature is not the beacon's")
    return hashlib.sha256(signature).hexdigest()


def mixed_seed(seed_hex: str, randomness_hex: str) -> str:
    """The draw's final seed: SHA-256(seed bytes || beacon randomness bytes), hex."""
    return hashlib.sha256(bytes.fromhex(seed_hex) + bytes.fromhex(randomness_hex)).hexdigest()


def fetch_round(chain: Chain, number: int, *, timeout: float = 10) -> str:
    """The round's signature (hex) from the beacon's HTTP API; ``BeaconPending`` if it is not there yet
    or the beacon cannot be reached. The caller verifies it (``verify_round``)."""
    try:
        with urllib.request.urlopen(chain.round_url(number), timeout=timeout) as response:  # noqa: S310 - https URL from settings
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise BeaconPending(f"drand round {number} is not available: {error}") from None
    if int(body.get("round", -1)) != number or not body.get("signature"):
        raise BeaconPending(f"drand answered for another round than {number}")
    return body["signature"]
