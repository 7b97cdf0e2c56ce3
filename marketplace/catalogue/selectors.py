"""Read queries for the public service-item catalogue."""

from django.db.models import QuerySet

from .models import Category


def service_items() -> QuerySet[Category]:
    """Every public service item, in catalogue order; one query whatever the size."""
    return Category.objects.filter(is_public=True, ancestors_are_public=True).order_by("path")


def top_level_service_items() -> QuerySet[Category]:
    return service_items().filter(depth=1)


def service_item(*, pk: int) -> Category:
    """A public service item by id; raises ``Category.DoesNotExist`` for hidden or unknown ones."""
    return service_items().get(pk=pk)


def service_item_children(*, category: Category) -> QuerySet[Category]:
    return service_items().filter(path__startswith=category.path, depth=category.depth + 1)
