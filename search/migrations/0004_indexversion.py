"""The index version token that keys the database backend's cached filter-only facet counts."""

from django.db import migrations, models


def create_row(apps, schema_editor):
    apps.get_model("search", "IndexVersion").objects.get_or_create(pk=1, defaults={"token": "initial"})


class Migration(migrations.Migration):
    dependencies = [("search", "0003_entry_province_codes")]

    operations = [
        migrations.CreateModel(
            name="IndexVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
