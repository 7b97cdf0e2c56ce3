from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "marketplace.core"
    label = "core"
    verbose_name = _("OneWindow core")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in

        # Daily at 08:00 (settings.TIME_ZONE): the notification digests (manage.py send_digests).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "core-notification-digests", {"task": "core.notification_digests", "schedule": crontab(hour=8, minute=0)}
        )
        user_logged_in.connect(_remember_language, dispatch_uid="core-remember-language")
        from . import checks, table_versions  # noqa: F401 - checks registers itself

        table_versions.connect()


def _remember_language(sender, request, user, **kwargs):
    """Until a person chooses the language of their emails, it is the one they first log in with; and
    the header's unread count is ready for the first page."""
    from .models import PersonalSettings
    from .notify import unread_count_refresh

    unread_count_refresh(user)
    language = getattr(request, "LANGUAGE_CODE", "") if request is not None else ""
    if language in ("en", "zh-hans"):
        PersonalSettings.objects.get_or_create(user=user, defaults={"language": language})
