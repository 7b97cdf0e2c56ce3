"""Conversations inside the transaction (issue 21).

* ``Message``: one thread per order between the buyer's enterprise and the provider. Append-only in
  the database: an edit is a new row that ``revises`` the original, so the first words stay on the
  record (a dispute reads what was said, not what someone wished they had said).
* ``ThreadRead``: when each person last read an order's thread (read receipts).
* ``Clarification``: a provider's private question on an open request for quotes and the buyer's
  answer, published to every provider without saying who asked. Append-only except the answer,
  which is set once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core.storage import private_storage


def attachment_upload_to(instance, filename):
    return f"messages/{instance.service_order_id}/{uuid.uuid4().hex}/{filename[-120:]}"


class Message(models.Model):
    class Side(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        PROVIDER = "provider", _("Provider")

    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    body = models.TextField(_("Message"))
    attachment = models.FileField(upload_to=attachment_upload_to, storage=private_storage, max_length=255, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_size = models.BigIntegerField(null=True, blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    # An edit: the original message this row replaces in the thread (always the first version).
    revises = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("Message")
        verbose_name_plural = _("Messages")

    def __str__(self):
        return f"{self.service_order_id}: {self.body[:40]}"


class ThreadRead(models.Model):
    service_order = models.ForeignKey("hiring.ServiceOrder", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service_order", "user"], name="conversations_read_once")]

    def __str__(self):
        return f"{self.user_id} read {self.service_order_id} at {self.read_at}"


class Clarification(models.Model):
    request = models.ForeignKey("procurement.RequestForQuotes", on_delete=models.PROTECT, related_name="clarifications")
    # Who asked: kept for the record (staff), never shown to the buyer or to other providers.
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question = models.TextField(_("Question"))
    asked_at = models.DateTimeField(default=timezone.now)
    # NULL until answered (not ""): the database lets it be set once, from NULL, and never changed.
    answer = models.TextField(_("Answer"), null=True, blank=True)  # noqa: DJ001
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The deadline this answer moved the request's to, when it came late.
    deadline_moved_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        verbose_name = _("Clarification")
        verbose_name_plural = _("Clarifications")

    def __str__(self):
        return f"{self.request_id}: {self.question[:40]}"

    @property
    def is_published(self) -> bool:
        return self.answered_at is not None
