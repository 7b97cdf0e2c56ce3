# The e-seal fixtures, for a permit among the append-only records.
from tests.signing.conftest import authority, granted_officer, holder, issued_permit, officer, seal, seal_material  # noqa: F401
