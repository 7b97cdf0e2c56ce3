import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s per password; tests need none of that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads in tests go to a throw-away folder, never into the developer's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def catalogue(db):
    """The real service-item catalogue, loaded through the same service `load_demo` uses."""
    from marketplace.catalogue import services

    services.catalogue_sync_service_items()
    services.product_class_ensure_intermediary_service()
    from marketplace.catalogue.models import Category

    return Category.objects.order_by("path")


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each request activates its language for the whole thread; start every test in English."""
    from django.utils import translation

    with translation.override("en"):
        yield
