"""RFC 9162 (Certificate Transparency 2.0) Merkle tree algorithms over SHA-256, as pure functions.

Written out rather than taken from a library: the proofs must be RFC 9162 audit paths (a list of
sibling hashes) so that any CT-style verifier, or the standalone auditor in ``tools/``, can check
them; pymerkle, the maintained Python option, encodes its proofs in its own rule/subset format.
``tests/translog`` runs these functions against the C2SP CCTV Merkle test vectors.

    leaf hash   = SHA-256(0x00 || leaf bytes)
    node hash   = SHA-256(0x01 || left || right)
    MTH({})     = SHA-256("")
    MTH(D[n])   = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

Everything here works on leaf *hashes* (32 bytes each), in order.
"""

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or a request for one that cannot exist."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(hashes: list[bytes]) -> bytes:
    """MTH of the leaves whose hashes are ``hashes``."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(root(hashes[:k]), root(hashes[k:]))


def inclusion_path(index: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1: the audit path of leaf ``index`` in the tree of ``hashes``."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ProofError(f"leaf {index} is not in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return inclusion_path(index, hashes[:k]) + [root(hashes[k:])]
    return inclusion_path(index - k, hashes[k:]) + [root(hashes[:k])]


def _subproof(m: int, hashes: list[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [root(hashes)]
    k = _split(n)
    if m <= k:
        return _subproof(m, hashes[:k], complete) + [root(hashes[k:])]
    return _subproof(m - k, hashes[k:], False) + [root(hashes[:k])]


def consistency_path(first: int, hashes: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1: that the tree of the first ``first`` leaves is a
    prefix of the tree of ``hashes``. Empty for ``first`` 0 or equal to the size."""
    n = len(hashes)
    if not 0 <= first <= n:
        raise ProofError(f"a tree of {first} cannot precede a tree of {n}")
    if first in (0, n):
        return []
    return _subproof(first, hashes, True)


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], expected_root: bytes) -> None:
    """RFC 9162 section 2.1.3.2; raises ``ProofError`` unless ``leaf`` is leaf ``index`` of the tree
    of ``size`` whose root is ``expected_root``."""
    if not 0 <= index < size:
        raise ProofError("the leaf index is outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("the inclusion path is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != expected_root:
        raise ProofError("the inclusion proof does not lead to the tree head")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> None:
    """RFC 9162 section 2.1.4.2; raises ``ProofError`` unless the tree of ``first`` leaves with
    ``first_root`` is a prefix of the tree of ``second`` leaves with ``second_root``."""
    if not 0 <= first <= second:
        raise ProofError("the first tree is larger than the second")
    if first == second:
        if path or first_root != second_root:
            raise ProofError("equal sizes need equal roots and an empty proof")
        return
    if first == 0:
        if path or first_root != EMPTY_ROOT:
            raise ProofError("the empty tree has the empty root and an empty proof")
        return
    if not path:
        raise ProofError("the consistency proof is empty")
    path = list(path)
    if first & (first - 1) == 0:  # an exact power of two: the first root is itself a node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency path is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError("the consistency proof does not join the two tree heads")
