"""The offline verifier in the browser (``/verify/scan/``): a page that, once opened, keeps working
with no network. Its service worker keeps the page, its scripts (the vendored QR decoder and CBOR
reader) and the latest trust list; the page decodes a signed code from a picture, the camera or
pasted text and checks it with WebCrypto, in the same steps as ``signing.qr_payload.verify``.

Where its trust comes from: the trust list is the one this site served (over HTTPS in production)
when the page was last online; the page checks that the list is signed by the platform key the list
itself names. The command line (``verify_qr``) also checks that key's chain to the pinned root.
"""

from __future__ import annotations

import hashlib
import json

from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .exceptions import SigningError
from .services.sealing import platform_authority

# What the page needs offline besides itself and the trust list (static names; the storage maps them
# to their hashed URLs in production).
ASSETS = (
    "oscar/css/styles.css",
    "css/onewindow.css",
    "img/favicon.svg",
    "js/site-menu.js",
    "oscar/js/jquery/jquery.min.js",
    "oscar/js/bootstrap4/bootstrap.bundle.min.js",
    "oscar/js/oscar/ui.js",
    "vendor/cbor-x/cbor-x.min.js",
    "vendor/zxing-wasm/zxing-reader.js",
    "vendor/zxing-wasm/zxing_reader.wasm",
    "js/offline-verify.js",
)


def _messages() -> dict[str, str]:
    """Every sentence the script shows, in the page's language (the page works without the network,
    so without the JavaScript catalogue)."""
    return {
        "valid": _("Genuine: signed by the issuer the trust list names, and in force."),
        "revoked": _("Revoked: the signature is genuine, but the document has been revoked."),
        "suspended": _("Suspended: the signature is genuine, but the document is suspended."),
        "expired": _("Expired: the signature is genuine, but the document's validity has ended."),
        "code_expired": _(
            "This on-screen code has expired: it was made for a few minutes only. Ask the holder to show a new one."
        ),
        "tampered": _("Not genuine: the code was changed after it was signed, or signed for another issuer."),
        "unknown_key": _(
            "Not checkable: its key is not in the trust list (unknown, or withdrawn). Refresh the list online."
        ),
        "signer_expired": _("Not genuine: it was signed outside its key's period of validity."),
        "unreadable": _("This is not a OneWindow signed code, or it is damaged."),
        "link_only": _(
            "This is the code that links to the online record. For the offline check, scan the code marked "
            "“Offline” beside it."
        ),
        "no_code": _("No QR code found in this picture. Try a sharper or closer picture."),
        "no_list": _("No trust list yet: open this page once with a network connection."),
        "list_age": _("Trust list made %(age)s ago (%(made)s)."),
        "list_overdue": _("The trust list is older than its next update was due: go online to refresh it."),
        "list_bad": _("The stored trust list is not signed by the platform: it is not used."),
        "offline_ready": _("Ready to work offline on this device."),
        "offline_unsupported": _("This browser cannot keep the page for offline use; it works while online."),
        "camera_unavailable": _("The camera is not available here: read a picture instead."),
        "camera_stop": _("Stop the camera"),
        "camera_start": _("Use the camera"),
        "reading": _("Reading…"),
        "kind_permit": _("Permit"),
        "kind_provider_certificate": _("Provider certificate"),
        "kind_delivery_note": _("Delivery note"),
        "minutes": _("%(n)s min"),
        "hours": _("%(n)s h"),
        "days": _("%(n)s days"),
        "since": _("since %(date)s"),
        "no_digest": _(
            "This printed code does not carry the file's SHA-256 (a file cannot hold its own digest): it vouches "
            "for what it says, not for a file in hand."
        ),
    }


def _urls(request) -> dict:
    return {
        "page": request.path,
        "trust_list": reverse("signing:trust-list"),
        "assets": [staticfiles_storage.url(name) for name in ASSETS],
        "wasm": staticfiles_storage.url("vendor/zxing-wasm/zxing_reader.wasm"),
    }


# Both only read (the platform's code, the asset names), so neither opens the request-wide transaction
# ATOMIC_REQUESTS would: a browser asks for the page and, at the same moment, its service worker's
# script (the update check on every visit), and neither needs a savepoint to do it.
@transaction.non_atomic_requests
@require_GET
def scan_page(request):
    try:
        platform_code = platform_authority().code
    except SigningError:  # before init_pki: the page still loads and says there is no list
        platform_code = ""
    urls = _urls(request)
    response = render(
        request,
        "signing/scan.html",
        {"scan_messages": _messages(), "scan_urls": urls, "platform_code": platform_code},
    )
    response["Cache-Control"] = "no-cache"  # the service worker keeps it; the browser asks again online
    return response


@transaction.non_atomic_requests
@require_GET
def scan_service_worker(request):
    """The page's service worker, at the page's own path so its scope is the page (one per language).
    Its cache is named after what it keeps, so a new release replaces the old cache."""
    page = reverse("signing:verify-scan")
    urls = {"page": page, "trust_list": reverse("signing:trust-list"), "assets": _urls(request)["assets"]}
    version = hashlib.sha256(json.dumps(urls, sort_keys=True).encode()).hexdigest()[:12]
    prefix = f"ow-scan-{get_language()}-"
    script = render(
        request,
        "signing/scan_sw.js",
        {"urls": json.dumps(urls), "cache_name": json.dumps(prefix + version), "cache_prefix": json.dumps(prefix)},
        content_type="text/javascript; charset=utf-8",
    )
    script["Cache-Control"] = "no-cache"  # browsers check for a new worker on every visit
    return script
