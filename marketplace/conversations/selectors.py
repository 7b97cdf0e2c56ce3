"""What the conversation pages read, in a fixed number of queries whatever the thread's length."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max

from marketplace.hiring.models import ServiceOrder
from marketplace.procurement.models import RequestForQuotes

from .models import Clarification, Message, ThreadRead


@dataclass
class ThreadMessage:
    """A message as the thread shows it: its latest text, and every earlier one when it was edited."""

    original: Message
    latest: Message
    earlier: list[Message] = field(default_factory=list)
    read_by_other_side: bool = False

    @property
    def edited(self) -> bool:
        return self.latest.pk != self.original.pk


@dataclass
class ThreadEntry:
    at: object
    message: ThreadMessage | None = None
    event: object | None = None


def thread(service_order: ServiceOrder, *, side: str | None) -> list[ThreadEntry]:
    """The order's messages and its history (paid, delivered, revision requested …) in time order.
    ``side`` (buyer/provider) marks which of its own messages the other side has read."""
    rows = list(Message.objects.filter(service_order=service_order).select_related("author"))
    originals: dict[int, ThreadMessage] = {}
    for row in rows:
        if row.revises_id is None:
            originals[row.pk] = ThreadMessage(original=row, latest=row)
    for row in rows:
        if row.revises_id is not None and row.revises_id in originals:
            item = originals[row.revises_id]
            item.earlier.append(item.latest)
            item.latest = row
    other_read = _other_side_read_at(service_order, side)
    entries = []
    for item in originals.values():
        item.read_by_other_side = bool(other_read and item.latest.created_at <= other_read)
        entries.append(ThreadEntry(at=item.original.created_at, message=item))
    entries += [ThreadEntry(at=event.created_at, event=event) for event in service_order.events.select_related("actor")]
    return sorted(entries, key=lambda entry: entry.at)


def _other_side_read_at(service_order: ServiceOrder, side: str | None):
    """When anyone on the other side last read the thread (for ``side``'s read receipts)."""
    if side == Message.Side.BUYER:
        members = service_order.provider.memberships.values("user")
    elif side == Message.Side.PROVIDER:
        members = service_order.enterprise.memberships.values("user")
    else:
        return None
    return ThreadRead.objects.filter(service_order=service_order, user__in=members).aggregate(at=Max("read_at"))["at"]


def unread_messages(service_order: ServiceOrder, user) -> int:
    """Messages from the other side since ``user`` last read the thread."""
    read = ThreadRead.objects.filter(service_order=service_order, user=user).values_list("read_at", flat=True).first()
    messages = Message.objects.filter(service_order=service_order).exclude(author=user)
    return messages.filter(created_at__gt=read).count() if read else messages.count()


def clarifications_published(request: RequestForQuotes):
    return Clarification.objects.filter(request=request, answered_at__isnull=False).order_by("answered_at", "pk")


def clarifications_waiting(request: RequestForQuotes):
    return Clarification.objects.filter(request=request, answered_at__isnull=True).order_by("asked_at", "pk")
