from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "marketplace.procurement"
    label = "procurement"
    verbose_name = _("Requests for quotes")

    def ready(self):
        from django.conf import settings

        # Every five minutes: close requests past their deadline and award those past publicity.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "procurement-close-due-requests", {"task": "procurement.close_due_requests", "schedule": 300.0}
        )
