import pytest

from tests.factories import make_buyer, make_certified_provider, staff_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s per password; tests need none of that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads in tests go to a throw-away folder, never into the developer's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True, scope="session")
def _flush_past_append_only_triggers():
    """Between transactional tests Django empties every table (``flush``), append-only ones too: the
    triggers are lifted for the flush alone and restored (``marketplace.core.append_only``)."""
    from django.core.management.commands import flush
    from django.db import connections

    from marketplace.core.append_only import suspended

    original = flush.Command.handle

    def handle(self, **options):
        with suspended(connections[options.get("database", "default")]):
            return original(self, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


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


# --- Signing: one PKI per test session ---------------------------------------------------------

TEST_SEAL_KEK = "dGVzdC1vbmx5LWtleS1lbmNyeXB0aW9uLWtleS0zMmI="  # base64 of 32 test bytes


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory):
    """The platform PKI (root CA, seal CA, TSA, CRLs), built once per session in a tmp dir.

    Every test reuses it; seal keys made by tests are added to it, never to the developer's var/.
    """
    from django.test import override_settings

    from signing.pki import Pki

    directory = tmp_path_factory.mktemp("pki")
    with override_settings(SIGNING_PKI_DIR=directory, SEAL_KEY_ENCRYPTION_KEY=TEST_SEAL_KEK):
        Pki(directory).init()
    return directory


@pytest.fixture(autouse=True)
def _signing_pki(settings, pki_dir):
    settings.SIGNING_PKI_DIR = pki_dir
    settings.SEAL_KEY_ENCRYPTION_KEY = TEST_SEAL_KEK


# --- the marketplace's usual cast, shared by every app's tests (tests/factories builds them) ---


@pytest.fixture
def category(catalogue):
    return catalogue.get(code="eia")


@pytest.fixture
def buyer(db):
    """(enterprise, owner)"""
    return make_buyer()


@pytest.fixture
def providers(category):
    """Three certified providers qualified for EIA in Beijing."""
    reviewer = staff_user()
    return [make_certified_provider(categories=[category], reviewer=reviewer, name=f"Quoter {n}") for n in range(3)]


@pytest.fixture
def staff(db):
    return staff_user()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service as a request does: what it leaves for after the commit (the outbox's gateway calls,
    emails) runs as it returns. ``committed(hiring.dispute_resolve, dispute=…, …)``."""

    def call(service, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


@pytest.fixture
def empty_cache():
    """An empty cache for the test, left empty (the tests share one process's cache)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page_cache_on(settings, empty_cache):
    """The page cache and its table tokens on (``DEBUG`` turns them off for the tests)."""
    settings.PAGE_CACHE_SECONDS = 60
