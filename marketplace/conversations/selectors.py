"""What the conversation pages read, in a fixed number of queries whatever the thread's length."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Subquery

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
    # Written or corrected by someone else since the reader last read the thread (with a ``reader``).
    new_to_reader: bool = False

    @property
    def edited(self) -> bool:
        return self.latest.pk != self.original.pk


@dataclass
class ThreadEntry:
    at: object
    message: ThreadMessage | None = None
    event: object | None = None


def thread(service_order: ServiceOrder, *, side: str | None, reader=None) -> list[ThreadEntry]:
    """The order's messages and its history (paid, delivered, revision requested …) in time order.

    ``side`` (buyer/provider) marks which of its own messages the other side has read; ``reader``
    marks which messages are new to that person. Two queries however long the thread (one when the
    caller has prefetched the order's ``events``): when each side last read it is read with the
    messages, the only rows it matters for.
    """
    messages = Message.objects.filter(service_order=service_order).select_related("author")
    other_side = _other_side_members(service_order, side)
    if other_side is not None:
        messages = messages.annotate(other_side_read_at=_last_read(service_order, user__in=other_side))
    if reader is not None:
        messages = messages.annotate(reader_read_at=_last_read(service_order, user=reader))
    rows = list(messages)
    originals: dict[int, ThreadMessage] = {}
    for row in rows:
        if row.revises_id is None:
            originals[row.pk] = ThreadMessage(original=row, latest=row)
    for row in rows:
        if row.revises_id is not None and row.revises_id in originals:
            item = originals[row.revises_id]
            item.earlier.append(item.latest)
            item.latest = row
    other_read = rows[0].other_side_read_at if rows and other_side is not None else None
    reader_read = rows[0].reader_read_at if rows and reader is not None else None
    entries = []
    for item in originals.values():
        item.read_by_other_side = bool(other_read and item.latest.created_at <= other_read)
        item.new_to_reader = (
            reader is not None
            and item.latest.author_id != reader.pk
            and (reader_read is None or item.latest.created_at > reader_read)
        )
        entries.append(ThreadEntry(at=item.original.created_at, message=item))
    entries += [ThreadEntry(at=event.created_at, event=event) for event in service_order.events.all()]
    return sorted(entries, key=lambda entry: entry.at)


# Entries a thread shows at first; the rest are one link away (``?thread=all``).
THREAD_WINDOW = 30


def recent(
    entries: list[ThreadEntry], *, window: int = THREAD_WINDOW, since: int | None = None
) -> tuple[list[ThreadEntry], int]:
    """The entries a page shows at first, and how many earlier ones it leaves out: the last
    ``window``, reaching back to the first message new to the reader however far that is (a reading
    that counts as reading them shows them all), and to entry ``since`` when given. Rendering a long
    thread then costs what a short one's does (its rows are still all read: two queries)."""
    start = max(len(entries) - window, 0)
    first_new = next((i for i, entry in enumerate(entries) if entry.message and entry.message.new_to_reader), start)
    start = min(start, first_new)
    if since is not None:
        start = min(start, since)
    return entries[start:], start


def wants_whole_thread(params) -> bool:
    """``?thread=all``: every entry of the thread, not only the recent ones."""
    return params.get("thread") == "all"


def shown_entries(entries: list[ThreadEntry], params) -> tuple[list[ThreadEntry], int]:
    """What a page, or its polling, shows of ``entries`` for its query ``params`` (``request.GET``),
    and how many earlier ones it leaves out: every entry with ``thread=all``; else ``recent`` ones,
    reaching back to ``from``, the first entry the page showed when it was opened, so polling never
    takes away what the page showed (messages new to the reader then are not new any more)."""
    if wants_whole_thread(params):
        return entries, 0
    since = params.get("from", "")
    return recent(entries, since=int(since) if since.isdigit() else None)


def _other_side_members(service_order: ServiceOrder, side: str | None):
    """The users of the other side's team (for ``side``'s read receipts), as a subquery; None off a side."""
    if side == Message.Side.BUYER:
        return service_order.provider.memberships.values("user")
    if side == Message.Side.PROVIDER:
        return service_order.enterprise.memberships.values("user")
    return None


def _last_read(service_order: ServiceOrder, **users) -> Subquery:
    """When any of ``users`` last read the order's thread, as a subquery (the same on every row)."""
    reads = ThreadRead.objects.filter(service_order=service_order, **users)
    return Subquery(reads.order_by("-read_at").values("read_at")[:1])


def unread_messages(service_order: ServiceOrder, user) -> int:
    """Messages from the other side since ``user`` last read the thread."""
    read = ThreadRead.objects.filter(service_order=service_order, user=user).values_list("read_at", flat=True).first()
    messages = Message.objects.filter(service_order=service_order).exclude(author=user)
    return messages.filter(created_at__gt=read).count() if read else messages.count()


def clarifications_published(request: RequestForQuotes):
    return Clarification.objects.filter(request=request, answered_at__isnull=False).order_by("answered_at", "pk")


def clarifications_waiting(request: RequestForQuotes):
    return Clarification.objects.filter(request=request, answered_at__isnull=True).order_by("asked_at", "pk")


def request_clarifications(
    request: RequestForQuotes, *, with_waiting: bool
) -> tuple[list[Clarification], list[Clarification]]:
    """``clarifications_published`` and (only ``with_waiting``, else empty) ``clarifications_waiting``
    as lists, in their orders, with who asked: one query, however many there are."""
    rows = Clarification.objects.filter(request=request).select_related("provider").order_by("asked_at", "pk")
    if not with_waiting:
        rows = rows.filter(answered_at__isnull=False)
    rows = list(rows)
    published = sorted((c for c in rows if c.answered_at is not None), key=lambda c: (c.answered_at, c.pk))
    return published, [c for c in rows if c.answered_at is None]
