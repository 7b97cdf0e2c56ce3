"""The match vector moves from the wide text table onto the index entry, beside the filter and
facet columns, and gains region tokens and raw Chinese tokens (``search.tokens``): on PostgreSQL a
search reads one narrow row per hit instead of a ~2 kB text row plus a join, and region filters
are intersected in the GIN index. ``price_band`` lets the price facet group small integers.
``grade_tier`` (the credit grade as best match ranks it) gets an index in the default order (tier,
then best rated), on PostgreSQL only like 0002's: SQLite cannot index NULLS LAST.

The database index is derived data in a new token format, so on PostgreSQL this empties it (the
old vectors cannot be reused): run ``python manage.py reindex`` after migrating (``load_demo``
does). SQLite never used the vector; its entries stay as they are.
"""

import uuid

import django.contrib.postgres.search
from django.db import migrations, models

FORWARD = (
    "TRUNCATE search_listingregion, search_listingindextext, search_listingindexentry",
    "CREATE INDEX IF NOT EXISTS search_entry_match ON search_listingindexentry USING gin (vector)",
    "CREATE INDEX IF NOT EXISTS search_entry_best_match ON search_listingindexentry "
    "(grade_tier DESC, rating DESC NULLS LAST, rating_count DESC, listing_id)",
)
BACKWARD = ("DROP INDEX IF EXISTS search_entry_best_match", "DROP INDEX IF EXISTS search_entry_match")


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)
        # Cached facet counts were keyed by the old index version.
        apps.get_model("search", "IndexVersion").objects.filter(pk=1).update(token=uuid.uuid4().hex)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_indexversion")]

    operations = [
        migrations.RemoveField(model_name="listingindextext", name="vector"),
        migrations.AddField(
            model_name="listingindexentry",
            name="vector",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="listingindexentry",
            name="grade_tier",
            field=models.PositiveSmallIntegerField(default=3),
        ),
        migrations.AddField(
            model_name="listingindexentry",
            name="price_band",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
