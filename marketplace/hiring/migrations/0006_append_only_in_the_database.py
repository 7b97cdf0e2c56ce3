"""Append-only in the database (issue 18): triggers refuse UPDATE and DELETE on these tables."""

from django.db import migrations

from marketplace.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("hiring", "0005_refunds_shown_from_the_ledger")]

    operations = [
        append_only("hiring", "OrderEvent"),
    ]
