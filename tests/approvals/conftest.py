# The e-seal fixtures (an authority with a seal, a granted officer) for issuing permits from cases.
from tests.signing.conftest import authority, granted_officer, officer, seal, seal_material  # noqa: F401
