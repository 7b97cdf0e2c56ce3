"""Counts that let a search match whole service items (``search.backends.database_cover``).

- ``ItemTokenCount``: how many entries of each service item (code and path, as the facet counts key
  it) carry each title or service-item token (weights A and B of the entry's vector). Where the
  count equals the item's entries, every listing of the item has the token.
- ``ProvinceBandCount``: ``ProvinceFacetCount`` per price band and rating band too, so the
  province facet of a whole item can be read for a search filtered by price or rating.
- Indexes on (service item, each order a page can ask for), so the page of a whole item is read
  from the first rows of its order, not by ranking every listing of it.

Migration 0007's trigger function is replaced (the triggers stay) by one that also keeps these,
in the same statement and transaction as the entries it counts; the new counts are then made from
the entries already there.
"""

import importlib

from django.db import migrations, models

_0007 = importlib.import_module("search.migrations.0007_counted_facets")
# Adds (sign 1) or subtracts (sign -1) the rows of the transition table ``rows``: 0007's counts,
# then these, each statement taking its keys in a fixed order (see 0007).
COUNT = (
    _0007.COUNT
    + """
        INSERT INTO search_provincebandcount AS counted
            (category_code, category_path, price_band, rating_band, province_code, n)
        SELECT category_code, category_path, price_band, rating_band, province, {sign} * COUNT(*)
        FROM {rows} CROSS JOIN LATERAL unnest(string_to_array({rows}.province_codes, ' ')) AS province
        WHERE province <> '' GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (category_code, category_path, price_band, rating_band, province_code)
        DO UPDATE SET n = counted.n + EXCLUDED.n;
        INSERT INTO search_itemtokencount AS counted (token, category_code, category_path, n)
        SELECT token.lexeme COLLATE "C", category_code, category_path, {sign} * COUNT(*)
        FROM {rows} CROSS JOIN LATERAL unnest({rows}.vector) AS token
        WHERE token.weights && ARRAY['A', 'B'] GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (token, category_code, category_path) DO UPDATE SET n = counted.n + EXCLUDED.n;
"""
)

FUNCTION = _0007.counting_function(
    COUNT,
    ("search_categoryfacetcount", "search_provincefacetcount", "search_provincebandcount", "search_itemtokencount"),
    create="CREATE OR REPLACE FUNCTION",
)
# A service item's listings in each order a page can ask for (SQLite cannot index NULLS LAST, and
# matches row by row anyway).
ORDERS = {
    "tier": "grade_tier DESC",
    "price": "price ASC NULLS LAST",
    "price_d": "price DESC NULLS LAST",
    "rating": "rating DESC NULLS LAST",
    "days": "service_days ASC NULLS LAST",
}
FORWARD = (
    *(
        f"CREATE INDEX search_entry_item_{name} ON search_listingindexentry (category_code, category_path, {order})"
        for name, order in ORDERS.items()
    ),
    # Tokens in byte order: a prefix is then a range of the unique index (which this rebuilds).
    'ALTER TABLE search_itemtokencount ALTER COLUMN token TYPE text COLLATE "C"',
    FUNCTION,
    # The entries there already, counted by the statements after 0007's two.
    *COUNT.format(sign=1, rows="search_listingindexentry").split(";")[2:4],
)


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def _backward(apps, schema_editor):
    """0007's function again (the new tables go with the rest of the migration)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            _0007.counting_function(
                _0007.COUNT,
                ("search_categoryfacetcount", "search_provincefacetcount"),
                create="CREATE OR REPLACE FUNCTION",
            )
        )
        for name in ORDERS:
            schema_editor.execute(f"DROP INDEX IF EXISTS search_entry_item_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0007_counted_facets"),
    ]

    operations = [
        migrations.CreateModel(
            name="ItemTokenCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("category_code", models.CharField(blank=True, max_length=128)),
                ("category_path", models.CharField(blank=True, max_length=512)),
                ("token", models.TextField()),
                ("n", models.IntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="ProvinceBandCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("category_code", models.CharField(blank=True, max_length=128)),
                ("category_path", models.CharField(blank=True, max_length=512)),
                ("province_code", models.CharField(max_length=6)),
                ("price_band", models.PositiveSmallIntegerField()),
                ("rating_band", models.PositiveSmallIntegerField()),
                ("n", models.IntegerField()),
            ],
        ),
        migrations.AddConstraint(
            model_name="itemtokencount",
            constraint=models.UniqueConstraint(
                fields=("token", "category_code", "category_path"), name="search_item_token_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="provincebandcount",
            constraint=models.UniqueConstraint(
                fields=("category_code", "category_path", "price_band", "rating_band", "province_code"),
                name="search_province_band_key",
            ),
        ),
        migrations.RunPython(_forward, _backward),
    ]
