"""The provider demo data: the shape the issue asks for, a working demo login, idempotent."""

import pytest
from django.core.management import call_command

from marketplace.accounts.models import User
from marketplace.catalogue.models import Product
from marketplace.core.validators import validate_credit_code
from providers import selectors
from providers.models import Provider, Qualification

pytestmark = pytest.mark.django_db


def test_load_demo_adds_providers_and_listings_once(capsys):
    call_command("load_demo", quiet_logins=True)
    providers = Provider.objects.all()
    assert 22 <= providers.count() <= 28
    for code in providers.values_list("credit_code", flat=True):
        validate_credit_code(code)
    statuses = set(providers.values_list("status", flat=True))
    assert {"certified", "pending_review", "suspended"} <= statuses
    assert providers.filter(status="suspended").count() == 1
    assert Qualification.objects.filter(status=Qualification.Status.EXPIRED).count() == 1
    assert len(set(providers.values_list("region", flat=True))) >= 8
    listings = selectors.all_listings()
    assert 70 <= listings.count() <= 95
    assert listings.values("categories").distinct().count() >= 12
    on_sale = selectors.purchasable_listings()
    assert 50 <= on_sale.count() < listings.count()  # suspended / expired / pending ones are off sale
    prices = [p for p in listings.values_list("stockrecords__price", flat=True) if p is not None]
    assert min(prices) > 0 and max(prices) > 10000
    owner = User.objects.get(email="provider@demo.onewindow.local")
    provider = selectors.provider_for_user(user=owner)
    assert provider.status == Provider.Status.CERTIFIED
    assert selectors.provider_public_listings(provider=provider).exists()

    before = (Provider.objects.count(), Product.objects.count(), Qualification.objects.count())
    call_command("load_demo", quiet_logins=True)
    assert (Provider.objects.count(), Product.objects.count(), Qualification.objects.count()) == before
    assert "providers 0 created, listings 0 created" in capsys.readouterr().out
