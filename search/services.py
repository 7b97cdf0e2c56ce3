"""Search's operations: keep the index in step with listings, rebuild it, and answer searches."""

from collections.abc import Callable, Iterable
from dataclasses import replace

from django.utils.translation import gettext as _

from marketplace.core.commit import on_commit_batched

from . import indexing
from .backends import get_backend
from .backends.base import BATCH_SIZE
from .query import SearchQuery, SearchResult, near_miss_correction, spelling_correction


def _send_index_update(listing_ids: list[int]) -> None:
    from .tasks import update_listings

    update_listings.delay(listing_ids)


def listings_changed(listing_ids: Iterable[int]) -> None:
    """Queue a re-index of these listings once the current transaction commits (never before:
    a rolled-back edit must not reach the index). Other apps call this when anything that makes a
    listing findable changes: provider certification, qualification, rating.

    Saving one listing touches several rows (product, attributes, category, stock record); their
    ids join the batch already registered on this transaction, so it sends one task. The batch
    lives in the connection's own commit callbacks, so a rolled-back transaction takes its ids
    with it instead of leaking them into the next one (``marketplace.core.commit``).
    """
    on_commit_batched(_send_index_update, listing_ids)


def index_update_listings(*, listing_ids: Iterable[int]) -> tuple[int, int]:
    """Index the findable listings among ``listing_ids`` and drop the rest; returns (indexed, removed)."""
    documents, gone = indexing.build_listing_documents(listing_ids)
    backend = get_backend()
    if documents:
        backend.index(documents)
    if gone:
        backend.remove(gone)
    return len(documents), len(gone)


def index_rebuild(*, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the listings; on Elasticsearch behind a new index and an alias swap."""
    return get_backend().rebuild(indexing.iter_listing_documents(), batch_size=batch_size, progress=progress)


def _correction(q: str, backend) -> str:
    """A misspelt catalogue word first (any backend); else a near miss of an indexed word (a
    provider's name, a title word) where the backend can find one (PostgreSQL's trigrams)."""
    return spelling_correction(q) or near_miss_correction(q, backend.near_words)


def search_listings(*, query: SearchQuery) -> tuple[SearchResult, list[str]]:
    """Run ``query``; a page past the end shows the last page, with a message saying so."""
    backend = get_backend()
    result = backend.search(query)
    messages = []
    if result.total == 0 and query.q and (corrected := _correction(query.q, backend)):
        retry = backend.search(replace(query, q=corrected))
        if retry.total:
            result = replace(retry, corrected_q=corrected)
            messages.append(
                _("Nothing matched “%(q)s”; showing results for “%(corrected)s”.")
                % {"q": query.q, "corrected": corrected}
            )
    if query.page > 1 and query.page > result.page_count:
        messages.append(_("There is no page %(page)d; showing the last page.") % {"page": query.page})
        result = backend.search(replace(query, page=result.page_count))
    return result, messages
