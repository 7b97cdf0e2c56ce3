"""Append-only in the database (issue 18): triggers refuse UPDATE and DELETE on these tables."""

from django.db import migrations

from marketplace.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("credit", "0003_derived_negative_events")]

    operations = [
        append_only("credit", "NegativeEvent"),
    ]
