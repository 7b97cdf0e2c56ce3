"""PostgreSQL only: pg_trgm and GIN indexes so substring (Chinese), typo and full-text matching
use an index. On SQLite this migration does nothing; the database backend falls back to plain
``LIKE`` scans there, which is fine at embedded scale.
"""

from django.db import migrations

FORWARD = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS search_entry_text_trgm ON search_listingindexentry "
    "USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_entry_title_trgm ON search_listingindexentry "
    "USING gin (title_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_entry_text_fts ON search_listingindexentry "
    "USING gin (to_tsvector('simple', search_text))",
)
BACKWARD = (
    "DROP INDEX IF EXISTS search_entry_text_fts",
    "DROP INDEX IF EXISTS search_entry_title_trgm",
    "DROP INDEX IF EXISTS search_entry_text_trgm",
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
