"""Signed tree heads of the transparency log (``translog``): the platform's log key signs a
checkpoint of the tree, and an RFC 3161 timestamp token covers the signature.

Checkpoint (the body of a C2SP tlog-checkpoint)::

    <origin>\\n<tree size>\\n<base64 of the root hash>\\n

Signature: RSASSA-PKCS1-v1_5 with SHA-256 over the checkpoint's UTF-8 bytes, by the key whose
certificate (issued by the platform's seal CA) is published at /transparency/log/key.pem. Timestamp:
RFC 3161 over SHA-256 of the signature bytes, from ``SIGNING_TSA_URL`` or the platform's own TSA.
Heads are signed at least hourly (Celery beat) and after every permit status change.
"""

import asyncio
import base64
import datetime
import hashlib
import json
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from translog import checks, merkle
from translog import services as translog
from translog.models import LogState, TreeHead

from ..engine import timestamper_from_settings
from ..pki import Pki


def log_origin() -> str:
    """The log's name in its checkpoints: ``TRANSLOG_ORIGIN``, else the public host's log address."""
    configured = getattr(settings, "TRANSLOG_ORIGIN", "")
    if configured:
        return configured
    return f"{urlsplit(settings.PUBLIC_BASE_URL).netloc or 'onewindow'}/transparency/log"


def checkpoint_for(size: int, root_hash: bytes) -> str:
    return f"{log_origin()}\n{size}\n{base64.b64encode(root_hash).decode()}\n"


def tree_head_sign(*, pki: Pki | None = None) -> TreeHead:
    """Sign the tree as it is now. The state row is locked while the root is computed, so the head
    describes exactly the leaves committed before it."""
    pki = pki or Pki.default()
    _cert, key = pki.log_signer()
    with transaction.atomic():
        state, _created = LogState.objects.select_for_update().get_or_create(pk=1)
        size = state.size
        root_hash = merkle.root(translog.leaf_hashes(size))
    checkpoint = checkpoint_for(size, root_hash)
    signature = key.sign(checkpoint.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    token = asyncio.run(timestamper_from_settings(pki).async_timestamp(hashlib.sha256(signature).digest(), "sha256"))
    return TreeHead.objects.create(
        tree_size=size,
        root_hash=root_hash.hex(),
        checkpoint=checkpoint,
        signature=base64.b64encode(signature).decode(),
        timestamp_token=base64.b64encode(token.dump()).decode(),
        signed_at=timezone.now(),
    )


def tree_head_cover() -> TreeHead | None:
    """Sign a head if some leaf is not yet under one (after a commit that logged records: several such
    commits in a row sign once each only while there is something new)."""
    latest = translog.latest_head()
    if latest is not None and latest.tree_size >= translog.log_size():
        return None
    return tree_head_sign()


def tree_head_sign_if_due(*, max_age_minutes: int = 60) -> TreeHead | None:
    """Sign when leaves arrived since the last head, or the last head is older than the period."""
    latest = translog.latest_head()
    if latest is not None and latest.tree_size == translog.log_size():
        if timezone.now() - latest.signed_at < datetime.timedelta(minutes=max_age_minutes):
            return None
    return tree_head_sign()


def log_proof_check(proof: dict, *, sha256: str, pki: Pki | None = None) -> datetime.datetime:
    """Check a verification report's log proof offline, with the log key of the local PKI: the leaf
    names the document, hashes to the proven leaf hash, and is included in a head the log key signed
    and a TSA dated. Returns the head's timestamp; raises ``checks.HeadError`` otherwise."""
    leaf, inclusion, head = proof["leaf"], proof["inclusion"], proof["head"]
    if merkle.leaf_hash(leaf["data"].encode("utf-8")).hex() != leaf["leaf_hash"]:
        raise checks.HeadError("the logged record does not hash to its leaf hash")
    if json.loads(leaf["data"]).get("sha256") != sha256:
        raise checks.HeadError("the logged record is not this document")
    if (inclusion["leaf_hash"], inclusion["leaf_index"]) != (leaf["leaf_hash"], leaf["index"]):
        raise checks.HeadError("the inclusion proof is for another record")
    chain = checks.load_chain((pki or Pki.default()).log_chain_pem())
    signed_at = checks.verify_head(head, chain)
    checks.verify_inclusion(inclusion, head)
    return signed_at
