"""A listing as pages show it: one read-only view over an Oscar product, its stock record and
attributes, built from prefetched data only (see ``selectors.with_listing_data``) so rendering a
page of listings adds no query per listing.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketplace.core import milestone_plan
from marketplace.core.i18n import is_chinese_active
from marketplace.core.regions import region_name

# Units listings usually state, so a Chinese page does not show "per project"; others as entered.
PRICE_UNIT_LABELS = {
    "per project": _("per project"),
    "per report": _("per report"),
    "per day": _("per day"),
    "per hectare": _("per hectare"),
    "per square metre": _("per square metre"),
}

PRICING_MODE_LABELS = {
    "fixed": _("Fixed price"),
    "from": _("From price"),
    "quote": _("Quote only"),
}


@dataclass(frozen=True)
class ListingInfo:
    product: object
    provider: object | None
    category: object | None
    pricing_mode: str
    price: Decimal | None
    currency: str
    price_unit: str
    service_days: int | None
    regions_served: tuple[str, ...] = field(default_factory=tuple)
    deliverables: str = ""
    deliverables_zh: str = ""
    milestones: str = ""  # the plan's text (``core.milestone_plan``); empty: paid at once

    @property
    def milestone_stages(self) -> list:
        """The planned stages, each with its amount at the listing's price where it has one."""
        try:
            stages = milestone_plan.parse(self.milestones)
            amounts = milestone_plan.allocate(stages, self.price) if stages and self.price else [None] * len(stages)
        except ValidationError:  # a plan saved before a rule changed: shown as not staged, never a 500
            return []
        return list(zip(stages, amounts, strict=True))

    @property
    def pricing_mode_label(self) -> str:
        return PRICING_MODE_LABELS.get(self.pricing_mode, "")

    @property
    def price_unit_label(self) -> str:
        return str(PRICE_UNIT_LABELS.get(self.price_unit.strip().lower(), self.price_unit))

    @property
    def is_quote_only(self) -> bool:
        return self.pricing_mode == "quote"

    @property
    def region_names(self) -> list[str]:
        return [region_name(code) for code in self.regions_served]

    @property
    def deliverables_localized(self) -> str:
        if is_chinese_active() and self.deliverables_zh:
            return self.deliverables_zh
        return self.deliverables

    @property
    def deliverable_lines(self) -> list[str]:
        return [line.strip() for line in self.deliverables_localized.splitlines() if line.strip()]


def _attribute_value(value) -> object:
    if value.value_option_id is not None:
        return value.value_option.code or value.value_option.option
    for name in ("value_text", "value_integer", "value_float", "value_boolean", "value_richtext"):
        stored = getattr(value, name)
        if stored is not None and stored != "":
            return stored
    return None


def _region_codes(raw) -> tuple[str, ...]:
    """A ``regions_served`` value's region codes (separated by spaces or commas)."""
    return tuple(code for code in (raw or "").replace(",", " ").split() if code)


def regions_served_of(value) -> tuple[str, ...]:
    """The region codes of one ``regions_served`` attribute value (a ``ProductAttributeValue``)."""
    return _region_codes(_attribute_value(value))


def listing_info(product) -> ListingInfo:
    """Build from prefetched relations (``stockrecords``, ``categories``, ``attribute_values``)."""
    values = {value.attribute.code: _attribute_value(value) for value in product.attribute_values.all()}
    stockrecords = list(product.stockrecords.all())
    stockrecord = stockrecords[0] if stockrecords else None
    provider = getattr(stockrecord.partner, "provider", None) if stockrecord else None
    categories = list(product.categories.all())
    regions = _region_codes(values.get("regions_served"))
    return ListingInfo(
        product=product,
        provider=provider,
        category=categories[0] if categories else None,
        pricing_mode=values.get("pricing_mode") or "quote",
        price=stockrecord.price if stockrecord else None,
        currency=stockrecord.price_currency if stockrecord else "CNY",
        price_unit=values.get("price_unit") or "",
        service_days=values.get("service_days"),
        regions_served=regions,
        deliverables=values.get("deliverables") or "",
        deliverables_zh=values.get("deliverables_zh") or "",
        milestones=values.get("milestones") or "",
    )


def listing_infos(products) -> list[ListingInfo]:
    return [listing_info(product) for product in products]
