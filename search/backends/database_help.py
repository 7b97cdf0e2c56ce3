"""The database backend's help while a buyer types: suggestions for a prefix, and words like a
misspelt one (PostgreSQL's trigram indexes, migrations 0002 and 0006)."""

import difflib
import re

from django.db import connection
from django.db.models import Count, F, Q

from ..models import ListingIndexEntry, ListingIndexText
from ..query import category_codes_for_term
from .base import Suggestion

# Near misses on PostgreSQL (``near_words``): how many similar texts to look at, how close a word
# must be (difflib's ratio; "qinghuashn" to "qinghuashan" is 0.95), the longest word looked up.
NEAR_TEXTS, NEAR_WORD_CUTOFF, NEAR_WORD_MAX = 20, 0.8, 50
_LATIN_WORD = re.compile(r"[a-z]{4,}")


class TypingHelp:
    def near_words(self, word: str) -> tuple[str, ...]:
        """On PostgreSQL: up to ``NEAR_TEXTS`` listings whose title or provider name holds a word like
        ``word`` by trigrams (pg_trgm's ``<%``: word similarity of at least 0.6), then the closest of
        their words. Not ordered by similarity: ranking every match cost 0.5 s on 100,000 listings
        against 5 ms for the first ones, and each of them holds a close word. None on SQLite, which
        has no trigram index."""
        term = word.lower()[:NEAR_WORD_MAX]
        if connection.vendor != "postgresql" or not term:
            return ()
        table = ListingIndexText._meta.db_table
        with connection.cursor() as cursor:
            # Titles and provider names, each through its own trigram index (migrations 0002, 0006).
            cursor.execute(
                f"SELECT title_text || ' ' || lower(provider_name) FROM {table}"  # noqa: S608 - our table's name
                " WHERE %s <%% title_text OR %s <%% lower(provider_name) LIMIT %s",
                [term, term, NEAR_TEXTS],
            )
            texts = [row[0] for row in cursor.fetchall()]
        words = {found for text in texts for found in _LATIN_WORD.findall(text)}
        return tuple(difflib.get_close_matches(term, words, n=3, cutoff=NEAR_WORD_CUTOFF))

    def suggest(self, prefix: str, language: str, *, limit: int = 8) -> list[Suggestion]:
        term = prefix.strip().lower()[:50]
        if not term:
            return []
        zh = language.lower().startswith("zh")
        codes = category_codes_for_term(term)
        category_match = Q(category_name__istartswith=term) | Q(category_name_zh__startswith=term)
        if codes:
            category_match |= Q(category_code__in=codes)
        if len(term) > 1:
            category_match |= Q(category_name__icontains=term) | Q(category_name_zh__contains=term)
        categories = (
            ListingIndexEntry.objects.filter(category_match)
            .exclude(category_code="")
            .values("category_code", "category_name", "category_name_zh")
            .annotate(n=Count("pk"))
            .order_by("-n")[:3]
        )
        suggestions = [
            Suggestion(
                text=(zh and row["category_name_zh"]) or row["category_name"],
                kind="category",
                value=row["category_code"],
            )
            for row in categories
        ]
        listings = (
            ListingIndexText.objects.filter(title_text__contains=term)
            .order_by(F("entry__rating").desc(nulls_last=True), "entry__listing_id")
            .values("entry__listing_id", "title", "title_zh", "url")[: limit - len(suggestions)]
        )
        suggestions += [
            Suggestion(
                text=(zh and row["title_zh"]) or row["title"],
                kind="listing",
                value=str(row["entry__listing_id"]),
                url=row["url"],
            )
            for row in listings
        ]
        return suggestions
