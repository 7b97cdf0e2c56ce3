"""Appending to the log and proving from it.

``log_append`` runs inside the caller's transaction, so a record and its leaf commit together or
not at all; it locks the one ``LogState`` row, so concurrent writers get consecutive indexes (on
PostgreSQL the second waits; SQLite serialises writers anyway).
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction

from . import merkle
from .models import LogLeaf, LogState, TreeHead


def canonical(data: dict) -> bytes:
    """The leaf input: JSON with sorted keys and no spaces, UTF-8 (what the auditor hashes again)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_of(value) -> str:
    """A digest of any JSON-able value, for leaves that commit to a larger public document."""
    return hashlib.sha256(canonical({"v": value})).hexdigest()


def log_append(*, kind: str, source: str, data: dict) -> LogLeaf:
    with transaction.atomic():
        state, _created = LogState.objects.select_for_update().get_or_create(pk=1)
        body = canonical({"kind": kind, **data})
        leaf = LogLeaf.objects.create(
            index=state.size,
            kind=kind,
            source=source,
            data=body.decode("utf-8"),
            leaf_hash=merkle.leaf_hash(body).hex(),
        )
        state.size += 1
        state.save(update_fields=["size"])
    return leaf


def log_size() -> int:
    state = LogState.objects.filter(pk=1).first()
    return state.size if state else 0


def leaf_hashes(size: int | None = None) -> list[bytes]:
    queryset = LogLeaf.objects.order_by("index")
    if size is not None:
        queryset = queryset.filter(index__lt=size)
    return [bytes.fromhex(h) for h in queryset.values_list("leaf_hash", flat=True)]


def tree_root(size: int) -> bytes:
    return merkle.root(leaf_hashes(size))


def latest_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-tree_size", "-pk").first()


def head_covering(index: int) -> TreeHead | None:
    """The latest signed head whose tree contains leaf ``index``."""
    return TreeHead.objects.filter(tree_size__gt=index).order_by("-tree_size", "-pk").first()


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: str
    path: list[str]  # hex

    def as_json(self) -> dict:
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash,
            "inclusion_path": self.path,
        }


def inclusion_proof(*, leaf: LogLeaf, tree_size: int) -> InclusionProof:
    hashes = leaf_hashes(tree_size)
    path = merkle.inclusion_path(leaf.index, hashes)
    return InclusionProof(leaf.index, tree_size, leaf.leaf_hash, [p.hex() for p in path])


def consistency_proof(*, first: int, second: int) -> list[str]:
    return [p.hex() for p in merkle.consistency_path(first, leaf_hashes(second))]


def leaf_for(source: str) -> LogLeaf | None:
    """The latest leaf describing ``source`` (``app.model:pk``)."""
    return LogLeaf.objects.filter(source=source).order_by("-index").first()
