"""PostgreSQL only: a trigram index on the lower-cased provider names, so a misspelt name finds its
provider (``DatabaseBackend.near_words``) without reading every row. Nothing on SQLite."""

from django.db import migrations

FORWARD = (
    "CREATE INDEX IF NOT EXISTS search_text_provider_trgm ON search_listingindextext "
    "USING gin (lower(provider_name) gin_trgm_ops)",
)
BACKWARD = ("DROP INDEX IF EXISTS search_text_provider_trgm",)


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0005_vector_on_entry")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
