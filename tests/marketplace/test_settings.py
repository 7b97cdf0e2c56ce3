"""Settings read the environment; production refuses insecure defaults and passes the deploy check.

These start fresh interpreters, because settings are read once per process.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": "x7!q2-production-like-secret-key-that-is-long-enough-for-check-deploy-0123456789",
    "ALLOWED_HOSTS": "onewindow.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://onewindow.example.gov.cn",
    "PUBLIC_BASE_URL": "https://onewindow.example.gov.cn",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_like_signing_secret_0123456789",
}


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DATABASE_URL"}
    clean_env.update(env, DJANGO_SETTINGS_MODULE="marketplace.settings")
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=PROJECT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_embedded_default_needs_nothing_installed():
    result = run_django(
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER,"
        " settings.SEARCH_BACKEND, settings.EMAIL_BACKEND, settings.DEBUG)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "database",
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]


def test_production_refuses_the_public_development_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_django("print('started')", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_the_public_development_webhook_secret():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "STRIPE_WEBHOOK_SECRET"}
    result = run_django("print('started')", **env)
    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET must be set" in result.stderr
    assert "started" not in result.stdout


def test_production_switches_on_secure_cookies_hsts_and_ssl_redirect():
    result = run_django(
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT,"
        " settings.SECURE_HSTS_SECONDS > 0, settings.CSRF_TRUSTED_ORIGINS)",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "['https://onewindow.example.gov.cn']"]


def test_environment_chooses_database_broker_and_search():
    result = run_django(
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], settings.CELERY_TASK_ALWAYS_EAGER,"
        " settings.SEARCH_BACKEND, settings.ELASTICSEARCH_URL)",
        DATABASE_URL="postgres://app@db.internal:5432/onewindow",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        SEARCH_BACKEND="elasticsearch",
        ELASTICSEARCH_URL="http://es.internal:9200",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "onewindow",
        "False",
        "elasticsearch",
        "http://es.internal:9200",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SEARCH_BACKEND": "solr"}, "SEARCH_BACKEND must be"),
        ({"SEARCH_BACKEND": "elasticsearch"}, "needs ELASTICSEARCH_URL"),
    ],
)
def test_misconfigured_search_stops_at_start_up(env, message):
    result = run_django("print('started')", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_deploy_check_is_clean_with_production_variables():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(PRODUCTION_ENV)
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_tests_send_email_to_memory(settings):
    # pytest-django swaps in the locmem backend, so no test can email a real person.
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
