"""The log's public JSON shapes (``TreeHead.as_json``, ``InclusionProof.as_json``) as pydantic
models, for the public API's OpenAPI schema: the log's own endpoints and the verification reports
that carry a document's proof describe them the same way."""

from datetime import datetime

from pydantic import BaseModel, Field

HEX_SHA256 = "^[0-9a-f]{64}$"


class TreeHead(BaseModel):
    tree_size: int = Field(description="How many records the tree holds.")
    root_hash: str = Field(description="The Merkle tree hash (RFC 9162), hex.", pattern=HEX_SHA256)
    checkpoint: str = Field(description="What is signed (a C2SP tlog-checkpoint body): origin, size, base64 root.")
    signature: str = Field(
        description="RSASSA-PKCS1-v1_5 with SHA-256 over the checkpoint, base64, by the key whose certificate "
        "is at /transparency/log/key.pem."
    )
    timestamp_token: str = Field(description="An RFC 3161 timestamp token over the signature (base64 DER).")
    signed_at: datetime


class LeafRecord(BaseModel):
    index: int
    leaf_hash: str = Field(pattern=HEX_SHA256)
    data: str = Field(description="The logged record, a JSON text; its leaf hash is SHA-256(0x00 || data).")


class InclusionProof(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(pattern=HEX_SHA256)
    inclusion_path: list[str] = Field(description="The audit path (RFC 9162 §2.1.3), hex hashes, leaf upwards.")


class DocumentLogProof(BaseModel):
    """A sealed document's record in the log, its inclusion proof and the signed head it is proven against."""

    leaf: LeafRecord
    inclusion: InclusionProof
    head: TreeHead
