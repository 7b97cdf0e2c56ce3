# The e-seal fixtures (an authority with a seal, a granted officer) for issuing permits from cases.
from tests.factories.contracts import contract_materials  # noqa: F401 - the platform seal for bundles
from tests.signing.conftest import authority, granted_officer, holder, issued_permit, officer, seal, seal_material  # noqa: F401
