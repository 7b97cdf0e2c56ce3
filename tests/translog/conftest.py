# The e-seal fixtures (an authority, its seal, a granted officer, a holder) for logging permits.
from tests.signing.conftest import (  # noqa: F401
    authority,
    granted_officer,
    holder,
    issued_permit,
    officer,
    pki,
    seal,
    seal_material,
)
