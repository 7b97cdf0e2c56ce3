"""Priced listings (Oscar products with one stock record of the provider's partner)."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User
from marketplace.catalogue.models import AttributeOption, Category, Product, ProductCategory
from marketplace.catalogue.services import product_class_ensure_intermediary_service
from marketplace.core import milestone_plan
from marketplace.core.regions import validate_region_code
from marketplace.partner.models import StockRecord

from .. import selectors
from ..models import Provider, ProviderEvent, Qualification
from ._base import CURRENCY, S, _event, _lock, _require_status, require_member

# --- Listings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingData:
    title: str
    title_zh: str
    description: str
    description_zh: str
    category: Category
    pricing_mode: str
    price: Decimal | None
    price_unit: str
    service_days: int
    regions_served: tuple[str, ...]
    deliverables: str = ""
    deliverables_zh: str = ""
    published: bool = False
    milestones: str = ""


def publish_blockers(*, provider: Provider, category: Category) -> list[str]:
    """Why a listing in ``category`` cannot be published now; empty when it can."""
    reasons = []
    if provider.status != S.CERTIFIED:
        reasons.append(
            _("Your organisation is %(status)s; only certified providers can publish listings.")
            % {"status": provider.get_status_display().lower()}
        )
    if not Qualification.objects.in_force().filter(provider=provider, category=category).exists():
        reasons.append(
            _("You hold no approved, unexpired qualification for “%(category)s”; have one approved first.")
            % {"category": category.localized("name")}
        )
    return reasons


def _validate_listing(data: ListingData) -> None:
    errors = {}
    if data.pricing_mode not in ("fixed", "from", "quote"):
        errors["pricing_mode"] = _("Choose a pricing mode.")
    if data.pricing_mode in ("fixed", "from"):
        if data.price is None or data.price <= 0:
            errors["price"] = _("A fixed or “from” price needs an amount above zero.")
    elif data.price is not None and data.price < 0:
        errors["price"] = _("A price cannot be negative.")
    if data.service_days is None or data.service_days < 1:
        errors["service_days"] = _("Promise at least one day.")
    if not data.regions_served:
        errors["regions_served"] = _("Choose at least one region.")
    for code in data.regions_served:
        try:
            validate_region_code(code)
        except ValidationError as error:
            errors["regions_served"] = error.messages[0]
    if not data.title.strip():
        errors["title"] = _("This field is required.")
    try:
        stages = milestone_plan.parse(data.milestones)
        if stages and data.pricing_mode == "fixed" and data.price:
            milestone_plan.allocate(stages, data.price)
    except ValidationError as error:
        errors["milestones"] = error.messages
    if errors:
        raise ValidationError(errors)


def _apply_listing(product: Product, stockrecord: StockRecord, data: ListingData) -> None:
    product.title = data.title.strip()
    product.title_zh = data.title_zh.strip()
    product.description = data.description
    product.description_zh = data.description_zh
    product.is_public = data.published
    product.attr.pricing_mode = AttributeOption.objects.get(group__code="pricing_mode", code=data.pricing_mode)
    product.attr.price_unit = data.price_unit
    product.attr.service_days = data.service_days
    product.attr.regions_served = " ".join(data.regions_served)
    product.attr.deliverables = data.deliverables
    product.attr.deliverables_zh = data.deliverables_zh
    product.attr.milestones = data.milestones
    product.save()
    ProductCategory.objects.filter(product=product).exclude(category=data.category).delete()
    ProductCategory.objects.get_or_create(product=product, category=data.category)
    # A quote-only listing may still show an indicative price; the strategy never sells it directly.
    stockrecord.price = data.price
    stockrecord.price_currency = CURRENCY
    stockrecord.product = product
    if not stockrecord.partner_sku:
        stockrecord.partner_sku = f"L{product.pk}"
    stockrecord.save()


def _require_can_publish(provider, category) -> None:
    blockers = publish_blockers(provider=provider, category=category)
    if blockers:
        raise ValidationError({"published": blockers}, code="cannot_publish")


@transaction.atomic
def listing_create(*, provider: Provider, user: User, data: ListingData) -> Product:
    require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT, S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("given new listings"))
    _validate_listing(data)
    if data.published:
        _require_can_publish(provider, data.category)
    product_class = product_class_ensure_intermediary_service()
    product = Product(product_class=product_class, structure=Product.STANDALONE)
    product.slug = slugify(data.title)[:200] or "listing"
    stockrecord = StockRecord(partner=provider.partner, partner_sku="")
    _apply_listing(product, stockrecord, data)
    _event(provider, ProviderEvent.Kind.LISTING_CREATED, actor=user, listing=product.pk, published=data.published)
    return product


@transaction.atomic
def listing_update(*, provider: Provider, user: User, listing: Product, data: ListingData) -> Product:
    require_member(provider, user)
    product = (
        selectors.all_listings()
        .select_for_update(of=("self",))
        .get(pk=listing.pk, stockrecords__partner=provider.partner)
    )
    _validate_listing(data)
    if data.published:
        _require_can_publish(provider, data.category)
    stockrecord = product.stockrecords.get(partner=provider.partner)
    _apply_listing(product, stockrecord, data)
    _event(provider, ProviderEvent.Kind.LISTING_UPDATED, actor=user, listing=product.pk, published=data.published)
    return product


@transaction.atomic
def listing_set_published(*, provider: Provider, user: User, listing: Product, published: bool) -> Product:
    require_member(provider, user)
    product = (
        selectors.all_listings()
        .select_for_update(of=("self",))
        .get(pk=listing.pk, stockrecords__partner=provider.partner)
    )
    if published:
        category = product.categories.first()
        if category is None:
            raise ValidationError(_("Choose a service item for this listing first."), code="no_category")
        _require_can_publish(provider, category)
    product.is_public = published
    product.save(update_fields=["is_public", "date_updated"])
    kind = ProviderEvent.Kind.LISTING_PUBLISHED if published else ProviderEvent.Kind.LISTING_UNPUBLISHED
    _event(provider, kind, actor=user, listing=product.pk)
    return product
