"""``ItemTokenCount`` counts every token of an entry's vector, not only its title and service item
tokens (weights A and B).

With every token counted, the counts also say which items' listings carry a word at all, so a
search that takes some items whole can leave out of its row match the words only those items carry
(``search.backends.database_cover``: ``survey:*`` reads ``survey``'s listings, not also the 11,700
of ``surveying``, which only the surveying and cost-consulting items hold). Items taken whole stay
sound: a token on every entry of an item, whatever its weight, makes every entry match.

Migration 0008's trigger function is replaced (the triggers stay) by one counting every token;
the counts are made again from the entries there.
"""

import importlib

from django.db import migrations

_0007 = importlib.import_module("search.migrations.0007_counted_facets")
_0008 = importlib.import_module("search.migrations.0008_item_token_counts")
_WEIGHTED = "\n        WHERE token.weights && ARRAY['A', 'B'] GROUP BY 1, 2, 3"
assert _WEIGHTED in _0008.COUNT  # noqa: S101 - the statement this migration changes
COUNT = _0008.COUNT.replace(_WEIGHTED, "\n        GROUP BY 1, 2, 3")
TABLES = ("search_categoryfacetcount", "search_provincefacetcount", "search_provincebandcount", "search_itemtokencount")


def _recounted(count: str) -> tuple[str, ...]:
    """The token counts made again from the entries, by ``count``'s token statement (its fourth)."""
    return (
        "TRUNCATE search_itemtokencount",
        count.format(sign=1, rows="search_listingindexentry").split(";")[3],
    )


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in (
            _0007.counting_function(COUNT, TABLES, create="CREATE OR REPLACE FUNCTION"),
            *_recounted(COUNT),
        ):
            schema_editor.execute(statement)


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in (_0008.FUNCTION, *_recounted(_0008.COUNT)):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0008_item_token_counts"),
    ]

    operations = [
        migrations.RunPython(_forward, _backward),
    ]
