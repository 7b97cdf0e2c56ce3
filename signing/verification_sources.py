"""The platform's own trust anchors and registry of sealed documents, as the verifier sees them.

Permits and verification reports are the signing app's own; other kinds are vouched for by the
app that issues them, through a registered :class:`DocumentSource`."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare

from translog import services as translog
from translog.models import LogLeaf

from .models import DocumentKind, Permit, SealedDocument, normalize_verification_code
from .pki import Pki
from .verification import PermitRegistry, RegistryRecord, TrustAnchors, analyse_pdf
from .verification.report import CITATION_CHECKS

logger = logging.getLogger(__name__)

# How long a cited document's check is remembered: its kept bytes never change, only the trust in
# its seal certificate can (a revocation), so a verifier may learn of that this much later.
CITATION_CHECK_SECONDS = 600


def cited_document_check(citation: dict, *, trust: TrustAnchors | None) -> str:
    """Whether the kept document a citation names is genuine: in the registry under that SHA-256,
    its stored bytes still hashing to it, and every seal on it verifying against ``trust``."""
    sha256 = citation.get("sha256", "")
    key = f"signing:cited:{citation.get('kind')}:{sha256}"
    if trust is not None and (known := cache.get(key)) is not None:
        return known
    document = SealedDocument.objects.filter(kind=citation.get("kind"), sha256=sha256).first()
    if document is None:
        check = "not_found"
    else:
        data = bytes(document.pdf)
        if hashlib.sha256(data).hexdigest() != sha256:
            check = "altered"
        elif trust is None:
            check = "seal_invalid"
        else:
            analysis = analyse_pdf(data, trust=trust, max_bytes=len(data) + 1, issued_sha256=sha256)
            check = "genuine" if analysis.verdict is None else "seal_invalid"
    if check != "genuine":
        logger.warning("A cited %s (%s) is not confirmed: %s", citation.get("kind"), sha256, check)
    if trust is not None:  # a check without trust anchors confirms nothing and must not be remembered
        cache.set(key, check, CITATION_CHECK_SECONDS)
    return check


def _checked_citations(citations, *, trust: TrustAnchors | None) -> tuple:
    checked = []
    for cited in citations:
        if cited.get("kind"):
            check = cited_document_check(cited, trust=trust)
            cited = {**cited, "check": check, "check_label": CITATION_CHECKS[check]}
        checked.append(cited)
    return tuple(checked)


def _record(permit: Permit, *, trust: TrustAnchors | None = None) -> RegistryRecord:
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
        citations=_checked_citations(permit.citations, trust=trust),
    )


def document_record(document: SealedDocument, *, status: str, holder: str, reason: str = "") -> RegistryRecord:
    """The registry record of a kept platform-sealed document, its standing given by the caller."""
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


@dataclass(frozen=True)
class DocumentSource:
    """How an app above signing vouches for a kind of document it had sealed (a provider's
    certificate, a service contract): the registry asks it, and so knows nothing of providers or
    orders. Registered from that app's ``AppConfig.ready``; a kind nobody registered is not
    vouched for.

    ``record`` judges a kept document of the kind; ``find_by_sha256`` is asked first, for versions
    of a document that are not kept whole (a contract before its last seal); ``find_by_token``
    answers a QR code; ``landing`` is the public page behind that QR code (None: not ours);
    ``not_in_force`` lists the kind's documents that are suspended or revoked, as (number, status,
    since), for the offline trust list.
    """

    kind: str
    record: Callable[[SealedDocument], RegistryRecord | None]
    find_by_sha256: Callable[[Sequence[str]], RegistryRecord | None] | None = None
    find_by_token: Callable[[str], RegistryRecord | None] | None = None
    landing: Callable[[HttpRequest, str], HttpResponse | None] | None = None
    not_in_force: Callable[[], Iterable[tuple[str, str, dt.datetime]]] | None = None


_SOURCES: dict[str, DocumentSource] = {}


def document_source_register(source: DocumentSource) -> None:
    _SOURCES[source.kind] = source


def document_sources() -> tuple[DocumentSource, ...]:
    return tuple(_SOURCES.values())


def log_proof_for(sha256: str) -> dict | None:
    """The sealed document's leaf in the transparency log, its inclusion proof and the signed head it
    is proven against (the latest head that covers it); None until a head covers it."""
    leaf = LogLeaf.objects.filter(kind="sealed_document", source__endswith=f":{sha256}").order_by("index").first()
    head = translog.head_covering(leaf.index) if leaf is not None else None
    if head is None:
        return None
    return {
        "leaf": {"index": leaf.index, "leaf_hash": leaf.leaf_hash, "data": leaf.data},
        "inclusion": translog.inclusion_proof(leaf=leaf, tree_size=head.tree_size).as_json(),
        "head": head.as_json(),
    }


def _with_log_proof(record: RegistryRecord | None) -> RegistryRecord | None:
    if record is None or not record.sha256:
        return record
    return replace(record, log_proof=log_proof_for(record.sha256))


class DatabaseRegistry:
    """Issued permits, looked up the three ways a verifier can reach them; each record carries the
    issued file's inclusion proof in the transparency log, and each document a permit cites that the
    platform keeps is checked against ``trust`` (without it, none is confirmed)."""

    def __init__(self, trust: TrustAnchors | None = None):
        self.trust = trust

    def _permits(self):
        return Permit.objects.select_related("holder", "authority")

    def find_by_sha256(self, digests: Sequence[str]) -> RegistryRecord | None:
        return _with_log_proof(self._find_by_sha256(digests))

    def find_by_number(self, number: str, code: str) -> RegistryRecord | None:
        return _with_log_proof(self._find_by_number(number, code))

    def find_by_token(self, token: str) -> RegistryRecord | None:
        return _with_log_proof(self._find_by_token(token))

    def _find_by_sha256(self, digests: Sequence[str]) -> RegistryRecord | None:
        """Any document the platform sealed and kept: a permit, a provider's certificate, a
        verification report, any version of a service contract. Each kind's standing comes from
        what it certifies."""
        for source in document_sources():
            if source.find_by_sha256 is not None and (record := source.find_by_sha256(digests)) is not None:
                return record
        documents = {
            document.sha256: document
            for document in SealedDocument.objects.select_related("seal__authority").filter(sha256__in=list(digests))
        }
        document = next((documents[digest] for digest in digests if digest in documents), None)
        if document is None:
            return None
        if document.kind == DocumentKind.PERMIT:
            return _record(self._permits().get(document=document), trust=self.trust)
        if document.kind == DocumentKind.VERIFICATION_REPORT:
            return document_record(document, status="valid", holder="")
        source = _SOURCES.get(document.kind)
        # A kind nobody vouches for is not vouched for.
        return source.record(document) if source is not None else None

    def _find_by_number(self, number: str, code: str) -> RegistryRecord | None:
        permit = self._permits().filter(number=number).first()
        if permit is None or not constant_time_compare(permit.verification_code, normalize_verification_code(code)):
            return None
        return _record(permit, trust=self.trust)

    def _find_by_token(self, token: str) -> RegistryRecord | None:
        permit = self._permits().filter(token=token).first()
        if permit is not None:
            return _record(permit, trust=self.trust)
        for source in document_sources():
            if source.find_by_token is not None and (record := source.find_by_token(token)) is not None:
                return record
        return None


def platform_sources() -> tuple[TrustAnchors, PermitRegistry]:
    """The platform root (and its CRLs) as the only trust anchor; before ``init_pki`` has run the
    platform trusts nothing, so nothing verifies as valid."""
    pki = Pki.default()
    if not pki.exists():
        return TrustAnchors(roots=()), DatabaseRegistry()
    trust = TrustAnchors(roots=(pki.root(),), crls=tuple(pki.crls()), intermediates=(pki.seal_ca(),))
    return trust, DatabaseRegistry(trust)
