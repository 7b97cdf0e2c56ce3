"""The one shape every search backend indexes: a flat, immutable snapshot of a purchasable listing.

Only ``search.indexing.build_listing_document`` reads listing models to make one; backends, views,
the API, tasks and ``reindex`` depend on this dataclass alone, so the listing models can change
without touching search.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

PRICING_MODES = ("fixed", "from", "quote")


@dataclass(frozen=True)
class ListingDocument:
    listing_id: int
    title: str
    title_zh: str = ""
    description: str = ""
    description_zh: str = ""
    provider_id: int | None = None
    provider_name: str = ""
    provider_name_zh: str = ""
    category_id: int | None = None
    category_code: str = ""
    # Codes of the category and every ancestor, root first: a filter on a parent item matches
    # listings of its sub-items, and the facet counts the leaf.
    category_path: tuple[str, ...] = ()
    category_name: str = ""
    category_name_zh: str = ""
    # GB/T 2260 codes served; a province code means the whole province.
    region_codes: tuple[str, ...] = ()
    pricing_mode: str = "fixed"
    price: Decimal | None = None  # None: quote only
    currency: str = "CNY"
    service_days: int | None = None
    rating: float | None = None  # Bayesian average, computed by the ratings part
    rating_count: int = 0
    certified: bool = True
    credit_grade: int | None = None
    url: str = ""
    updated_at: datetime | None = None
    extra_terms: tuple[str, ...] = field(default=())  # e.g. abbreviations of the category

    @property
    def province_codes(self) -> tuple[str, ...]:
        """The provinces this listing serves at least part of, for the region facet."""
        return tuple(sorted({code[:2] + "0000" for code in self.region_codes}))

    def localized(self, name: str, language: str) -> str:
        if language.lower().startswith("zh"):
            return getattr(self, f"{name}_zh") or getattr(self, name)
        return getattr(self, name)
