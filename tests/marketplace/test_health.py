"""/healthz for load balancers: 200 when the database, cache, broker, key store and TSA all work;
503 naming the failing check (by error kind only, never a secret or a path) when one does not."""

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from marketplace import health
from marketplace.core.middleware import RequestLogMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()  # the slow checks keep a pass for a minute


def test_every_check_passes_in_the_embedded_default(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "key_store", "tsa"}
    assert all(check["ok"] for check in body["checks"].values())
    assert client.get("/zh-hans/healthz").status_code == 404  # one address, whatever the language


def test_a_database_that_fails_is_a_503_naming_it(client, monkeypatch):
    def down():
        raise OperationalError("could not connect to server at 10.0.0.5:5432, password=hunter2")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }
    assert "hunter2" not in response.content.decode() and "10.0.0.5" not in response.content.decode()
    assert body["checks"]["cache"]["ok"]


def test_an_unreachable_broker_fails_in_seconds(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from marketplace.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL
    assert response.status_code == 503 and not response.json()["checks"]["broker"]["ok"]
    assert response.json()["checks"]["broker"]["ms"] < 10_000


def test_a_wrong_key_encryption_key_fails_the_key_store(client, settings):
    settings.SEAL_KEY_ENCRYPTION_KEY = "A" * 43 + "="  # a valid key, not the one the keys were stored with
    response = client.get("/healthz")
    assert response.status_code == 503 and not response.json()["checks"]["key_store"]["ok"]
    assert settings.SEAL_KEY_ENCRYPTION_KEY not in response.content.decode()


def test_an_unreachable_tsa_fails_and_a_pass_is_kept_a_minute(client, settings):
    settings.SIGNING_TSA_URL = "http://127.0.0.1:1/tsa"
    settings.SIGNING_TSA_TIMEOUT = 2
    response = client.get("/healthz")
    assert response.status_code == 503 and not response.json()["checks"]["tsa"]["ok"]
    settings.SIGNING_TSA_URL = ""
    assert client.get("/healthz").status_code == 200
    settings.SIGNING_TSA_URL = "http://127.0.0.1:1/tsa"
    assert client.get("/healthz").json()["checks"]["tsa"]["detail"] == "local TSA answers"  # kept


def test_json_logs_carry_one_line_per_request_without_the_query_string(client, caplog):
    """The middleware is installed by settings only with LOG_FORMAT=json; here it is called directly."""
    request = RequestFactory().get("/v/secret-token?code=123456")
    with caplog.at_level("INFO", logger="onewindow.requests"):
        RequestLogMiddleware(lambda r: HttpResponse(status=404))(request)
    (record,) = caplog.records
    assert (record.method, record.path, record.status) == ("GET", "/v/secret-token", 404)
    assert record.duration_ms >= 0 and "123456" not in record.getMessage()
