"""Between a ``ListingDocument`` and the database backend's rows: the entry (filter, facet and sort
columns, and on PostgreSQL the token vector), the text row (what pages display), and back."""

from django.contrib.postgres.search import SearchQuery as TsQuery
from django.db import connection

from ..documents import ListingDocument
from ..models import ListingIndexEntry, ListingIndexText
from ..query import PRICE_BANDS, RATING_BANDS, UNGRADED_TIER
from ..tokens import province_token, region_token, tsvector_literal

ENTRY_FIELDS = (
    "listing_id",
    "provider_id",
    "category_id",
    "category_code",
    "category_name",
    "category_name_zh",
    "pricing_mode",
    "price",
    "currency",
    "service_days",
    "rating",
    "rating_count",
    "certified",
    "credit_grade",
    "updated_at",
)
TEXT_FIELDS = ("provider_name", "provider_name_zh", "title", "title_zh", "description", "description_zh", "url")


class LiteralTsQuery(TsQuery):
    """A tsquery written as a literal (``'...'::tsquery``), never through a text-search parser:
    the tokens of ``search.tokens`` mean the same under every database locale."""

    template = "(%(expressions)s)::tsquery"


def price_band(price) -> int:
    """The index of ``price``'s band in PRICE_BANDS, or len(PRICE_BANDS) for quote only."""
    if price is None:
        return len(PRICE_BANDS)
    return next(
        i
        for i, (_key, low, high) in enumerate(PRICE_BANDS)
        if (low is None or price >= low) and (high is None or price < high)
    )


def bands_reached(band) -> int:
    """The least ``ListingIndexEntry.rating_band`` (how many of RATING_BANDS a rating reaches, as the
    database computes it) of a listing that counts in the rating facet's value ``band``."""
    return sum(1 for each in RATING_BANDS if float(band) >= float(each))


def storage_order(document: ListingDocument) -> tuple:
    """The order rows are written in: a service item's listings (and within it a province's) lie
    on neighbouring pages, so a search naming one reads a few pages, not one page per hit
    (a seventh of the pages for 环境影响 on 100,000 listings). ``index`` sorts SORT_CHUNK documents
    at a time; ``reindex`` restores the order that single-listing updates erode."""
    return (document.category_code, document.province_codes, document.listing_id)


def vector_literal(document: ListingDocument) -> str:
    regions = (*(region_token(code) for code in document.region_codes), *map(province_token, document.province_codes))
    return tsvector_literal(
        [
            (document.title, "A"),
            (document.title_zh, "A"),
            (f"cat:{document.category_code}", "B"),
            *((f"cat:{code}", "B") for code in document.category_path),
            (document.category_name, "B"),
            (document.category_name_zh, "B"),
            (" ".join(document.extra_terms), "B"),
            (document.provider_name, "C"),
            (document.provider_name_zh, "C"),
            (document.description, "D"),
            (document.description_zh, "D"),
        ],
        plain=regions,
    )


def entry_from_document(document: ListingDocument) -> ListingIndexEntry:
    return ListingIndexEntry(
        **{name: getattr(document, name) for name in ENTRY_FIELDS},
        category_path="/" + "".join(f"{code}/" for code in document.category_path),
        province_codes=" ".join(document.province_codes),  # sorted: equal sets group together
        grade_tier=UNGRADED_TIER if document.credit_grade is None else document.credit_grade,
        price_band=price_band(document.price),
        vector=vector_literal(document) if connection.vendor == "postgresql" else None,
    )


def text_from_document(document: ListingDocument, entry_id: int, *, postgres: bool) -> ListingIndexText:
    title_text = " ".join([document.title, document.title_zh]).lower()
    search_text = " ".join(
        [
            document.title,
            document.title_zh,
            document.provider_name,
            document.provider_name_zh,
            document.category_name,
            document.category_name_zh,
            " ".join(document.extra_terms),
            document.description,
            document.description_zh,
        ]
    ).lower()
    return ListingIndexText(
        entry_id=entry_id,
        **{name: getattr(document, name) for name in TEXT_FIELDS},
        region_codes=" ".join(document.region_codes),
        extra_terms="|".join(document.extra_terms)[:512],
        title_text=title_text[:1024],
        # PostgreSQL matches the entry's vector; only the SQLite fallback scans this text.
        search_text="" if postgres else search_text,
    )


# What a page's documents are read from by ``documents_sql``, in ``document_from_row``'s order.
_ROW_COLUMNS = (
    *(f"entry.{name}" for name in ENTRY_FIELDS),
    "entry.category_path",
    *(f"text.{name}" for name in TEXT_FIELDS),
    "text.region_codes",
    "text.extra_terms",
)


def documents_sql(page_sql: str) -> str:
    """PostgreSQL: the statement reading the documents of ``page_sql``'s rows (``id``, ``position``:
    entry ids and their places on the page), in page order, each row the entry's id and then what
    ``document_from_row`` reads. Plain rows, not models: building two model instances per hit
    cost more than the query itself."""
    entry, text = ListingIndexEntry._meta.db_table, ListingIndexText._meta.db_table
    return (
        f"SELECT entry.id, {', '.join(_ROW_COLUMNS)} FROM ({page_sql}) page"  # noqa: S608 - our tables and columns
        f" JOIN {entry} entry ON entry.id = page.id JOIN {text} text ON text.entry_id = entry.id"
        " ORDER BY page.position"
    )


def document_from_row(row: tuple) -> ListingDocument:
    """The document of one row of ``documents_sql`` (its first column, the entry's id, is skipped)."""
    category_path, *rest = row[1 + len(ENTRY_FIELDS) :]
    region_codes, extra_terms = rest[len(TEXT_FIELDS) :]
    return _document(
        dict(zip(ENTRY_FIELDS, row[1:], strict=False)),
        dict(zip(TEXT_FIELDS, rest, strict=False)),
        category_path,
        region_codes,
        extra_terms,
    )


def document_from_entry(entry: ListingIndexEntry) -> ListingDocument:
    text = entry.text
    return _document(
        {name: getattr(entry, name) for name in ENTRY_FIELDS},
        {name: getattr(text, name) for name in TEXT_FIELDS},
        entry.category_path,
        text.region_codes,
        text.extra_terms,
    )


def _document(entry: dict, text: dict, category_path: str, region_codes: str, extra_terms: str) -> ListingDocument:
    """A document from its stored fields: the path, regions and extra terms as ``entry_from_document``
    and ``text_from_document`` joined them."""
    return ListingDocument(
        **entry,
        **text,
        category_path=tuple(code for code in category_path.split("/") if code),
        region_codes=tuple(region_codes.split()),
        extra_terms=tuple(term for term in extra_terms.split("|") if term),
    )
