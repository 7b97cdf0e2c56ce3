"""The verification API: ``POST /api/verify/`` (a sealed PDF in, the verdict and its detail out),
``GET /api/permits/<token>/`` (the registry's record behind a QR code) and the signed trust list
for offline verifiers, described in the public API's schema (``marketplace/public_api.py``).
No account needed; nothing uploaded is kept.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Path, Schema
from pydantic import Field

from marketplace.core.api_common import ApiRouter, error_response, errors
from translog.schemas import DocumentLogProof

from . import ratelimit, trust_list, verifier
from .exceptions import SigningError
from .portal import RATE_SCOPE, rate_message, size_message, too_large
from .verification import record_as_dict, report_as_dict

router = ApiRouter(tags=["Verification"])

# The request body of POST /api/verify/: read by the endpoint itself, after it has refused an
# oversized upload by its Content-Length, so that such a file is never parsed (not a ninja File param).
PDF_UPLOAD = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "contentMediaType": "application/pdf",
                            "description": "The sealed PDF (at most VERIFY_MAX_UPLOAD_BYTES, 20 MB by default).",
                        }
                    },
                }
            }
        },
    }
}


class Citation(Schema):
    label: str
    sha256: str
    kind: str | None = Field(None, description="For a document the platform keeps: its kind.")
    check: str | None = Field(None, description="What the registry found when it checked that document.")
    check_label: str | None = None


class AttestedFile(Schema):
    name: str
    size: int
    sha256: str


class PermitRecord(Schema):
    """The registry's record of an issued document (never its verification token)."""

    number: str
    kind: str
    status: str = Field(description="`valid`, `suspended`, `revoked`, `expired` or `incomplete`.")
    status_reason: str
    holder: str
    issuer: str
    valid_from: date | None
    valid_until: date | None
    sha256: str = Field(description="SHA-256 of the issued file, hex.")
    relies_on: list[Citation] = Field(description="The documents it was issued on (a permit from an approval case).")
    files: list[AttestedFile] = Field(description="The files it attests (a delivery note).")
    transparency_log: DocumentLogProof | None = Field(
        description="The issued file's record in the transparency log, with its inclusion proof and signed head; "
        "null until a signed head covers it."
    )


class DocumentFacts(Schema):
    sha256: str
    size: int
    pages: int | None


class Change(Schema):
    code: str
    revision: int | None = Field(description="The revision that changed it; the original document is 1.")
    objects: list[str]
    keys: list[str]
    size: int | None


class SealCheck(Schema):
    """One signature or document timestamp, in the ETSI EN 319 102-1 vocabulary."""

    field_name: str
    kind: str = Field(description="`seal` or `document_timestamp`.")
    signer: str
    organisation: str
    certificate_chain: list[str]
    signing_time: datetime | None
    timestamp_time: datetime | None
    pades_level: str | None
    indication: str = Field(description="`TOTAL_PASSED`, `TOTAL_FAILED` or `INDETERMINATE`.")
    sub_indication: str | None
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    coverage: str | None
    modification_level: str | None
    certification: str | None = Field(description="The DocMDP permission of a certification signature, else null.")
    docmdp_ok: bool | None


class VerificationReport(Schema):
    verdict: str = Field(
        description="`valid`, `revoked`, `suspended`, `expired`, `tampered`, `untrusted`, `not_sealed`, "
        "`unreadable` or `indeterminate` (README, Verification)."
    )
    label: str
    reason: str
    message: str
    checked_at: datetime
    document: DocumentFacts
    matches_issued_document: bool | None
    change: Change | None = Field(description="Where the file differs from the one issued, if it does.")
    detail: str
    permit: PermitRecord | None
    signatures: list[SealCheck]


class SignedTrustList(Schema):
    """The list (JSON, base64url in ``payload``) signed with ES256 as raw r||s, which WebCrypto checks as it is."""

    payload: str
    signature: str
    certificate: str = Field(description="The signer's certificate (DER, base64url).")
    chain: list[str] = Field(description="The CA certificates up to, not including, the platform root.")


@router.post(
    "/api/verify/",
    url_name="api-verify",
    summary="Verify a sealed PDF",
    response={200: VerificationReport, **errors(400, 413, 429)},
    openapi_extra=PDF_UPLOAD,
)
@transaction.non_atomic_requests  # verification only reads; a transaction held open during it would only block
def verify(request):
    """Send the PDF as the multipart field `file`. The answer is 200 whatever the verdict; `verdict`
    says whether the document stands. Besides the API-wide limit, each address has
    `VERIFY_RATE_LIMIT_PER_MINUTE` verifications a minute (30 by default), shared with the portal page."""
    if too_large(request):
        return error_response("too_large", size_message(), 413)
    retry_after = ratelimit.hit(request, scope=RATE_SCOPE, limit=settings.VERIFY_RATE_LIMIT_PER_MINUTE)
    if retry_after:
        response = error_response("rate_limited", rate_message(retry_after), 429)
        response["Retry-After"] = str(retry_after)
        return response
    upload = request.FILES.get("file")
    if upload is None:
        return error_response("missing_file", _("Send the PDF as the multipart form field 'file'."), 400)
    if upload.size > settings.VERIFY_MAX_UPLOAD_BYTES:
        return error_response("too_large", size_message(), 413)
    report = verifier.verify_document(upload.read())
    return JsonResponse(report_as_dict(report))


@router.get(
    "/api/permits/{token}/",
    url_name="api-permit",
    summary="Look up a permit by its verification token",
    response={200: PermitRecord, **errors(404)},
)
def permit(request, token: str = Path(description="The token in the permit's QR code (`/v/<token>`).")):
    record = verifier.lookup_by_token(token)
    if record is None:
        return error_response("not_found", _("No permit has this verification token."), 404)
    return JsonResponse(record_as_dict(record))


@router.get(
    "/.well-known/onewindow-trust-list.json",
    url_name="trust-list",
    summary="The signed trust list for offline verifiers",
    response={200: SignedTrustList, **errors(503)},
)
def signed_trust_list(request):
    """Every issuer's document-signing key and every suspended or revoked document, signed by the
    platform; remade hourly and on every change. Cacheable for five minutes, readable from any origin."""
    try:
        signed = trust_list.trust_list_current()
    except SigningError as error:  # before init_pki there is nothing to sign with
        return error_response("unavailable", str(error), 503)
    response = JsonResponse(signed)
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
