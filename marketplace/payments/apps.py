from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "marketplace.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        # Daily: fee invoice records for every paid-out order whose records differ from its ledger fee
        # (the transfer's recording issues them at once; this catches anything that got past it).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "payments-fee-invoices", {"task": "payments.fee_invoices_sweep", "schedule": crontab(hour=2, minute=30)}
        )
