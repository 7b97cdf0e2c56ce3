"""The contract every search backend fulfils. Backends see only ``ListingDocument``s and
``SearchQuery``s; they never read listing models."""

import abc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from ..documents import ListingDocument
from ..query import SearchQuery, SearchResult

BATCH_SIZE = 1000


class SearchUnavailable(Exception):
    """The backend cannot answer now (cluster down, timeout); views show a friendly message."""


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # "category" or "listing"
    value: str  # the category code, or the listing id
    url: str = ""


def batched(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class SearchBackend(abc.ABC):
    name: str = ""

    @abc.abstractmethod
    def index(self, documents: Iterable[ListingDocument]) -> int:
        """Insert or replace these documents; returns how many were written."""

    @abc.abstractmethod
    def remove(self, listing_ids: Iterable[int]) -> None:
        """Drop these listings from the index; unknown ids are ignored."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Hits for one page, the total, and facet counts over every filtered hit."""

    @abc.abstractmethod
    def suggest(self, prefix: str, language: str, *, limit: int = 8) -> list[Suggestion]:
        """Service items and listing titles for the header's autocomplete box."""

    def near_words(self, word: str) -> tuple[str, ...]:
        """Indexed words ``word`` may be a misspelling of (a provider's name, a word of a title), best
        first, for a query that matched nothing and that the catalogue's vocabulary could not correct.
        None here; the database backend asks pg_trgm on PostgreSQL. Elasticsearch needs none: its
        match is fuzzy already."""
        return ()

    @abc.abstractmethod
    def clear(self) -> None:
        """Empty the index."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many documents the index holds."""

    def rebuild(
        self,
        documents: Iterable[ListingDocument],
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Replace the whole index with ``documents``; backends may do it without downtime."""
        self.clear()
        total = 0
        for batch in batched(documents, batch_size):
            total += self.index(batch)
            if progress:
                progress(len(batch))
        return total
