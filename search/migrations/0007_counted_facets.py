"""Facet counts of the whole index, kept by PostgreSQL itself: the search with no words and no
filters (the search page as first opened) used to aggregate every listing, 130–350 ms on 100,000
(``bench/search.py``); it now reads a few hundred counted rows, and so does a search for one service
item with no other filter and no words (a click on the service item facet).

``rating_band`` (how many of ``search.query.RATING_BANDS`` the rating reaches) is written at index
time like ``price_band``; existing entries get it here from the bands as they are today.

On PostgreSQL, statement-level triggers on the entry table add each inserted entry to
``CategoryFacetCount`` (service item, price band, rating band) and ``ProvinceFacetCount`` (service
item, each province it serves) and subtract each deleted one, in the writing statement's transaction: a
rolled-back write leaves the counts as they were, and a write made past the backend (a data fix
in SQL) keeps them right too. Updates count as a deletion and an insertion of the changed rows.
Nothing on SQLite, which aggregates as before.
"""

from django.db import migrations, models

LEVELS = ("4.5", "4", "3.5", "3")  # search.query.RATING_BANDS when this migration was written
RATING_BAND = " + ".join(f"(CASE WHEN rating >= {level} THEN 1 ELSE 0 END)" for level in LEVELS)

# Adds (sign 1) or subtracts (sign -1) the rows of the transition table ``rows``. Keys are taken in
# a fixed order, so two writers lock the count rows they share in the same order.
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

FORWARD = (
    f"""
    CREATE FUNCTION search_count_facets() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM search_categoryfacetcount;
            DELETE FROM search_provincefacetcount;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {COUNT.format(sign=-1, rows="old_rows")}
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {COUNT.format(sign=1, rows="new_rows")}
        END IF;
        DELETE FROM search_categoryfacetcount WHERE n = 0;
        DELETE FROM search_provincefacetcount WHERE n = 0;
        RETURN NULL;
    END
    $$
    """,
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
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunSQL(
            f"UPDATE search_listingindexentry SET rating_band = {RATING_BAND} WHERE rating IS NOT NULL",
            migrations.RunSQL.noop,
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
