import pytest

from tests.factories import make_buyer, make_certified_provider, staff_user
from tests.factories.contracts import contract_materials  # noqa: F401 - a fixture


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
