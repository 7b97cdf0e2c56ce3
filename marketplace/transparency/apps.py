from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransparencyConfig(AppConfig):
    name = "marketplace.transparency"
    label = "transparency"
    verbose_name = _("Transparency and statistics")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        from . import log_sources

        log_sources.connect()

        # Hourly: recompute the public market statistics (the page shows when they were computed).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "transparency-refresh-stats", {"task": "transparency.refresh_stats", "schedule": crontab(minute=40)}
        )
        # Daily, once the day is over (CELERY_TIMEZONE, Asia/Shanghai): the day's OCDS release package.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "transparency-ocds-daily-packages",
            {"task": "transparency.ocds_daily_packages", "schedule": crontab(hour=0, minute=20)},
        )
