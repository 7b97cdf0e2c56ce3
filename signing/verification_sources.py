"""The platform's own trust anchors and registry for the verifier.

Until the platform's PKI and permit registry exist (the e-seals part), the platform trusts no
root and knows no document, so every upload is at best ``untrusted`` or ``indeterminate``:
failing closed, never ``valid``.
"""

from __future__ import annotations

from .verification import PermitRegistry, RegistryRecord, TrustAnchors


class EmptyRegistry:
    def find_by_sha256(self, digests) -> RegistryRecord | None:
        return None

    def find_by_number(self, number: str, code: str) -> RegistryRecord | None:
        return None

    def find_by_token(self, token: str) -> RegistryRecord | None:
        return None


def platform_sources() -> tuple[TrustAnchors, PermitRegistry]:
    return TrustAnchors(roots=()), EmptyRegistry()
