"""Read queries about providers and listings, always scoped to who is asking.

``purchasable_listings_q`` is the single definition of "public and purchasable": category pages,
listing detail, the partner strategy, and later search and hiring all use it.
"""

import datetime

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from marketplace.catalogue.models import Category, Product, ProductAttributeValue
from marketplace.catalogue.services import INTERMEDIARY_SERVICE_SLUG
from marketplace.partner.models import StockRecord

from .listings import regions_served_of
from .models import Provider, ProviderBan, ProviderMember, Qualification

LISTING_ATTRIBUTE_CODES = (
    "pricing_mode",
    "price_unit",
    "service_days",
    "regions_served",
    "deliverables",
    "deliverables_zh",
    "milestones",
)


def qualified_listing_exists(*, today: datetime.date | None = None) -> Exists:
    """Whether a product's provider holds an in-force qualification for one of its categories.

    The product's categories are a list the qualification's category must be in, not a join: with
    the join PostgreSQL took 20–30 ms to plan every listing query (the listings' own joins and this
    subquery's made one join problem too many tables wide), and 4 ms without it."""
    return Exists(
        Qualification.objects.in_force(today=today).filter(
            provider__partner__stockrecords__product=OuterRef("pk"),
            category_id__in=Product.categories.through.objects.filter(product=OuterRef(OuterRef("pk"))).values(
                "category_id"
            ),
        )
    )


def banned_listing_exists(*, today: datetime.date | None = None) -> Exists:
    """Whether a product's provider is under a ban in force on ``today``."""
    return Exists(
        ProviderBan.objects.in_force(today=today).filter(provider__partner__stockrecords__product=OuterRef("pk"))
    )


def purchasable_listings_q(*, today: datetime.date | None = None) -> Q:
    """Published listings of certified, unbanned providers holding an in-force qualification for the category."""
    return Q(
        qualified_listing_exists(today=today),
        ~banned_listing_exists(today=today),
        product_class__slug=INTERMEDIARY_SERVICE_SLUG,
        is_public=True,
        stockrecords__partner__provider__status=Provider.Status.CERTIFIED,
    )


def all_listings() -> QuerySet[Product]:
    return Product.objects.filter(product_class__slug=INTERMEDIARY_SERVICE_SLUG)


def with_listing_data(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Everything a listing card shows, in a constant number of queries however many listings."""
    return queryset.select_related("product_class").prefetch_related(
        Prefetch(
            "stockrecords",
            queryset=StockRecord.objects.select_related("partner__provider"),
        ),
        "categories",
        Prefetch(
            "attribute_values",
            queryset=ProductAttributeValue.objects.select_related("attribute", "value_option"),
        ),
    )


def purchasable_listings(*, today: datetime.date | None = None) -> QuerySet[Product]:
    return all_listings().filter(purchasable_listings_q(today=today)).distinct()


def listing_is_purchasable(*, product: Product, today: datetime.date | None = None) -> bool:
    return purchasable_listings(today=today).filter(pk=product.pk).exists()


def category_listings(*, category: Category) -> QuerySet[Product]:
    """The purchasable listings of one service item, cheapest first, ready to render."""
    return with_listing_data(
        purchasable_listings().filter(categories=category).order_by("stockrecords__price", "title", "pk")
    )


def public_listing(*, pk: int, user=None) -> Product:
    """A listing by id as the public may see it; its owners and staff also see unpublished ones.

    Raises ``Product.DoesNotExist`` otherwise.
    """
    queryset = all_listings()
    visible = purchasable_listings_q()
    if user is not None and user.is_authenticated:
        if user.is_staff:
            visible = Q()
        else:
            visible |= Q(stockrecords__partner__provider__memberships__user=user)
    return with_listing_data(queryset.filter(visible).distinct()).get(pk=pk)


# --- Providers -----------------------------------------------------------------------------------


def providers_for_user(*, user) -> QuerySet[Provider]:
    """The providers a user acts for (at most one today); empty for anonymous users."""
    if not user.is_authenticated:
        return Provider.objects.none()
    return Provider.objects.filter(memberships__user=user)


def provider_for_user(*, user) -> Provider | None:
    return providers_for_user(user=user).select_related("partner").first()


def membership_for_user(*, user) -> ProviderMember | None:
    if not user.is_authenticated:
        return None
    return ProviderMember.objects.select_related("provider__partner").filter(user=user).first()


def provider_listings(*, provider: Provider) -> QuerySet[Product]:
    """All of a provider's listings, published or not, for its console."""
    return with_listing_data(all_listings().filter(stockrecords__partner=provider.partner).order_by("-date_updated"))


def provider_listing(*, provider: Provider, pk: int) -> Product:
    """One of the provider's own listings; ``Product.DoesNotExist`` for anyone else's."""
    return provider_listings(provider=provider).get(pk=pk)


def provider_qualification(*, provider: Provider, pk: int) -> Qualification:
    return provider.qualifications.select_related("category").get(pk=pk)


def qualified_categories(*, provider: Provider, today: datetime.date | None = None) -> QuerySet[Category]:
    return Category.objects.filter(
        qualifications__in=Qualification.objects.in_force(today=today).filter(provider=provider)
    ).distinct()


def qualification_for_scan(*, user, pk: int) -> Qualification:
    """A qualification whose scan ``user`` may download: their own provider's, or any for staff."""
    queryset = Qualification.objects.select_related("provider")
    if not user.is_authenticated:
        raise Qualification.DoesNotExist
    if not user.is_staff:
        queryset = queryset.filter(provider__memberships__user=user)
    return queryset.get(pk=pk)


def public_providers() -> QuerySet[Provider]:
    """Providers with a public profile: certified or suspended (suspension is public record)."""
    return Provider.objects.filter(status__in=[Provider.Status.CERTIFIED, Provider.Status.SUSPENDED])


def public_provider(*, pk: int, user=None) -> Provider:
    queryset = Provider.objects.all()
    if user is None or not user.is_authenticated:
        queryset = public_providers()
    elif not user.is_staff:
        queryset = queryset.filter(
            Q(status__in=[Provider.Status.CERTIFIED, Provider.Status.SUSPENDED]) | Q(memberships__user=user)
        ).distinct()
    return queryset.get(pk=pk)


def provider_public_qualifications(*, provider: Provider) -> QuerySet[Qualification]:
    return (
        provider.qualifications.filter(status__in=[Qualification.Status.APPROVED, Qualification.Status.EXPIRED])
        .select_related("category")
        .order_by("category__path", "-valid_until")
    )


def provider_public_listings(*, provider: Provider) -> QuerySet[Product]:
    # By the partner's id: the provider's ``partner`` need not be loaded (one query fewer).
    return with_listing_data(
        purchasable_listings().filter(stockrecords__partner_id=provider.partner_id).order_by("title")
    )


def listing_regions_served(*, provider: Provider, category: Category) -> set[str]:
    """The region codes the provider's public listings in ``category`` serve (as ``listing_info``
    reads them): one query, where loading the listings would take four."""
    values = ProductAttributeValue.objects.filter(
        attribute__code="regions_served",
        product__in=provider_public_listings(provider=provider).filter(categories=category),
    ).select_related("value_option")
    return {code for value in values for code in regions_served_of(value)}


# --- Bans --------------------------------------------------------------------------------------


def provider_ban_in_force(*, provider: Provider, today: datetime.date | None = None) -> ProviderBan | None:
    """The ban that keeps ``provider`` from quoting on ``today`` (the one ending last: a permanent one
    first), or None. One query."""
    return (
        ProviderBan.objects.in_force(today=today)
        .filter(provider=provider)
        .order_by(F("ends_on").desc(nulls_first=True), "-starts_on", "-pk")
        .first()
    )


def bans_in_force(*, today: datetime.date | None = None) -> QuerySet[ProviderBan]:
    """Every ban in force on ``today``, for the public list (the provider's name and code only)."""
    return ProviderBan.objects.in_force(today=today).select_related("provider").order_by("-starts_on", "-pk")


def bans_of(*, provider: Provider) -> QuerySet[ProviderBan]:
    """All of one provider's bans, for its own console and for staff."""
    return provider.bans.order_by("-starts_on", "-pk")


def pending_ban_appeals() -> QuerySet[ProviderBan]:
    return ProviderBan.objects.filter(appeal_status=ProviderBan.AppealStatus.PENDING).select_related("provider")


# --- Staff review --------------------------------------------------------------------------------


def providers_for_review(*, status: str | None = None) -> QuerySet[Provider]:
    queryset = Provider.objects.all().order_by("submitted_at", "name")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def pending_qualifications() -> QuerySet[Qualification]:
    return Qualification.objects.filter(status=Qualification.Status.PENDING).select_related("provider", "category")


def today() -> datetime.date:
    return timezone.localdate()
