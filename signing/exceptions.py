"""The signing app's exception hierarchy.

Views, commands and tasks catch these by name; no bare ``ValueError`` and no pyHanko, PKCS#11
or cryptography exception leaks past :mod:`signing.engine` or :mod:`signing.services`.
Messages are written for people: they name the seal or permit, never key material.
"""


class SigningError(Exception):
    """Base class of every error the signing app raises on purpose."""


class PkiError(SigningError):
    """The platform PKI is missing, incomplete or inconsistent (run ``manage.py init_pki``)."""


class KeyStoreError(SigningError):
    """A seal's private key could not be reached (wrong key-encryption key, token missing...)."""


class KeyStoreConfigurationError(KeyStoreError):
    """The key store is not configured safely (e.g. no key-encryption key outside DEBUG)."""


class TimestampError(SigningError):
    """The timestamp authority did not answer with a usable token."""


class SealingError(SigningError):
    """pyHanko could not produce the sealed PDF."""


class SealNotUsable(SigningError):
    """The seal is revoked, suspended or its certificate has expired."""


class GrantRequired(SigningError):
    """The acting user holds no current grant to apply this seal to this kind of document."""


class PermitError(SigningError):
    """A permit operation is not allowed in the permit's current state."""


class PermitAlreadyIssued(PermitError):
    """A permit with this issuance key exists already (a re-run batch, a second click): nothing is issued."""

    def __init__(self, number: str):
        self.number = number
        super().__init__(f"already issued as {number}")


class LogChainBroken(SigningError):
    """The seal-use log's hash chain does not recompute."""


class ContractError(SigningError):
    """A contract step is refused: not this party's turn, not a party at all, or already sealed."""


class NotPermitted(SigningError):
    """The acting user may not manage this organisation's seal."""
