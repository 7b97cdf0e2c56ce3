"""The bridge from listing models to ``ListingDocument``: the ONLY module of search that reads them.

Which listings may be found is decided by ``providers.selectors.purchasable_listings`` (certified
provider, approved unexpired qualification for the service item, published): search never
re-implements that rule.

A listing's rating is the Bayesian average of its own ratings, the same figure the listing pages
show (``marketplace.ratings.selectors.bayesian_by_product``; unrated listings have none), read in
one query per batch. Its credit grade is its provider's (``Provider.credit_grade``, stars 1-5, or
None until the credit services first compute it).
"""

import logging
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import Prefetch
from django.utils import translation

from marketplace.catalogue.models import Product, ProductAttributeValue
from marketplace.catalogue.services import INTERMEDIARY_SERVICE_SLUG
from marketplace.ratings.selectors import bayesian_by_product
from providers.selectors import purchasable_listings

from .backends.base import batched
from .documents import PRICING_MODES, ListingDocument
from .query import synonyms

logger = logging.getLogger(__name__)


def listing_queryset():
    """Every listing, with what ``build_listing_document`` reads prefetched (constant queries per batch)."""
    return (
        Product.objects.filter(product_class__slug=INTERMEDIARY_SERVICE_SLUG, structure=Product.STANDALONE)
        .select_related("product_class")
        .prefetch_related(
            "categories",
            "stockrecords__partner__provider",
            Prefetch(
                "attribute_values",
                queryset=ProductAttributeValue.objects.select_related("attribute", "value_option"),
                to_attr="search_attribute_values",
            ),
        )
        .order_by("pk")
    )


def _stockrecord(product: Product):
    records = list(product.stockrecords.all())
    return records[0] if records else None


def _attributes(product: Product) -> dict:
    values = getattr(product, "search_attribute_values", None)
    if values is None:
        values = product.attribute_values.select_related("attribute", "value_option")
    attributes = {}
    for value in values:
        if value.attribute.code == "pricing_mode" and value.value_option is not None:
            attributes["pricing_mode"] = value.value_option.code or value.value_option.option.lower()
        else:
            attributes[value.attribute.code] = value.value
    return attributes


def _category(product: Product):
    categories = sorted(product.categories.all(), key=lambda category: category.path)
    # The deepest category is the service item; its ancestors make the path.
    return max(categories, key=lambda category: category.depth) if categories else None


def findable_listings():
    """``listing_queryset`` narrowed to purchasable listings, as a subquery (no id lists)."""
    return listing_queryset().filter(pk__in=purchasable_listings().values("pk"))


def listing_ratings(product_ids: Iterable[int]) -> dict[int, tuple[float, int]]:
    """(Bayesian average, number of ratings) per rated listing id, in one query."""
    ids = list(product_ids)
    if not ids:
        return {}
    return {pk: (float(value), count) for pk, (value, count) in bayesian_by_product(product_ids=ids).items()}


def build_listing_document(
    product: Product, *, purchasable: bool | None = None, ratings: dict[int, tuple[float, int]] | None = None
) -> ListingDocument | None:
    """The document for ``product``, or None when it must not be findable (not purchasable).

    Batch callers pass ``purchasable=True`` for products they took from ``findable_listings`` and
    the batch's ``listing_ratings``; otherwise each is looked up (one query each).
    """
    if product.product_class is None or product.product_class.slug != INTERMEDIARY_SERVICE_SLUG:
        return None
    if purchasable is None:
        purchasable = purchasable_listings().filter(pk=product.pk).exists()
    if not purchasable:
        return None
    record = _stockrecord(product)
    attributes = _attributes(product)
    category = _category(product)
    pricing_mode = attributes.get("pricing_mode") or "fixed"
    if pricing_mode not in PRICING_MODES:
        pricing_mode = "fixed"
    price = record.price if record is not None and pricing_mode != "quote" else None
    path: tuple = ()
    if category is not None:
        path = tuple(ancestor.code or str(ancestor.pk) for ancestor in category.get_ancestors_and_self())
    regions = str(attributes.get("regions_served") or "")
    region_codes = tuple(dict.fromkeys(code for code in regions.replace(",", " ").split() if code.isdigit()))
    with translation.override(settings.LANGUAGE_CODE):
        url = product.get_absolute_url()
    provider = getattr(record.partner, "provider", None) if record is not None else None
    service_days = attributes.get("service_days")
    if ratings is None:
        ratings = listing_ratings([product.pk])
    rating, rating_count = ratings.get(product.pk, (None, 0))
    return ListingDocument(
        listing_id=product.pk,
        title=product.title or product.title_zh,
        title_zh=product.title_zh,
        description=product.description or "",
        description_zh=product.description_zh,
        provider_id=provider.pk if provider else None,
        provider_name=provider.name if provider else "",
        provider_name_zh=provider.name_zh if provider else "",
        category_id=category.pk if category else None,
        category_code=(category.code or str(category.pk)) if category else "",
        category_path=path,
        category_name=category.name if category else "",
        category_name_zh=category.name_zh if category else "",
        region_codes=region_codes,
        pricing_mode=pricing_mode,
        price=price,
        currency=(record.price_currency if record is not None else None) or settings.OSCAR_DEFAULT_CURRENCY,
        service_days=int(service_days) if service_days not in (None, "") else None,
        rating=rating,
        rating_count=rating_count,
        certified=True,  # purchasable implies a certified provider
        credit_grade=provider.credit_grade if provider else None,
        url=url,
        updated_at=product.date_updated,
        extra_terms=synonyms().get(category.code, ()) if category else (),
    )


def build_listing_documents(listing_ids: Iterable[int]) -> tuple[list[ListingDocument], list[int]]:
    """Documents for the listings that may be found, and the ids that must leave the index."""
    ids = list(dict.fromkeys(listing_ids))
    documents, gone = [], set(ids)
    products = list(findable_listings().filter(pk__in=ids))
    ratings = listing_ratings(product.pk for product in products)
    for product in products:
        document = build_listing_document(product, purchasable=True, ratings=ratings)
        if document is not None:
            documents.append(document)
            gone.discard(product.pk)
    return documents, sorted(gone)


def iter_listing_documents(*, chunk_size: int = 500) -> Iterator[ListingDocument]:
    """Every findable listing, for ``reindex``; memory stays flat whatever the catalogue size."""
    for chunk in batched(findable_listings().iterator(chunk_size=chunk_size), chunk_size):
        ratings = listing_ratings(product.pk for product in chunk)
        for product in chunk:
            document = build_listing_document(product, purchasable=True, ratings=ratings)
            if document is not None:
                yield document


def count_listings() -> int:
    """All listings, findable or not: reindex reports how many of them it indexed."""
    return listing_queryset().count()
