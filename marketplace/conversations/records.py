"""Conversations as records for a case bundle (``approvals.bundle``): what was said, by which side,
when, and every correction; the published clarifications. Organisations, never people's emails."""

from __future__ import annotations

from marketplace.hiring.models import ServiceOrder
from marketplace.procurement.models import RequestForQuotes

from .models import Message
from .selectors import clarifications_published


def order_conversation_record(service_order: ServiceOrder) -> list[dict]:
    organisations = {Message.Side.BUYER: service_order.enterprise, Message.Side.PROVIDER: service_order.provider}
    return [
        {
            "id": message.pk,
            "revises": message.revises_id,
            "side": message.side,
            "organisation": organisations[message.side].name,
            "credit_code": organisations[message.side].credit_code,
            "at": message.created_at,
            "body": message.body,
            "attachment": (
                {"name": message.attachment_name, "size": message.attachment_size, "sha256": message.attachment_sha256}
                if message.attachment
                else None
            ),
        }
        for message in Message.objects.filter(service_order=service_order).order_by("created_at", "pk")
    ]


def request_clarifications_record(request: RequestForQuotes) -> list[dict]:
    return [
        {
            "question": c.question,
            "asked_at": c.asked_at,
            "answer": c.answer,
            "answered_at": c.answered_at,
            "deadline_moved_to": c.deadline_moved_to,
        }
        for c in clarifications_published(request)
    ]
