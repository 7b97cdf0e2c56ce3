"""Append-only in the database (issue 18): triggers refuse UPDATE and DELETE on these tables."""

from django.db import migrations

from marketplace.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("translog", "0001_initial")]

    operations = [
        append_only("translog", "LogLeaf"),
        append_only("translog", "TreeHead"),
    ]
