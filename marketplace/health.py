"""``/healthz``: is this instance able to serve? For load balancers and monitors.

Each check is small and bounded: the database (and its read replica, if any) answers ``SELECT 1``;
the cache stores and returns a value; the broker accepts a connection (or tasks run eagerly, with no
broker); the key store decrypts the seal CA's key with the configured key-encryption key; the
timestamp authority returns a token for a dummy digest (these two kept 60 seconds once they pass, so
a monitor polling every few seconds does not load the key store or the TSA).
200 when every check passes, 503 otherwise; the body names each check and, for a failure, the kind of
error only — never a path, a key, an address or a secret. Not localised, not cached, no session.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.celery import app as celery_app
from signing import engine
from signing.pki import SEAL_CA, Pki

logger = logging.getLogger(__name__)
# The slow checks (a key decryption, a timestamp) are kept this long once they pass; a failure is
# looked at again on the next request.
SLOW_CHECK_SECONDS = 60


def _database() -> str:
    """The primary and, where one is configured (DATABASE_REPLICA_URL), the read replica."""
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return ", ".join(f"{alias}: {connections[alias].vendor}" for alias in connections)


def _cache() -> str:
    key, value = f"health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)
    return "read and write"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "no broker: tasks run in the web process"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "reachable"


def _kept(name: str, check) -> str:
    key = f"health:{name}"
    result = cache.get(key)
    if result is None:
        result = check()
        cache.set(key, result, SLOW_CHECK_SECONDS)
    return result


def _key_store() -> str:
    return _kept("key_store", _decrypt_a_key)


def _decrypt_a_key() -> str:
    pki = Pki.default()
    if not pki.exists():
        raise RuntimeError("no PKI: run init_pki")
    pki.keys.load_private_key(f"{SEAL_CA}.key.enc")  # the key-encryption key opens the seal CA's key
    return "keys decrypt"


def _tsa() -> str:
    return _kept("tsa", _timestamp)


def _timestamp() -> str:
    stamper = engine.timestamper_from_settings(Pki.default())
    digest = hashlib.sha256(b"onewindow health check").digest()
    asyncio.run(stamper.async_timestamp(digest, "sha256"))
    return "remote TSA answers" if settings.SIGNING_TSA_URL else "local TSA answers"


CHECKS = {"database": _database, "cache": _cache, "broker": _broker, "key_store": _key_store, "tsa": _tsa}


@never_cache
@require_GET
def healthz(request):
    results, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
        except Exception as error:  # any failure is a finding, reported by kind only
            logger.warning("health check %s failed: %s", name, error)
            results[name] = {"ok": False, "error": type(error).__name__}
            healthy = False
        else:
            results[name] = {"ok": True, "detail": detail}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": results}, status=200 if healthy else 503)
