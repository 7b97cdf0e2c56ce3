"""The database backend's index: one denormalised row per purchasable listing.

Rows are written only by ``search.backends.database`` from ``ListingDocument``s, never by hand,
so the index holds exactly what ``build_listing_document`` allowed: nothing unpurchasable.
"""

import operator
from functools import reduce

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Case, Value, When
from django.utils.translation import gettext_lazy as _

from .query import RATING_BANDS, UNGRADED_TIER


class ListingIndexEntry(models.Model):
    """What matching, filters, sorts and facets read: on PostgreSQL one GIN lookup on ``vector``
    finds the hits and each costs one read of this row, no join. Text for display lives in
    ``ListingIndexText``."""

    listing_id = models.BigIntegerField(_("Listing"), unique=True)
    provider_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    category_code = models.CharField(max_length=128, blank=True, db_index=True)
    # "/root/child/" of category codes, so a parent filter matches its sub-items.
    category_path = models.CharField(max_length=512, blank=True, db_index=True)
    category_name = models.CharField(max_length=255, blank=True)
    category_name_zh = models.CharField(max_length=255, blank=True)
    pricing_mode = models.CharField(max_length=8, default="fixed")
    price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, db_index=True)
    currency = models.CharField(max_length=3, default="CNY")
    service_days = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    rating = models.FloatField(null=True, blank=True, db_index=True)
    rating_count = models.PositiveIntegerField(default=0)
    certified = models.BooleanField(default=True)
    credit_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    # The grade as best match ranks it (ungraded = search.query.UNGRADED_TIER): a plain column,
    # so the default order (tier, then best rated) is one index scan on PostgreSQL (0005).
    grade_tier = models.PositiveSmallIntegerField(default=UNGRADED_TIER)
    # The index of the price's band in search.query.PRICE_BANDS (their count: quote only), written
    # at index time so the facet groups small integers (change the bands: run reindex).
    price_band = models.PositiveSmallIntegerField(default=0)
    # How many of search.query.RATING_BANDS the rating reaches (0 unrated), for the counted facets
    # below: computed by the database from the rating, so no write can leave the two apart.
    rating_band = models.GeneratedField(
        expression=reduce(
            operator.add,
            (Case(When(rating__gte=float(band), then=Value(1)), default=Value(0)) for band in RATING_BANDS),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    # Space-separated provinces served (each once, sorted): the province facet groups the hits
    # by this on PostgreSQL. Filters use the vector's region tokens there, ``ListingRegion`` on SQLite.
    province_codes = models.CharField(max_length=512, blank=True, default="")
    # PostgreSQL: the tokens q, region and service item filters match (search.tokens), weighted
    # for ts_rank, behind a GIN index; unused (NULL) on SQLite.
    vector = SearchVectorField(null=True, blank=True)

    class Meta:
        verbose_name = _("Search index entry")
        verbose_name_plural = _("Search index entries")
        # PostgreSQL also indexes a service item's listings in each order a page can ask for
        # (migration 0008; SQLite cannot index NULLS LAST): ``database_cover`` reads an item's page there.

    def __str__(self):
        return str(self.listing_id)


class ListingIndexText(models.Model):
    """The wide part of an entry: text shown in results and matched by queries."""

    entry = models.OneToOneField(ListingIndexEntry, on_delete=models.CASCADE, primary_key=True, related_name="text")
    provider_name = models.CharField(max_length=255, blank=True)
    provider_name_zh = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255)
    title_zh = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    description_zh = models.TextField(blank=True)
    region_codes = models.CharField(max_length=512, blank=True)  # space-separated, for display
    url = models.CharField(max_length=512, blank=True)
    extra_terms = models.CharField(max_length=512, blank=True)
    # Lower-cased titles, names, category names, abbreviations, description: what q matches.
    title_text = models.CharField(max_length=1024, blank=True)
    search_text = models.TextField(blank=True)

    def __str__(self):
        return self.title


class ListingRegion(models.Model):
    """One row per region a listing serves, with its province: region filters and facets join
    here on SQLite (PostgreSQL matches the entry's region tokens and writes no rows here)."""

    entry = models.ForeignKey(ListingIndexEntry, on_delete=models.CASCADE, related_name="regions")
    code = models.CharField(max_length=6)
    province_code = models.CharField(max_length=6)
    # True on exactly one row per (listing, province), so the province facet counts without DISTINCT.
    counts_for_province = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["code", "entry"], name="search_region_code_entry"),
            models.Index(fields=["province_code", "entry"], name="search_region_prov_entry"),
            models.Index(fields=["entry", "counts_for_province", "province_code"], name="search_region_facet"),
        ]

    def __str__(self):
        return self.code


class IndexVersion(models.Model):
    """One row whose token changes with every write to the database backend's index (in the
    writing transaction), so cached facet counts keyed by it are never read after a change."""

    token = models.CharField(max_length=32)

    def __str__(self):
        return self.token


class ServiceItemCount(models.Model):
    """PostgreSQL: a count of index entries of one service item (code and path, as on the entry),
    kept by the database (triggers on the entry table, migrations 0007 and 0008) in the
    transaction that writes the entries. Unused on SQLite."""

    category_code = models.CharField(max_length=128, blank=True)
    category_path = models.CharField(max_length=512, blank=True)  # as on the entry: the item filter
    n = models.IntegerField()

    class Meta:
        abstract = True


class CategoryFacetCount(ServiceItemCount):
    """How many entries there are per service item, price band and rating band. A search with no
    words and no filter but the service item reads its facets here instead of aggregating every
    listing."""

    price_band = models.PositiveSmallIntegerField()
    rating_band = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category_code", "category_path", "price_band", "rating_band"],
                name="search_category_facet_key",
            )
        ]

    def __str__(self):
        return f"{self.category_code} {self.price_band} {self.rating_band}: {self.n}"


class ProvinceFacetCount(ServiceItemCount):
    """How many entries of each service item serve each province (a listing serving two counts in
    each)."""

    province_code = models.CharField(max_length=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category_code", "category_path", "province_code"], name="search_province_facet_key"
            )
        ]

    def __str__(self):
        return f"{self.province_code}: {self.n}"


class ProvinceBandCount(ServiceItemCount):
    """``ProvinceFacetCount`` per price band and rating band too: the province facet of a whole
    service item for a search filtered by price or rating (``database_cover``). Thirty times the
    rows, so the unfiltered reads stay on the other."""

    province_code = models.CharField(max_length=6)
    price_band = models.PositiveSmallIntegerField()
    rating_band = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category_code", "category_path", "price_band", "rating_band", "province_code"],
                name="search_province_band_key",
            )
        ]

    def __str__(self):
        return f"{self.province_code} {self.price_band} {self.rating_band}: {self.n}"


class ItemTokenCount(ServiceItemCount):
    """How many entries of each service item carry each token of their vector (``search.tokens``,
    every weight; migration 0009). Where the count equals the item's entries, every listing of the
    item has the token: a search whose words such tokens satisfy matches the whole item, and reads
    its facets from the kept counts; where it is missing, no listing of the item has the token, and
    the row match need not look for it there (``database_cover``)."""

    # In byte order ("C", set by migration 0008 on PostgreSQL; SQLite has no such collation and
    # keeps nothing here), so a prefix (``survey:*``) is a range of the unique index.
    token = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "category_code", "category_path"], name="search_item_token_key")
        ]

    def __str__(self):
        return f"{self.category_code} {self.token}: {self.n}"
