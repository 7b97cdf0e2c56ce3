"""The RFC 9162 algorithms against the C2SP CCTV Merkle test vectors (vectors/, BSD-2-Clause, copied
from github.com/C2SP/CCTV merkle/testdata): tree heads, inclusion and consistency proofs, generated
and verified, and every invalid case refused."""

import base64
import json
from pathlib import Path

import pytest

from translog import merkle

VECTORS = Path(__file__).parent / "vectors"


def load(name):
    return json.loads((VECTORS / f"{name}.json").read_text())


def b64(value):
    return base64.b64decode(value)


TREE = load("merkle_tree")
LEAVES = [b64(case["leaf_hash"]) for case in TREE]


def test_leaf_hashes_and_every_tree_head():
    for n, case in enumerate(TREE, start=1):
        assert merkle.leaf_hash(case["leaf_data"].encode()) == b64(case["leaf_hash"])
        assert merkle.root(LEAVES[:n]) == b64(case["root_hash"])
    assert merkle.root([]) == b64("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")


@pytest.mark.parametrize("case", load("inclusion-valid"), ids=lambda c: f"{c['leaf_index']}of{c['tree_size']}")
def test_valid_inclusion_proofs_are_generated_and_verified(case):
    path = [b64(p) for p in case["inclusion_path"]]
    assert merkle.inclusion_path(case["leaf_index"], LEAVES[: case["tree_size"]]) == path
    merkle.verify_inclusion(b64(case["leaf_hash"]), case["leaf_index"], case["tree_size"], path, b64(case["root_hash"]))


@pytest.mark.parametrize("case", load("inclusion-invalid"), ids=lambda c: c["comment"])
def test_invalid_inclusion_proofs_are_refused(case):
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(
            b64(case["leaf_hash"]),
            case["leaf_index"],
            case["tree_size"],
            [b64(p) for p in case["inclusion_path"]],
            b64(case["root_hash"]),
        )


@pytest.mark.parametrize("case", load("consistency-valid"), ids=lambda c: f"{c['old_size']}to{c['new_size']}")
def test_valid_consistency_proofs_are_generated_and_verified(case):
    path = [b64(p) for p in case["consistency_path"]]
    assert merkle.consistency_path(case["old_size"], LEAVES[: case["new_size"]]) == path
    merkle.verify_consistency(case["old_size"], case["new_size"], b64(case["old_root"]), b64(case["new_root"]), path)


@pytest.mark.parametrize("case", load("consistency-invalid"), ids=lambda c: c["comment"])
def test_invalid_consistency_proofs_are_refused(case):
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            case["old_size"],
            case["new_size"],
            b64(case["old_root"]),
            b64(case["new_root"]),
            [b64(p) for p in case["consistency_path"]],
        )


def test_every_proof_of_every_small_tree_verifies_and_a_changed_leaf_breaks_it():
    """Beyond the vectors: all (index, size) and (first, second) pairs up to 16 leaves."""
    for size in range(1, len(LEAVES) + 1):
        tree = LEAVES[:size]
        head = merkle.root(tree)
        for index in range(size):
            path = merkle.inclusion_path(index, tree)
            merkle.verify_inclusion(tree[index], index, size, path, head)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(merkle.leaf_hash(b"forged"), index, size, path, head)
        for first in range(1, size):
            proof = merkle.consistency_path(first, tree)
            merkle.verify_consistency(first, size, merkle.root(tree[:first]), head, proof)
            rewritten = [*tree[: first - 1], merkle.leaf_hash(b"rewritten"), *tree[first:]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(first, size, merkle.root(tree[:first]), merkle.root(rewritten), proof)
