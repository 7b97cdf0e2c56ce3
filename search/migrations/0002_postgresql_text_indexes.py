"""PostgreSQL only: a GIN index on the token vector (full-text and Chinese bigram matching) and
pg_trgm on titles (the header's autocomplete matches title substrings), and the
default "best rated" order. On SQLite this migration does nothing; the database
backend falls back to ``LIKE`` scans there, which is fine at embedded scale.
"""

from django.db import migrations

FORWARD = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS search_entry_vector ON search_listingindextext USING gin (vector)",
    "CREATE INDEX IF NOT EXISTS search_entry_title_trgm ON search_listingindextext "
    "USING gin (title_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_entry_best_rated ON search_listingindexentry "
    "(rating DESC NULLS LAST, rating_count DESC, listing_id)",
)
BACKWARD = (
    "DROP INDEX IF EXISTS search_entry_best_rated",
    "DROP INDEX IF EXISTS search_entry_title_trgm",
    "DROP INDEX IF EXISTS search_entry_vector",
)


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
