"""Every state change of the signing app: one keyword-only function per use case.

The service knows seals and sealed documents, not what they say: the apps above it (contracts in
``marketplace.hiring``, certificates in ``providers``) render their documents and call these.
Split by concern; import from here (``from signing import services``), not from the modules.
"""

from .document_signers import (
    document_signed_code,
    document_signer_create,
    document_signer_revoke,
    trust_list_invalidate,
)
from .log import LogVerification, seal_log_append, seal_log_verify
from .organisation import (
    SEALING_ROLES,
    may_manage_seal,
    organisation_document_kinds,
    organisation_seal_create,
    organisation_seal_for,
    organisation_seal_with_grants,
)
from .permits import (
    Citation,
    PermitData,
    permit_issue,
    permit_reinstate,
    permit_revoke,
    permit_suspend,
    permits_expire,
)
from .permits_bulk import (
    CSV_COLUMNS,
    BulkResult,
    BulkRowAlready,
    BulkRowError,
    permit_data_from_row,
    permits_issue_bulk,
)
from .sealing import (
    SealAuthorisation,
    may_apply_seal,
    platform_authority,
    platform_seal_data,
    platform_seal_document,
    platform_seal_document_once,
    seal_apply,
    seal_authorise,
    sealed_document_add_seal,
    sealed_document_record,
    sealing_session,
)
from .seals import (
    authority_ensure,
    authority_member_add,
    grant_create,
    grant_revoke,
    permit_seal_for,
    seal_create,
    seal_import_pkcs12,
    seal_register_pkcs11,
    seal_revoke,
)
from .workers import default_workers

__all__ = [
    "CSV_COLUMNS",
    "SEALING_ROLES",
    "BulkResult",
    "BulkRowAlready",
    "BulkRowError",
    "Citation",
    "LogVerification",
    "PermitData",
    "SealAuthorisation",
    "authority_ensure",
    "authority_member_add",
    "default_workers",
    "document_signed_code",
    "document_signer_create",
    "document_signer_revoke",
    "grant_create",
    "grant_revoke",
    "may_apply_seal",
    "may_manage_seal",
    "organisation_document_kinds",
    "organisation_seal_create",
    "organisation_seal_for",
    "organisation_seal_with_grants",
    "permit_data_from_row",
    "permit_issue",
    "permit_reinstate",
    "permit_revoke",
    "permit_seal_for",
    "permit_suspend",
    "permits_expire",
    "permits_issue_bulk",
    "platform_authority",
    "platform_seal_data",
    "platform_seal_document",
    "platform_seal_document_once",
    "seal_apply",
    "seal_authorise",
    "seal_create",
    "seal_import_pkcs12",
    "seal_log_append",
    "seal_log_verify",
    "seal_register_pkcs11",
    "seal_revoke",
    "sealed_document_add_seal",
    "sealed_document_record",
    "sealing_session",
    "trust_list_invalidate",
]
