from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HiringConfig(AppConfig):
    name = "marketplace.hiring"
    label = "hiring"
    verbose_name = _("Service orders")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        # Hourly: accept deliveries the buyer left unanswered for ORDER_AUTO_ACCEPT_DAYS.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "hiring-auto-accept", {"task": "hiring.auto_accept_deliveries", "schedule": crontab(minute=15)}
        )
        # Hourly: compare Stripe with the ledger and the outbox (manage.py payments_reconcile).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "hiring-payments-reconcile", {"task": "hiring.payments_reconcile", "schedule": crontab(minute=45)}
        )
        # The signing app's registry and QR page ask this app about contracts.
        from . import contracts, delivery_notes, views

        contracts.verification_source_register(landing=views.contract_landing)
        delivery_notes.verification_source_register(landing=views.delivery_note_landing)
