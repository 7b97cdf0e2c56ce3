"""Facet counts of the whole index, kept by PostgreSQL itself: the search with no words and no
filters (the search page as first opened) used to aggregate every listing, 130–350 ms on 100,000
(``bench/search.py``); it now reads a few hundred counted rows, and so does a search for one service
item with no other filter and no words (a click on the service item facet).

``rating_band`` (how many of ``search.query.RATING_BANDS`` the rating reaches) is a column the
database computes from the rating, so no write, through the backend or not, leaves the two apart.

On PostgreSQL, statement-level triggers on the entry table add each inserted entry to
``CategoryFacetCount`` (service item, price band, rating band) and ``ProvinceFacetCount`` (service
item, each province it serves) and subtract each deleted one, in the writing statement's transaction: a
rolled-back write leaves the counts as they were, and a write made past the backend (a data fix
in SQL) keeps them right too, and makes a new index version token as the backend's writes do, so
no answer cached under the old one is read. Updates count as a deletion and an insertion of the
changed rows.
Nothing on SQLite, which aggregates as before.
"""

import operator
from functools import reduce

from django.db import migrations, models

# How many of search.query.RATING_BANDS (as they were when this was written) the rating reaches.
RATING_BAND = reduce(
    operator.add,
    (
        models.Case(models.When(rating__gte=level, then=models.Value(1)), default=models.Value(0))
        for level in (4.5, 4.0, 3.5, 3.0)
    ),
)

# Adds (sign 1) or subtracts (sign -1) the rows of the transition table ``rows``, each statement
# taking its keys in a fixed order. Writers through the search backend take turns anyway (each first
# updates the index version row); a data fix in SQL that runs beside one of them and moves listings
# the other way between two keys can deadlock with it, and PostgreSQL then aborts one of the two.
COUNT = """
        INSERT INTO search_categoryfacetcount AS counted (category_code, category_path, price_band, rating_band, n)
        SELECT category_code, category_path, price_band, rating_band, {sign} * COUNT(*) FROM {rows}
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (category_code, category_path, price_band, rating_band) DO UPDATE SET n = counted.n + EXCLUDED.n;
        INSERT INTO search_provincefacetcount AS counted (category_code, category_path, province_code, n)
        SELECT category_code, category_path, province, {sign} * COUNT(*)
        FROM {rows} CROSS JOIN LATERAL unnest(string_to_array({rows}.province_codes, ' ')) AS province
        WHERE province <> '' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (category_code, category_path, province_code) DO UPDATE SET n = counted.n + EXCLUDED.n;
"""


def counting_function(count: str, tables: tuple[str, ...], *, create: str = "CREATE FUNCTION") -> str:
    """The trigger function: a new index version, then ``count`` (a template taking ``sign`` and
    ``rows``) over the deleted and inserted rows, keeping ``tables`` free of zero counts (and
    empty after a TRUNCATE). Migration 0008 makes it again with more counts."""
    emptied = "".join(f"\n            DELETE FROM {table};" for table in tables)
    zeros = "".join(f"\n        DELETE FROM {table} WHERE n = 0;" for table in tables)
    return f"""
    {create} search_count_facets() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- A new index version: answers cached under the old one go unread, whoever wrote.
        UPDATE search_indexversion SET token = md5(random()::text || clock_timestamp()::text) WHERE id = 1;
        IF TG_OP = 'TRUNCATE' THEN{emptied}
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {count.format(sign=-1, rows="old_rows")}
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {count.format(sign=1, rows="new_rows")}
        END IF;{zeros}
        RETURN NULL;
    END
    $$
    """


FORWARD = (
    counting_function(COUNT, ("search_categoryfacetcount", "search_provincefacetcount")),
    "CREATE TRIGGER search_count_inserted AFTER INSERT ON search_listingindexentry"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_count_facets()",
    "CREATE TRIGGER search_count_deleted AFTER DELETE ON search_listingindexentry"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_count_facets()",
    # (A column list, such as only the counted columns, cannot go with transition tables.)
    "CREATE TRIGGER search_count_updated AFTER UPDATE ON search_listingindexentry"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_count_facets()",
    "CREATE TRIGGER search_count_truncated AFTER TRUNCATE ON search_listingindexentry"
    " FOR EACH STATEMENT EXECUTE FUNCTION search_count_facets()",
    # The entries there already.
    *COUNT.format(sign=1, rows="search_listingindexentry").split(";")[:2],
)
BACKWARD = (
    "DROP TRIGGER IF EXISTS search_count_truncated ON search_listingindexentry",
    "DROP TRIGGER IF EXISTS search_count_updated ON search_listingindexentry",
    "DROP TRIGGER IF EXISTS search_count_deleted ON search_listingindexentry",
    "DROP TRIGGER IF EXISTS search_count_inserted ON search_listingindexentry",
    "DROP FUNCTION IF EXISTS search_count_facets()",
)


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0006_provider_name_trigrams")]

    operations = [
        migrations.AddField(
            model_name="listingindexentry",
            name="rating_band",
            field=models.GeneratedField(
                expression=RATING_BAND, output_field=models.PositiveSmallIntegerField(), db_persist=True
            ),
        ),
        migrations.CreateModel(
            name="CategoryFacetCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("category_code", models.CharField(blank=True, max_length=128)),
                ("category_path", models.CharField(blank=True, max_length=512)),
                ("price_band", models.PositiveSmallIntegerField()),
                ("rating_band", models.PositiveSmallIntegerField()),
                ("n", models.IntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("category_code", "category_path", "price_band", "rating_band"),
                        name="search_category_facet_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ProvinceFacetCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("category_code", models.CharField(blank=True, max_length=128)),
                ("category_path", models.CharField(blank=True, max_length=512)),
                ("province_code", models.CharField(max_length=6)),
                ("n", models.IntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("category_code", "category_path", "province_code"), name="search_province_facet_key"
                    )
                ],
            },
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
