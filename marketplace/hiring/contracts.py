"""Service contracts: the platform renders and certifies an order's contract, then the buyer's
enterprise and the provider seal it, in that order, each into its own signature field.

The sealing itself (grants, the seal-use log, the registry of sealed documents) is the signing
app's; this module decides what the contract says, who may seal it and when.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from signing import services as signing_services
from signing.engine import DOCMDP_FORM_FILLING, EmptySignatureField
from signing.exceptions import ContractError, SealNotUsable, SigningError
from signing.models import DocumentKind, IssuingAuthority, Seal, SealedDocument, SealUse
from signing.verification import RegistryRecord
from signing.verification_sources import DocumentSource, document_source_register

from . import conf, contract_pdf
from .models import Contract, ContractSeal, ServiceOrder
from .pdf_layout import order_parties
from .services import party_of, service_order_note

logger = logging.getLogger(__name__)

PARTY_FIELDS = {
    ContractSeal.Party.PLATFORM: contract_pdf.CONTRACT_FIELDS[0][0],
    ContractSeal.Party.BUYER: contract_pdf.CONTRACT_FIELDS[1][0],
    ContractSeal.Party.PROVIDER: contract_pdf.CONTRACT_FIELDS[2][0],
}
NEXT_STATUS = {
    ContractSeal.Party.BUYER: Contract.Status.AWAITING_PROVIDER,
    ContractSeal.Party.PROVIDER: Contract.Status.SEALED,
}


def contract_number(service_order) -> str:
    return f"HT-{service_order.order.number}"


def _contract_content(
    service_order, *, number: str, token: str, platform: IssuingAuthority
) -> contract_pdf.ContractContent:
    category = service_order.category
    return contract_pdf.ContractContent(
        number=number,
        order_number=service_order.order.number,
        **order_parties(service_order),
        service=service_order.title,
        service_item=f"{category.name_zh} {category.name}".strip() if category else "",
        project_name=service_order.project_name,
        site_location=service_order.site_location,
        price=f"{service_order.price:,.2f}",
        service_days=service_order.service_days,
        review_days=conf.get("ORDER_AUTO_ACCEPT_DAYS"),
        notes=service_order.notes,
        issued_on=timezone.localdate(),
        platform_name=platform.name,
        platform_name_zh=platform.name_zh,
        verification_url=f"{settings.PUBLIC_BASE_URL}/v/{token}",
        milestones=tuple(
            (stage.name, f"{stage.amount:,.2f}", stage.due_day)
            for stage in service_order.milestones.order_by("position")
        ),
    )


def contract_issue(*, service_order) -> Contract:
    """Render the order's contract and certify it with the platform seal, DocMDP level 2 (later
    parties may fill in their signature fields, nothing else), at the project's PAdES level.

    Idempotent: an order that has a contract gets it back. Raises a :class:`SigningError` (the
    order is untouched) when the platform cannot seal, e.g. before ``init_pki``.
    """
    existing = Contract.objects.filter(service_order=service_order).first()
    if existing is not None:
        return existing
    platform = signing_services.platform_authority()
    signing_services.permit_seal_for(platform)  # no active platform seal: refuse before locking the order
    with transaction.atomic():
        # The row lock makes a retry racing the first attempt wait, then find the contract.
        service_order = (
            ServiceOrder.objects.select_for_update(of=("self",))
            .select_related("order", "enterprise", "provider", "category")
            .get(pk=service_order.pk)
        )
        existing = Contract.objects.filter(service_order=service_order).first()
        if existing is not None:
            return existing
        number = contract_number(service_order)
        contract = Contract(service_order=service_order)
        rendered = contract_pdf.render_contract(
            _contract_content(service_order, number=number, token=contract.token, platform=platform)
        )
        page = rendered.signature_page
        contract.document = signing_services.platform_seal_document(
            document_kind=DocumentKind.SERVICE_CONTRACT,
            document_number=number,
            pdf=rendered.pdf,
            reason=_("Service contract %(number)s, certified by the platform") % {"number": number},
            stamp_box=contract_pdf.CONTRACT_FIELDS[0][1],
            stamp_page=page,
            field_name=PARTY_FIELDS[ContractSeal.Party.PLATFORM],
            docmdp=DOCMDP_FORM_FILLING,
            empty_fields=tuple(
                EmptySignatureField(name=name, box=box, page=page) for name, box in contract_pdf.CONTRACT_FIELDS[1:]
            ),
            log_detail="platform certification",
        )
        contract.save(force_insert=True)
        ContractSeal.objects.create(
            contract=contract,
            party=ContractSeal.Party.PLATFORM,
            seal=contract.document.seal,
            actor=None,
            sealed_at=contract.document.sealed_at,
            sha256=contract.document.sha256,
            size=contract.document.size,
        )
        service_order_note(service_order=service_order, kind="contract_issued", number=number)
    return contract


def contract_party(contract: Contract, user) -> str | None:
    """``buyer`` or ``provider`` when ``user`` acts for that side of the contract's order (staff
    act for neither)."""
    party = party_of(contract.service_order, user)
    return party if party in (ContractSeal.Party.BUYER, ContractSeal.Party.PROVIDER) else None


def party_organisation(service_order, party: str) -> dict:
    """The owner keyword (``enterprise=`` or ``provider=``) of the organisation that seals for
    ``party`` (``buyer`` or ``provider``) on ``service_order``'s contract."""
    if party == ContractSeal.Party.BUYER:
        return {"enterprise": service_order.enterprise}
    return {"provider": service_order.provider}


def _refuse(*, seal: Seal, actor, contract: Contract, detail: str, exc: SigningError):
    """Log a refused contract sealing durably (its own savepoint), then raise ``exc``."""
    signing_services.seal_log_append(
        seal=seal,
        actor=actor,
        document_kind=DocumentKind.SERVICE_CONTRACT,
        document_number=contract.number,
        outcome=SealUse.Outcome.REFUSED,
        detail=detail,
    )
    logger.warning("Contract sealing refused: contract=%s actor=%s reason=%s", contract.pk, actor.pk, detail)
    raise exc


def contract_seal(*, contract: Contract, actor) -> Contract:
    """Apply the acting user's organisation seal to the contract, if it is that side's turn:
    the buyer's enterprise first, then the provider. Each seal is an incremental update of the
    PDF at the project's PAdES level; every version's digest is kept.

    Refusals (not a party, out of turn, already sealed, no grant) are logged in the seal-use log
    before they are raised; like ``permit_issue``, the checks run before the main transaction
    so the refusal entry survives.
    """
    contract = Contract.objects.select_related(
        "document__seal", "service_order__order", "service_order__enterprise", "service_order__provider"
    ).get(pk=contract.pk)
    party = contract_party(contract, actor)
    if party is None:
        _refuse(
            seal=contract.document.seal,
            actor=actor,
            contract=contract,
            detail="not a party to the contract",
            exc=ContractError(_("Only the buyer's and the provider's members may seal this contract.")),
        )
    owner = party_organisation(contract.service_order, party)
    organisation = next(iter(owner.values()))
    seal = signing_services.organisation_seal_for(**owner)
    if seal is None:
        raise SealNotUsable(
            _("%(name)s has no electronic seal yet; an owner of the organisation can create one.")
            % {"name": organisation.name}
        )
    if contract.status == Contract.Status.SEALED or contract.seals.filter(party=party).exists():
        _refuse(
            seal=seal,
            actor=actor,
            contract=contract,
            detail="already sealed",
            exc=ContractError(_("Your organisation has already sealed this contract.")),
        )
    if contract.next_party != party:
        _refuse(
            seal=seal,
            actor=actor,
            contract=contract,
            detail="out of turn",
            exc=ContractError(_("The buyer seals the contract first; the provider seals it after the buyer.")),
        )
    authorisation = signing_services.seal_authorise(
        seal=seal, actor=actor, document_kind=DocumentKind.SERVICE_CONTRACT, document_number=contract.number
    )
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.status != contract.status:
            raise ContractError(_("The contract changed meanwhile; please reload the page."))
        result = signing_services.sealed_document_add_seal(
            authorisation=authorisation,
            document=contract.document,
            field_name=PARTY_FIELDS[party],
            reason=_("Sealed by %(name)s") % {"name": organisation.name},
            log_detail=f"{party} seal",
        )
        ContractSeal.objects.create(
            contract=locked,
            party=party,
            seal=seal,
            actor=actor,
            sealed_at=result.sealed_at,
            sha256=result.sha256,
            size=len(result.pdf),
        )
        locked.status = NEXT_STATUS[party]
        locked.save(update_fields=["status"])
        service_order_note(
            service_order=contract.service_order, kind=f"contract_sealed_{party}", actor=actor, number=contract.number
        )
    return locked


CLOSED_ORDER_STATUSES = ("completed", "cancelled", "refunded")


def contracts_issue_missing(*, include_closed: bool = False) -> tuple[int, list[tuple[str, str]]]:
    """Contracts for orders that have none (the platform could not seal when they were placed).
    Closed orders (completed, cancelled, refunded) only with ``include_closed``: orders finished
    before contracts existed need none. Returns how many were issued and (order number, reason)
    for each that still failed."""
    orders = ServiceOrder.objects.filter(contract__isnull=True).select_related("order").order_by("pk")
    if not include_closed:
        orders = orders.exclude(order__status__in=CLOSED_ORDER_STATUSES)
    issued, failed = 0, []
    for service_order in orders:
        try:
            contract_issue(service_order=service_order)
        except SigningError as exc:
            failed.append((service_order.order.number, str(exc)))
        else:
            issued += 1
    return issued, failed


# --- the registry's view of contracts ------------------------------------------------------------

# A contract copy stands as the contract only once every party has sealed it. An earlier version
# (the platform's certified draft, or with the buyer's seal only) is genuine but "incomplete": the
# verifier answers `indeterminate`, saying whose seal that copy still lacks.
INCOMPLETE_REASON = {
    ContractSeal.Party.PLATFORM: Contract.Status.AWAITING_BUYER,
    ContractSeal.Party.BUYER: Contract.Status.AWAITING_PROVIDER,
}


def contract_record(contract: Contract, version: ContractSeal) -> RegistryRecord:
    """The registry record of one version of a contract (the one ``version`` produced)."""
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


def _record_by_sha256(digests: Sequence[str]) -> RegistryRecord | None:
    # Every contract version is a prefix of the later ones, so a final contract also matches
    # its earlier versions' digests: the longest match is the version this file carries.
    version = ContractSeal.objects.filter(sha256__in=list(digests)).order_by("-size").first()
    if version is None:
        return None
    return contract_record(_contracts().get(pk=version.contract_id), version)


def _record_by_token(token: str) -> RegistryRecord | None:
    contract = _contracts().filter(token=token).first()
    if contract is None:
        return None
    return contract_record(contract, contract.seals.order_by("-size").first())


def _record_of_document(document: SealedDocument) -> RegistryRecord | None:
    contract = _contracts().filter(document=document).first()
    if contract is None:
        return None
    return contract_record(contract, contract.seals.order_by("-size").first())


def verification_source_register(*, landing: Callable) -> None:
    """Let the signing app's registry and QR landing page answer for contracts (AppConfig.ready)."""
    document_source_register(
        DocumentSource(
            kind=DocumentKind.SERVICE_CONTRACT,
            record=_record_of_document,
            find_by_sha256=_record_by_sha256,
            find_by_token=_record_by_token,
            landing=landing,
        )
    )
