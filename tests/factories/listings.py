"""Listings as real Oscar Products of the intermediary-service class, with a stock record.

Needs the ``catalogue`` fixture (the real categories and product class). Until the providers
app lands a listing belongs to a plain Oscar Partner; the lead switches this factory to a
certified Provider's partner at merge.
"""

from decimal import Decimal
from itertools import count

from django.db import transaction
from oscar.apps.partner.models import Partner, StockRecord

from marketplace.catalogue.models import AttributeOption, Category, Product, ProductCategory, ProductClass
from marketplace.catalogue.services import INTERMEDIARY_SERVICE_SLUG

_sequence = count(1)


@transaction.atomic
def make_listing(
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
    n = next(_sequence)
    product_class = ProductClass.objects.get(slug=INTERMEDIARY_SERVICE_SLUG)
    product = Product(
        product_class=product_class,
        title=title,
        title_zh=title_zh,
        description=description,
        description_zh=description_zh,
        is_public=is_public,
    )
    product.attr.pricing_mode = AttributeOption.objects.get(group__code="pricing_mode", code=pricing_mode)
    product.attr.service_days = service_days
    product.attr.regions_served = ",".join(regions)
    product.save()
    ProductCategory.objects.create(product=product, category=Category.objects.get(code=category))
    partner, _ = Partner.objects.get_or_create(name=partner_name)
    StockRecord.objects.create(
        product=product,
        partner=partner,
        partner_sku=f"L{n:06d}-{product.pk}",
        price=Decimal(str(price if price is not None else 0)),
        price_currency="CNY",
    )
    return product
