"""The platform's own trust anchors and permit registry, as the verifier sees them."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.crypto import constant_time_compare

from .models import Contract, ContractSeal, DocumentKind, Permit, SealedDocument, normalize_verification_code
from .pki import Pki
from .verification import PermitRegistry, RegistryRecord, TrustAnchors


def _record(permit: Permit) -> RegistryRecord:
    return RegistryRecord(
        number=permit.number,
        kind="permit",
        status=permit.current_status,
        holder=permit.holder.display_name,
        issuer=permit.authority.display_name,
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        sha256=permit.sha256,
        token=permit.token,
        status_reason=permit.status_reason if permit.status != Permit.Status.VALID else "",
    )


# A provider's standing, as the registry status of its certificate.
CERTIFICATE_STATUS = {"certified": "valid", "suspended": "suspended", "revoked": "revoked"}


def _document_record(document: SealedDocument, *, status: str, holder: str, reason: str = "") -> RegistryRecord:
    return RegistryRecord(
        number=document.number,
        kind=document.kind,
        status=status,
        holder=holder,
        issuer=document.seal.authority.display_name,
        valid_from=None,
        valid_until=None,
        sha256=document.sha256,
        status_reason=reason,
    )


def _certificate_record(document: SealedDocument) -> RegistryRecord:
    provider = document.provider_certificate.provider
    status = CERTIFICATE_STATUS.get(provider.status, "revoked")
    reason = provider.status_reason if status != "valid" else ""
    return _document_record(document, status=status, holder=provider.display_name, reason=reason)


# A contract copy stands as the contract only once every party has sealed it. An earlier version
# (the platform's certified draft, or with the buyer's seal only) is genuine but "incomplete": the
# verifier answers `indeterminate`, saying whose seal that copy still lacks.
INCOMPLETE_REASON = {
    ContractSeal.Party.PLATFORM: Contract.Status.AWAITING_BUYER,
    ContractSeal.Party.BUYER: Contract.Status.AWAITING_PROVIDER,
}


def _contract_record(contract: Contract, version: ContractSeal) -> RegistryRecord:
    order = contract.service_order
    incomplete = INCOMPLETE_REASON.get(version.party)
    return RegistryRecord(
        number=contract.document.number,
        kind=DocumentKind.SERVICE_CONTRACT,
        status="incomplete" if incomplete else "valid",
        holder=f"{order.enterprise.display_name} / {order.provider.display_name}",
        issuer=contract.document.seal.owner.display_name,
        valid_from=None,
        valid_until=None,
        sha256=version.sha256,
        token=contract.token,
        status_reason=str(Contract.Status(incomplete).label) if incomplete else "",
    )


def _contracts():
    return Contract.objects.select_related(
        "document__seal__authority", "service_order__enterprise", "service_order__provider"
    )


class DatabaseRegistry:
    """Issued permits, looked up the three ways a verifier can reach them."""

    def _permits(self):
        return Permit.objects.select_related("holder", "authority")

    def find_by_sha256(self, digests: Sequence[str]) -> RegistryRecord | None:
        """Any document the platform sealed and kept: a permit, a provider's certificate, a
        verification report, any version of a service contract. Each kind's standing comes from
        what it certifies."""
        # Every contract version is a prefix of the later ones, so a final contract also matches
        # its earlier versions' digests: the longest match is the version this file carries.
        version = ContractSeal.objects.filter(sha256__in=list(digests)).order_by("-size").first()
        if version is not None:
            return _contract_record(_contracts().get(pk=version.contract_id), version)
        documents = {
            document.sha256: document
            for document in SealedDocument.objects.select_related("seal__authority").filter(sha256__in=list(digests))
        }
        document = next((documents[digest] for digest in digests if digest in documents), None)
        if document is None:
            return None
        if document.kind == DocumentKind.PERMIT:
            return _record(self._permits().get(document=document))
        if document.kind == DocumentKind.PROVIDER_CERTIFICATE:
            return _certificate_record(document)
        if document.kind == DocumentKind.VERIFICATION_REPORT:
            return _document_record(document, status="valid", holder="")
        # A kind this registry cannot judge is not vouched for.
        return None

    def find_by_number(self, number: str, code: str) -> RegistryRecord | None:
        permit = self._permits().filter(number=number).first()
        if permit is None or not constant_time_compare(permit.verification_code, normalize_verification_code(code)):
            return None
        return _record(permit)

    def find_by_token(self, token: str) -> RegistryRecord | None:
        permit = self._permits().filter(token=token).first()
        if permit is not None:
            return _record(permit)
        contract = _contracts().filter(token=token).first()
        if contract is None:
            return None
        return _contract_record(contract, contract.seals.order_by("-size").first())


def platform_sources() -> tuple[TrustAnchors, PermitRegistry]:
    """The platform root (and its CRLs) as the only trust anchor; before ``init_pki`` has run the
    platform trusts nothing, so nothing verifies as valid."""
    pki = Pki.default()
    if not pki.exists():
        return TrustAnchors(roots=()), DatabaseRegistry()
    return (
        TrustAnchors(roots=(pki.root(),), crls=tuple(pki.crls()), intermediates=(pki.seal_ca(),)),
        DatabaseRegistry(),
    )
