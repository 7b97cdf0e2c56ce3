"""Stripe's idempotent requests (https://docs.stripe.com/api/idempotent_requests) for localstripe.

The rules kept, as Stripe documents them:

- A ``POST`` with an ``Idempotency-Key`` header has its status code and body saved once the endpoint
  has begun executing, whether it succeeded or failed (a 500 included); a later request with the same
  key and the same parameters gets that saved answer back, with ``Idempotent-Replayed: true``.
- The same key with other parameters (or on another endpoint) is refused: 400 ``idempotency_error``.
- A request that fails validation has not begun executing, so nothing is saved and it may be retried.
  In localstripe every 400 and 404 is raised before any object is stored ("All exceptions must be
  raised before this point"), so those are the statuses not saved (401 never reaches an endpoint).
- A second request arriving while the first with its key is still executing gets 409
  ``idempotency_error`` (code ``idempotency_key_in_use``) and is not saved either.
- Keys are pruned once they are 24 hours old; after that the key starts a new request.
- ``GET`` and ``DELETE`` ignore the header. Keys are scoped to the secret key (and ``Stripe-Account``).
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
TTL_SECONDS = 24 * 60 * 60
# Raised before the endpoint runs in localstripe: nothing happened, so nothing is saved.
NOT_SAVED = frozenset({400, 401, 404, 405, 409})

Scope = tuple[str, str, str]  # (secret key, Stripe-Account, Idempotency-Key)


@dataclass(frozen=True)
class Saved:
    fingerprint: str
    status: int
    body: bytes
    at: float


@dataclass
class IdempotencyStore:
    """Saved answers and keys in flight; ``clock`` is injectable so expiry can be tested."""

    clock: Callable[[], float] = time.time
    ttl: float = TTL_SECONDS
    saved: dict[Scope, Saved] = field(default_factory=dict)
    in_flight: set[Scope] = field(default_factory=set)

    def lookup(self, scope: Scope) -> Saved | None:
        self.prune()
        return self.saved.get(scope)

    def save(self, scope: Scope, *, fingerprint: str, status: int, body: bytes) -> None:
        self.saved[scope] = Saved(fingerprint=fingerprint, status=status, body=body, at=self.clock())

    def prune(self) -> None:
        oldest = self.clock() - self.ttl
        for scope in [scope for scope, saved in self.saved.items() if saved.at <= oldest]:
            del self.saved[scope]

    def clear(self) -> None:
        self.saved.clear()


def error_response(status: int, message: str, *, code: str | None = None) -> web.Response:
    # localstripe's UserError always says invalid_request_error; these are Stripe's idempotency errors.
    error = {"type": "idempotency_error", "message": message}
    if code:
        error["code"] = code
    return web.json_response({"error": error}, status=status)


def _mismatch(key: str) -> web.Response:
    return error_response(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
    )


def _in_use(key: str) -> web.Response:
    return error_response(
        409,
        "There is currently another in-progress request using this Idempotent Key (that probably means you "
        f"submitted twice, and the other request is still going through): {key}. Please try again later.",
        code="idempotency_key_in_use",
    )


async def _fingerprint(request: web.Request) -> str:
    from localstripe.server import get_post_data

    data = await get_post_data(request, remove_auth=False) or {}
    canonical = json.dumps(data, sort_keys=True, default=str)
    return f"{request.method} {request.path}?{request.query_string} {canonical}"


def middleware(store: IdempotencyStore):
    """The aiohttp middleware; it must be the outermost, so it sees the answer localstripe sends."""
    from localstripe.server import get_api_key

    @web.middleware
    async def idempotency(request: web.Request, handler):
        if request.method == "DELETE" and request.path == "/_config/data":
            store.clear()  # localstripe forgets every object: a replay would name ones that are gone
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return await handler(request)
        try:
            api_key = get_api_key(request)
        except (UnboundLocalError, ValueError, UnicodeDecodeError):  # a malformed Authorization header
            api_key = None
        if api_key is None:
            return await handler(request)  # localstripe's auth middleware answers 401
        if not key or len(key) > MAX_KEY_LENGTH:
            return web.json_response(
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": f"Idempotency keys must be 1 to {MAX_KEY_LENGTH} characters long.",
                    }
                },
                status=400,
            )
        scope = (api_key, request.headers.get("Stripe-Account", ""), key)
        if scope in store.in_flight:
            return _in_use(key)
        saved = store.lookup(scope)
        if saved is not None:
            if await _fingerprint(request) != saved.fingerprint:
                return _mismatch(key)
            return web.Response(
                body=saved.body,
                status=saved.status,
                content_type="application/json",
                headers={HEADER: key, "Idempotent-Replayed": "true"},
            )
        store.in_flight.add(scope)
        try:
            # Read the body only once the key is marked: a slow upload holds the key, as on Stripe.
            fingerprint = await _fingerprint(request)
            try:
                response = await handler(request)
            except web.HTTPException:
                raise  # aiohttp's own 404/405 for an unknown route: no endpoint ran
            except Exception:
                # Stripe saves and replays a 500 too, so a localstripe crash becomes a saved api_error.
                logger.exception("devstripe: %s %s failed", request.method, request.path)
                response = web.json_response(
                    {"error": {"type": "api_error", "message": "An unknown error occurred"}}, status=500
                )
            if response.status not in NOT_SAVED and isinstance(response, web.Response):
                store.save(scope, fingerprint=fingerprint, status=response.status, body=response.body)
            response.headers[HEADER] = key
            return response
        finally:
            store.in_flight.discard(scope)

    return idempotency
