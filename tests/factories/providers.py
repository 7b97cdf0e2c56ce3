"""Providers built through the real services, so tests start from states the workflow can reach."""

import datetime
from decimal import Decimal
from itertools import count

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.catalogue.models import Category
from providers import services
from providers.models import Provider

from .accounts import UserFactory
from .enterprises import make_credit_code

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_numbers = count(5000)


def pdf_upload(name: str = "certificate.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def staff_user() -> User:
    return UserFactory(is_staff=True)


def make_provider(*, owner: User | None = None, region: str = "110000", name: str | None = None) -> Provider:
    """A draft provider registered through ``provider_register``."""
    n = next(_numbers)
    owner = owner or UserFactory()
    return services.provider_register(
        user=owner,
        credit_code=make_credit_code(n, region),
        name=name or f"Provider {n} Consulting Co., Ltd.",
        name_zh=f"第{n}咨询有限公司",
        legal_representative="Zhang San",
        address="1 Example Road",
        region=region,
        contact_name="Li Si",
        contact_phone="010-12345678",
        contact_email=owner.email,
    )


def add_qualification(provider: Provider, category: Category, *, user: User | None = None, days: int = 365, **extra):
    user = user or provider.memberships.first().user
    today = timezone.localdate()
    values = {
        "certificate_number": f"CERT-{next(_numbers)}",
        "grade": "Grade A",
        "issuer": "Ministry of Ecology and Environment",
        "valid_from": today - datetime.timedelta(days=30),
        "valid_until": today + datetime.timedelta(days=days),
        "scan": pdf_upload(),
        **extra,
    }
    return services.qualification_upload(provider=provider, user=user, category=category, **values)


def make_certified_provider(*, categories, reviewer: User | None = None, **kwargs) -> Provider:
    """A provider certified with an approved qualification for each of ``categories``."""
    provider = make_provider(**kwargs)
    reviewer = reviewer or staff_user()
    owner = provider.memberships.first().user
    for category in categories:
        services.qualification_approve(qualification=add_qualification(provider, category), reviewer=reviewer)
    services.provider_submit(provider=provider, user=owner)
    return services.provider_certify(provider=provider, reviewer=reviewer)


def listing_data(category: Category, **overrides) -> services.ListingData:
    values = {
        "title": "Environmental impact report",
        "title_zh": "环境影响报告书编制",
        "description": "Full report with expert review.",
        "description_zh": "含专家评审的完整报告。",
        "category": category,
        "pricing_mode": "fixed",
        "price": Decimal("48000.00"),
        "price_unit": "per project",
        "service_days": 45,
        "regions_served": ("110000",),
        "deliverables": "Report\nExpert review minutes",
        "deliverables_zh": "报告书\n专家评审意见",
        "published": True,
    }
    values.update(overrides)
    return services.ListingData(**values)


def make_listing(provider: Provider, category: Category, **overrides):
    owner = provider.memberships.first().user
    return services.listing_create(provider=provider, user=owner, data=listing_data(category, **overrides))
