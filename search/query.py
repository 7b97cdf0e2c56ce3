"""What a search asks and what it answers, as frozen dataclasses, and the one parser of GET parameters.

Bad input never raises: ``parse_search_params`` drops what it cannot use and says why in
``errors`` (shown on the page and in the API), so a hand-edited URL gives a clear message,
never a 500.
"""

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from marketplace.catalogue.services import load_service_items
from marketplace.core.regions import get_region

from .documents import ListingDocument

MAX_QUERY_LENGTH = 200  # characters kept of q; a 10 kB query is cut, with a message
MAX_PRICE = Decimal("100000000")  # CNY 100 million: anything above is a typo
MAX_PAGE = 1000
PAGE_SIZE = 20
SORTS = {
    "relevance": _("Best match"),
    "price_asc": _("Price: low to high"),
    "price_desc": _("Price: high to low"),
    "rating": _("Rating"),
    "service_days": _("Fastest delivery"),
}
# Price bands in CNY, (key, lower inclusive, upper exclusive); quote-only listings get their own.
PRICE_BANDS = (
    ("0-5000", None, Decimal("5000")),
    ("5000-20000", Decimal("5000"), Decimal("20000")),
    ("20000-50000", Decimal("20000"), Decimal("50000")),
    ("50000-100000", Decimal("50000"), Decimal("100000")),
    ("100000-", Decimal("100000"), None),
)
QUOTE_BAND = "quote"
# Rating bands are "this or better", as shoppers read them.
RATING_BANDS = (Decimal("4.5"), Decimal("4"), Decimal("3.5"), Decimal("3"))
# Best match ("relevance") ranks by the provider's credit grade before the text match (issue #9:
# top grades rank first), after whether the listing is of the service item the query names. A
# provider not graded yet sits in the middle tier: neither rewarded nor punished for no record.
UNGRADED_TIER = 3
SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.json"
_SPLIT = re.compile(r"[\s,;，；、]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    with SYNONYMS_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {code: tuple(term.lower() for term in terms) for code, terms in data.items() if not code.startswith("_")}


def category_codes_for_term(term: str) -> tuple[str, ...]:
    """Service items an abbreviation or common name stands for: '环评' and 'EIA' both give eia."""
    term = term.lower()
    return tuple(code for code, terms in synonyms().items() if term in terms or term == code)


@cache
def vocabulary() -> tuple[str, ...]:
    """Latin words of the service items' names and abbreviations: what a typo is corrected towards."""
    words = set()
    for item in load_service_items():
        words.update(re.findall(r"[a-z]{3,}", item["name"].lower()))
    for terms in synonyms().values():
        for term in terms:
            words.update(re.findall(r"[a-z]{3,}", term))
    return tuple(sorted(words))


@cache
def chinese_vocabulary() -> tuple[str, ...]:
    """The service items' Chinese names and Chinese abbreviations ("环境影响评价", "环评")."""
    terms = {item["name_zh"] for item in load_service_items() if item.get("name_zh")}
    terms.update(term for terms_ in synonyms().values() for term in terms_ if has_cjk(term))
    return tuple(sorted(terms))


@cache
def _chinese_candidates(length: int) -> tuple[str, ...]:
    """What a Chinese word of ``length`` characters may be corrected to: the Chinese names and
    abbreviations, and from 4 characters on every run of that many characters inside them, so a
    partial name typed with one wrong character ("环境影想" for the start of 环境影响评价) becomes the
    run it was meant to be. Shorter runs are left out: one wrong character in three is a third of the
    word, and two-character runs would turn most two-character words into some service item."""
    terms = set(chinese_vocabulary())
    if length >= 4:
        for term in chinese_vocabulary():
            terms.update(term[i : i + length] for i in range(len(term) - length + 1))
    return tuple(sorted(term for term in terms if has_cjk(term)))


def _replace_words(q: str, closest) -> str:
    """``q`` with each word for which ``closest(word)`` names another word replaced by it; "" when
    nothing changes. Each distinct word is looked up once, and only the first eight (as many as a
    query keeps terms): ``closest`` may ask the database."""
    changed, words, found = False, [], {}
    for word in q.split():
        if word not in found and len(found) < 8:
            found[word] = closest(word)
        close = found.get(word)
        if close and close[0] != word.lower():
            words.append(close[0])
            changed = True
        else:
            words.append(word)
    return " ".join(words) if changed else ""


def _is_latin_word(word: str) -> bool:
    return word.isascii() and word.isalpha() and len(word) >= 4


def _catalogue_closest(word: str):
    if _is_latin_word(word) and word.lower() not in vocabulary():
        return difflib.get_close_matches(word.lower(), vocabulary(), n=1, cutoff=0.8)
    if has_cjk(word) and len(word) >= 3 and not any(word in term for term in chinese_vocabulary()):
        return difflib.get_close_matches(word, _chinese_candidates(len(word)), n=1, cutoff=0.7)
    return []


def spelling_correction(q: str) -> str:
    """``q`` with misspelt words replaced by the closest catalogue word: Latin ones letter by letter
    ("assesment" -> "assessment"), Chinese ones character by character against the service items'
    Chinese names ("环境影响评介" -> "环境影响评价", a wrong character typed by pinyin input) and the runs of
    four or more characters inside them ("环境影想" -> "环境影响"); returns ""
    when nothing changes."""
    return _replace_words(q, _catalogue_closest)


def near_miss_correction(q: str, near_words) -> str:
    """``q`` with each Latin word the index does not hold replaced by the closest word it holds
    (``near_words``: the backend's), for names and title words the catalogue's vocabulary lacks
    ("Qinghuashn" -> "qinghuashan"); "" when nothing changes."""
    return _replace_words(q, lambda word: near_words(word) if _is_latin_word(word) else ())


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    category: str = ""  # a category code; matches its sub-items too
    region: str = ""  # a GB/T 2260 code; honours province/city containment
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    rating_min: Decimal | None = None
    max_days: int | None = None
    certified: bool | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = PAGE_SIZE
    language: str = "en"

    @property
    def terms(self) -> tuple[str, ...]:
        """Query words; Chinese has no spaces, so a Chinese run stays one substring term."""
        return tuple(term for term in _SPLIT.split(self.q.strip().lower()) if term)[:8]

    @property
    def expanded_categories(self) -> tuple[str, ...]:
        """Category codes the whole query or one of its words names by abbreviation."""
        codes = list(category_codes_for_term(self.q.strip()))
        for term in self.terms:
            codes.extend(code for code in category_codes_for_term(term) if code not in codes)
        return tuple(codes)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def filters(self) -> dict[str, str]:
        """The active filters as GET parameters (for 'remove this filter' links)."""
        values = {
            "category": self.category,
            "region": self.region,
            "price_min": "" if self.price_min is None else str(self.price_min),
            "price_max": "" if self.price_max is None else str(self.price_max),
            "rating_min": "" if self.rating_min is None else str(self.rating_min),
            "max_days": "" if self.max_days is None else str(self.max_days),
            "certified": "" if self.certified is None else ("1" if self.certified else "0"),
        }
        return {key: value for key, value in values.items() if value}

    def with_page(self, page: int) -> "SearchQuery":
        return replace(self, page=page)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    label: str = ""


@dataclass(frozen=True)
class Facet:
    name: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class Hit:
    document: ListingDocument
    score: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    hits: tuple[Hit, ...]
    total: int
    facets: dict[str, Facet] = field(default_factory=dict)
    corrected_q: str = ""  # set when nothing matched q and a spelling correction did

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


def _decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_search_params(params, *, language: str = "en") -> tuple[SearchQuery, list[str]]:
    """Turn GET parameters into a SearchQuery plus messages about whatever was ignored or cut."""
    errors: list[str] = []

    def text(name: str) -> str:
        value = params.get(name, "")
        return value if isinstance(value, str) else ""

    q = unicodedata.normalize("NFKC", text("q")).replace("\x00", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        q = q[:MAX_QUERY_LENGTH]
        errors.append(
            str(_("Your search was too long; only its first %(n)d characters were used.") % {"n": MAX_QUERY_LENGTH})
        )

    category = text("category").strip()[:64]
    if category and not re.fullmatch(r"[a-z0-9-]+", category):
        errors.append(str(_("The category filter was not recognised and was ignored.")))
        category = ""

    region = text("region").strip()
    if region and get_region(region) is None:
        errors.append(str(_("The region filter was not recognised and was ignored.")))
        region = ""

    prices = {}
    for name in ("price_min", "price_max"):
        raw = text(name).strip()
        if not raw:
            prices[name] = None
            continue
        value = _decimal(raw)
        if value is None or value < 0 or value > MAX_PRICE:
            errors.append(str(_("Prices must be numbers between 0 and 100,000,000; that price filter was ignored.")))
            value = None
        prices[name] = value
    if (
        prices["price_min"] is not None
        and prices["price_max"] is not None
        and prices["price_min"] > prices["price_max"]
    ):
        errors.append(str(_("The minimum price was above the maximum; the two were swapped.")))
        prices["price_min"], prices["price_max"] = prices["price_max"], prices["price_min"]

    rating_min = None
    raw = text("rating_min").strip()
    if raw:
        rating_min = _decimal(raw)
        if rating_min is None or not (0 <= rating_min <= 5):
            errors.append(str(_("Ratings go from 0 to 5; the rating filter was ignored.")))
            rating_min = None

    max_days = None
    raw = text("max_days").strip()
    if raw:
        if raw.isdigit() and 0 < int(raw) <= 3650:
            max_days = int(raw)
        else:
            errors.append(str(_("Delivery time must be a whole number of days; that filter was ignored.")))

    certified = None
    raw = text("certified").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        certified = True
    elif raw in {"0", "false", "no", "off"}:
        certified = False
    elif raw:
        errors.append(str(_("The certification filter was not recognised and was ignored.")))

    sort = text("sort").strip() or "relevance"
    if sort not in SORTS:
        errors.append(str(_("Unknown sort order; results are sorted by best match.")))
        sort = "relevance"

    page = 1
    raw = text("page").strip()
    if raw:
        if raw.isdigit() and int(raw) >= 1:
            page = min(int(raw), MAX_PAGE)
        else:
            errors.append(str(_("The page number was not valid; showing the first page.")))

    query = SearchQuery(
        q=q,
        category=category,
        region=region,
        price_min=prices["price_min"],
        price_max=prices["price_max"],
        rating_min=rating_min,
        max_days=max_days,
        certified=certified,
        sort=sort,
        page=page,
        language="zh" if language.lower().startswith("zh") else "en",
    )
    return query, errors
