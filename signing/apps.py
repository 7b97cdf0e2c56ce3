from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = _("Signing")

    def ready(self):
        import logging

        from django.conf import settings

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "signing-permits-expire", {"task": "signing.tasks.permits_expire", "schedule": 3600.0}
        )
        # The transparency log: a signed tree head within ten minutes of new leaves, at least hourly.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "signing-tree-head", {"task": "signing.tasks.tree_head_sign_if_due", "schedule": 600.0}
        )
        # The offline trust list: made afresh hourly (and on every change it records).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "signing-trust-list", {"task": "signing.tasks.trust_list_refresh", "schedule": 3600.0}
        )
        # pyHanko warns on every B-LT/B-LTA sealing that fetching is off; offline revocation data
        # is the design here (locally known CRLs), so that warning is noise in the logs.
        logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(
            lambda record: "fetching is not allowed" not in record.getMessage()
        )
