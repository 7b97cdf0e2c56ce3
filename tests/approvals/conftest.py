# The e-seal fixtures (an authority with a seal, a granted officer) for issuing permits from cases.
import pytest

from marketplace.approvals.models import ApprovalMatter
from tests.factories.contracts import contract_materials  # noqa: F401 - the platform seal for bundles
from tests.signing.conftest import authority, granted_officer, holder, issued_permit, officer, seal, seal_material  # noqa: F401


@pytest.fixture
def eia_matter(authority, catalogue):  # noqa: F811 - the fixture imported above
    """A matter that needs one intermediary service: the environmental impact assessment."""
    matter = ApprovalMatter.objects.create(
        code="eia-only", name="EIA approval", authority=authority, time_limit_days=20
    )
    matter.service_items.set([catalogue.get(code="eia")])
    return matter
