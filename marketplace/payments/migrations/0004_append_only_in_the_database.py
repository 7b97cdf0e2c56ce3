"""Append-only in the database (issue 18): triggers refuse UPDATE and DELETE on these tables."""

from django.db import migrations

from marketplace.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_outbox_chargebacks_differences")]

    operations = [
        append_only("payments", "PaymentRecord"),
    ]
