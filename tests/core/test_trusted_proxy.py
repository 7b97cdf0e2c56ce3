"""Behind a reverse proxy every request comes from the proxy's address; with TRUSTED_PROXY_COUNT the
client's own address (as the proxy wrote it) is what login throttling and rate limits count, and an
address a client forged further left in X-Forwarded-For is not believed."""

import pytest
from django.test import RequestFactory

from marketplace.core.middleware import TrustedProxyMiddleware
from signing.ratelimit import client_address


def seen(settings, hops: int, forwarded: str | None) -> str:
    settings.TRUSTED_PROXY_COUNT = hops
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", **extra)
    return TrustedProxyMiddleware(lambda request: client_address(request))(request)


@pytest.mark.parametrize(
    ("hops", "forwarded", "address"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the header is a client's claim
        (1, "203.0.113.9", "203.0.113.9"),  # nginx appended the client
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged entry on the left is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),  # two proxies
        (1, None, "127.0.0.1"),  # no header: the address stands
        (2, "203.0.113.9", "127.0.0.1"),  # fewer entries than proxies: not believed
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxy_wrote(settings, hops, forwarded, address):
    assert seen(settings, hops, forwarded) == address


def test_two_clients_behind_the_proxy_have_their_own_rate_limit(settings, client, db):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    first = [client.get("/api/search/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code for _ in range(3)]
    other = client.get("/api/search/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code
    assert first == [200, 200, 429] and other == 200
