"""The platform's verifier: the verification engine wired to the platform's trust and registry.

Views, the API and the ``verify_pdf`` command all call these functions, so they behave alike.
Where trust anchors and the registry come from is a setting (``VERIFICATION_SOURCES``, a dotted
path to a callable returning ``(TrustAnchors, PermitRegistry)``), so tests and other deployments
can supply their own.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .isolation import ResourceLimits
from .verification import PermitRegistry, RegistryRecord, TrustAnchors, VerificationReport, verify_pdf


def verification_sources() -> tuple[TrustAnchors, PermitRegistry]:
    return import_string(settings.VERIFICATION_SOURCES)()


def resource_limits() -> ResourceLimits | None:
    if not settings.VERIFY_ISOLATE:
        return None
    return ResourceLimits(
        seconds=settings.VERIFY_TIME_LIMIT_SECONDS, memory_bytes=settings.VERIFY_MEMORY_LIMIT_MB * 1024 * 1024
    )


def verify_document(data: bytes) -> VerificationReport:
    trust, registry = verification_sources()
    return verify_pdf(
        data, trust=trust, registry=registry, max_bytes=settings.VERIFY_MAX_UPLOAD_BYTES, limits=resource_limits()
    )


def lookup_by_number(number: str, code: str) -> RegistryRecord | None:
    number, code = number.strip().upper(), code.strip().upper()
    if not number or not code:
        return None
    return verification_sources()[1].find_by_number(number, code)


def lookup_by_token(token: str) -> RegistryRecord | None:
    return verification_sources()[1].find_by_token(token) if token else None
