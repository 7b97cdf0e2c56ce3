"""The log's leaves and its signed tree heads. Both are append-only (database triggers, see the
migrations); ``LogState`` is the one row writers lock so leaves get consecutive indexes."""

from django.db import models
from django.utils import timezone


class LogState(models.Model):
    size = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"transparency log: {self.size} leaves"


class LogLeaf(models.Model):
    """One logged record: ``data`` is the leaf input (canonical JSON, UTF-8) and ``leaf_hash`` its
    RFC 9162 leaf hash; ``source`` names the record it describes (``app.model:pk``)."""

    index = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=40)
    source = models.CharField(max_length=160, db_index=True)
    data = models.TextField()
    leaf_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"leaf {self.index}: {self.kind} {self.source}"


class TreeHead(models.Model):
    """A signed tree head: the checkpoint text (origin, size, root), the log key's signature over it
    and an RFC 3161 timestamp token over the signature."""

    tree_size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    checkpoint = models.TextField()
    signature = models.TextField()  # base64
    timestamp_token = models.TextField()  # base64 DER of the RFC 3161 token
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-tree_size", "-pk"]
        indexes = [models.Index(fields=["tree_size"])]

    def __str__(self):
        return f"tree head {self.tree_size} at {self.signed_at:%Y-%m-%d %H:%M}"

    def as_json(self) -> dict:
        """The head as the public endpoints and verification reports publish it (``translog.checks``)."""
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "checkpoint": self.checkpoint,
            "signature": self.signature,
            "timestamp_token": self.timestamp_token,
            "signed_at": self.signed_at.isoformat(),
        }
