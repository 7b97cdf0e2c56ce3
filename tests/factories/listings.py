"""Listings for search tests: real listings of certified providers, created through the services.

``make_search_listing`` takes the search-facing facts (title, service item code, regions, price,
pricing mode, service days) and makes a provider per ``partner_name`` on first use, certified
with an approved qualification for each service item it lists in.
"""

from decimal import Decimal
from itertools import count

from marketplace.catalogue.models import Category, Product
from providers import services
from providers.models import Provider, Qualification

from .providers import add_qualification, make_certified_provider, staff_user

_sequence = count(1)


def _provider(name: str, category: Category) -> Provider:
    provider = Provider.objects.filter(name=name).first()
    if provider is None:
        return make_certified_provider(categories=[category], name=name)
    if not provider.qualifications.filter(category=category, status=Qualification.Status.APPROVED).exists():
        services.qualification_approve(qualification=add_qualification(provider, category), reviewer=staff_user())
    return provider


def make_search_listing(
    *,
    title: str,
    title_zh: str = "",
    description: str = "",
    description_zh: str = "",
    category: str = "eia",
    regions: tuple[str, ...] = ("610100",),
    price: Decimal | int | str | None = Decimal("10000"),
    pricing_mode: str = "fixed",
    service_days: int = 30,
    partner_name: str = "Qinchuan Environmental Consulting",
    is_public: bool = True,
) -> Product:
    next(_sequence)
    service_item = Category.objects.get(code=category)
    provider = _provider(partner_name, service_item)
    owner = provider.memberships.first().user
    data = services.ListingData(
        title=title,
        title_zh=title_zh,
        description=description,
        description_zh=description_zh,
        category=service_item,
        pricing_mode=pricing_mode,
        price=None if pricing_mode == "quote" or price is None else Decimal(str(price)),
        price_unit="per project",
        service_days=service_days,
        regions_served=tuple(regions),
        published=is_public,
    )
    return services.listing_create(provider=provider, user=owner, data=data)
