"""The transparency log's public endpoints (RFC 9162 in spirit; JSON with hex hashes), described in
the public API's schema (``marketplace/public_api.py``); its page and key are in ``log_views.py``.

Every answer is computed from the stored leaves; nothing here writes. A malformed parameter is a
400 with a message, an unknown leaf or size a 404: never a 500. Auditors' scripts have always read
the message of an error from its ``error`` field, so this router keeps it there (``legacy_error``).
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Schema
from pydantic import Field

from marketplace.core.api_common import BAD_PARAMETER, NOT_FOUND, ApiRouter, Page, error_response, errors, page_url
from translog import merkle
from translog import services as translog
from translog.models import LogLeaf, TreeHead
from translog.schemas import HEX_SHA256, InclusionProof, LeafRecord
from translog.schemas import TreeHead as TreeHeadSchema

MAX_ENTRIES = 1000
MAX_HEADS = 500
# Far beyond any real log, and within the 64-bit integers every database compares.
MAX_SIZE = 2**53

router = ApiRouter(tags=["Transparency log"], legacy_error="message")


def _size(description: str, default=...):
    return Query(default, ge=0, le=MAX_SIZE, description=description)


class NumberedHead(TreeHeadSchema):
    id: int = Field(description="The head's number, for paging with `start`.")


class Heads(Schema):
    heads: list[NumberedHead]
    page: Page


class Entries(Schema):
    entries: list[LeafRecord]
    page: Page


class ConsistencyProof(Schema):
    first: int
    second: int
    consistency_path: list[str] = Field(description="RFC 9162 §2.1.4, hex hashes.")


@router.get(
    "/transparency/log/head.json",
    url_name="log-head",
    summary="The latest signed tree head",
    response={200: TreeHeadSchema, **errors(404)},
)
def head(request):
    latest = translog.latest_head()
    if latest is None:
        return error_response(NOT_FOUND, _("No tree head has been signed yet."), 404)
    return JsonResponse(latest.as_json())


@router.get(
    "/transparency/log/heads.json",
    url_name="log-heads",
    summary="Every signed tree head, oldest first",
    response={200: Heads, **errors(400)},
)
def heads(request, start: int = _size("The first head's `id` (0 for the oldest).", 0)):
    """What an auditor replays: up to 500 heads a page, from `start` on."""
    page = list(TreeHead.objects.filter(pk__gte=start).order_by("pk")[: MAX_HEADS + 1])
    more, page = len(page) > MAX_HEADS, page[:MAX_HEADS]
    before = list(TreeHead.objects.filter(pk__lt=start).order_by("-pk").values_list("pk", flat=True)[:MAX_HEADS])
    return JsonResponse(
        {
            "heads": [{"id": h.pk, **h.as_json()} for h in page],
            "page": {
                "size": MAX_HEADS,
                "has_previous": bool(before),
                "has_next": more,
                "previous_url": page_url(request, start=before[-1]) if before else None,
                "next_url": page_url(request, start=page[-1].pk + 1) if more else None,
            },
        }
    )


@router.get(
    "/transparency/log/entries.json",
    url_name="log-entries",
    summary="Records by position",
    response={200: Entries, **errors(400)},
)
def entries(
    request,
    start: int = _size("The first position (from 0)."),
    end: int = _size("The position after the last (at most 1000 more than `start`)."),
):
    """Each record with its leaf hash; `end` past the log's size gives what there is."""
    if end <= start:
        return error_response(BAD_PARAMETER, _("“end” must be greater than “start”."), 400)
    end = min(end, start + MAX_ENTRIES)
    size = end - start
    leaves = LogLeaf.objects.filter(index__gte=start, index__lt=end).order_by("index")
    has_next = end < translog.log_size()
    return JsonResponse(
        {
            "entries": [{"index": leaf.index, "leaf_hash": leaf.leaf_hash, "data": leaf.data} for leaf in leaves],
            "page": {
                "size": size,
                "has_previous": start > 0,
                "has_next": has_next,
                "previous_url": page_url(request, start=max(0, start - size), end=start) if start > 0 else None,
                "next_url": page_url(request, start=end, end=end + size) if has_next else None,
            },
        }
    )


@router.get(
    "/transparency/log/proof/inclusion.json",
    url_name="log-inclusion",
    summary="The inclusion proof of a record",
    response={200: InclusionProof, **errors(400, 404)},
)
def inclusion_proof(
    request,
    leaf_hash: str = Query(description=f"The record's leaf hash: 64 hexadecimal characters ({HEX_SHA256})."),
    tree_size: int = _size("The size of the tree to prove it in (a signed head's `tree_size`)."),
):
    leaf_hash = leaf_hash.lower()
    if len(leaf_hash) != 64 or any(c not in "0123456789abcdef" for c in leaf_hash):
        return error_response(BAD_PARAMETER, _("“leaf_hash” must be 64 hexadecimal characters."), 400)
    if tree_size > translog.log_size():
        return error_response(NOT_FOUND, _("The log is not that large yet."), 404)
    leaf = LogLeaf.objects.filter(leaf_hash=leaf_hash, index__lt=tree_size).order_by("index").first()
    if leaf is None:
        return error_response(NOT_FOUND, _("No such leaf in a tree of that size."), 404)
    return JsonResponse(translog.inclusion_proof(leaf=leaf, tree_size=tree_size).as_json())


@router.get(
    "/transparency/log/proof/consistency.json",
    url_name="log-consistency",
    summary="The consistency proof between two tree sizes",
    response={200: ConsistencyProof, **errors(400, 404)},
)
def consistency_proof(
    request,
    first: int = _size("The earlier tree size."),
    second: int = _size("The later tree size."),
):
    if second > translog.log_size():
        return error_response(NOT_FOUND, _("The log is not that large yet."), 404)
    try:
        path = translog.consistency_proof(first=first, second=second)
    except merkle.ProofError:
        return error_response(BAD_PARAMETER, _("“first” must not be larger than “second”."), 400)
    return JsonResponse({"first": first, "second": second, "consistency_path": path})
