"""Listings may plan the stages their work is paid in (issue 23): the product class gains a text
attribute ``milestones`` where it exists already (new databases get it from
``product_class_ensure_intermediary_service``)."""

from django.db import migrations


def add_attribute(apps, schema_editor):
    ProductClass = apps.get_model("catalogue", "ProductClass")
    ProductAttribute = apps.get_model("catalogue", "ProductAttribute")
    for product_class in ProductClass.objects.filter(slug="intermediary-service"):
        ProductAttribute.objects.get_or_create(
            product_class=product_class,
            code="milestones",
            defaults={"name": "Milestone plan", "type": "text", "required": False},
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0033_bilingual_service_guide")]

    operations = [migrations.RunPython(add_attribute, migrations.RunPython.noop)]
