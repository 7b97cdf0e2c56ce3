"""Append-only in the database (issue 18): triggers refuse UPDATE and DELETE on these tables."""

from django.db import migrations

from marketplace.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("core", "0001_related_parties_and_conflicts")]

    operations = [
        append_only("core", "ConflictAttempt"),
    ]
