"""Append-only in the database (issue 18): triggers refuse UPDATE and DELETE on these tables."""

from django.db import migrations

from marketplace.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("procurement", "0003_addressed_requests")]

    operations = [
        append_only("procurement", "RequestEvent"),
        append_only("procurement", "Selection", set_once=["winner"], false_to_true=["superseded"]),
    ]
