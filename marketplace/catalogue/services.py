"""State changes to the service catalogue. Each is idempotent: running it again changes nothing."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from .models import AttributeOption, AttributeOptionGroup, Category, ProductAttribute, ProductClass

SERVICE_ITEMS_FILE = Path(__file__).parent / "data" / "service_items.json"
GUIDE_FIELDS = (
    "name",
    "name_zh",
    "description",
    "description_zh",
    "scope",
    "scope_zh",
    "procedure",
    "procedure_zh",
    "time_limit_days",
    "eligibility",
    "eligibility_zh",
    "required_qualification",
    "required_qualification_zh",
)

INTERMEDIARY_SERVICE_CLASS = "Intermediary service"
INTERMEDIARY_SERVICE_SLUG = "intermediary-service"
# (code, English name, type, required). Pricing mode is an option group so the form and the
# search facets share one vocabulary.
INTERMEDIARY_SERVICE_ATTRIBUTES = (
    ("pricing_mode", "Pricing mode", ProductAttribute.OPTION, True),
    ("price_unit", "Price unit", ProductAttribute.TEXT, False),
    ("service_days", "Promised service days", ProductAttribute.INTEGER, True),
    ("regions_served", "Regions served (GB/T 2260 codes)", ProductAttribute.TEXT, True),
    ("deliverables", "Deliverables", ProductAttribute.TEXT, False),
    ("deliverables_zh", "Deliverables (Chinese)", ProductAttribute.TEXT, False),
    # Stages the work is paid in, one per line (``core.milestone_plan``); empty: paid at once.
    ("milestones", "Milestone plan", ProductAttribute.TEXT, False),
)
PRICING_MODES = (("fixed", "Fixed price"), ("from", "From price"), ("quote", "Quote only"))


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    unchanged: int


def load_service_items(path: Path = SERVICE_ITEMS_FILE) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@transaction.atomic
def catalogue_sync_service_items(*, items: list[dict] | None = None) -> SyncResult:
    """Create or update one top-level category per service item, matched by its ``code``."""
    items = load_service_items() if items is None else items
    created = updated = unchanged = 0
    existing = {category.code: category for category in Category.objects.filter(code__in=[i["code"] for i in items])}
    for item in items:
        values = {field: item.get(field, "" if field != "time_limit_days" else None) for field in GUIDE_FIELDS}
        category = existing.get(item["code"])
        if category is None:
            Category.objects.add_root(create_kwargs={"code": item["code"], "slug": slugify(item["name"]), **values})
            created += 1
            continue
        changed = [field for field, value in values.items() if getattr(category, field) != value]
        if changed:
            for field in changed:
                setattr(category, field, values[field])
            category.save()
            updated += 1
        else:
            unchanged += 1
    return SyncResult(created=created, updated=updated, unchanged=unchanged)


@transaction.atomic
def product_class_ensure_intermediary_service() -> ProductClass:
    """The product class every listing belongs to, with its attributes; safe to call repeatedly."""
    product_class, _ = ProductClass.objects.get_or_create(
        slug=INTERMEDIARY_SERVICE_SLUG,
        defaults={"name": INTERMEDIARY_SERVICE_CLASS, "requires_shipping": False, "track_stock": False},
    )
    group, _ = AttributeOptionGroup.objects.get_or_create(name="Pricing mode", defaults={"code": "pricing_mode"})
    for code, label in PRICING_MODES:
        AttributeOption.objects.get_or_create(group=group, code=code, defaults={"option": label})
    for code, name, attribute_type, required in INTERMEDIARY_SERVICE_ATTRIBUTES:
        ProductAttribute.objects.get_or_create(
            product_class=product_class,
            code=code,
            defaults={
                "name": name,
                "type": attribute_type,
                "required": required,
                "option_group": group if attribute_type == ProductAttribute.OPTION else None,
            },
        )
    return product_class
