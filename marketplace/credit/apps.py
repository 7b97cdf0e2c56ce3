from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "marketplace.credit"
    label = "credit"
    verbose_name = _("Credit records")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        from . import signals

        # The one trigger of recomputation: the apps below report what happened as model events.
        signals.connect()
        # Nightly: inputs older than CREDIT_WINDOW_DAYS leave the score even when nothing new happens.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "credit-recompute", {"task": "credit.recompute_credit", "schedule": crontab(hour=3, minute=30)}
        )
