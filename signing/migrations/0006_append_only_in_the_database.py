"""Append-only in the database (issue 18): triggers refuse UPDATE and DELETE on these tables."""

from django.db import migrations

from marketplace.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("signing", "0005_contract_and_certificate_moved")]

    operations = [
        append_only("signing", "SealUse"),
        append_only("signing", "PermitEvent"),
    ]
