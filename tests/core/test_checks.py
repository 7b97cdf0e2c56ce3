"""System checks: settings that work one by one but not together (marketplace/core/checks.py)."""

from marketplace.core.checks import workers_share_the_cache


def test_a_broker_with_a_per_process_cache_is_warned_about(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    (warning,) = workers_share_the_cache()
    assert warning.id == "core.W001" and "CACHE_URL" in warning.hint


def test_a_shared_cache_or_no_broker_is_fine(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert workers_share_the_cache() == []
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: tasks run in the web process
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert workers_share_the_cache() == []
