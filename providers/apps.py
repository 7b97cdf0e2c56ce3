from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = _("Providers")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        from . import certificates

        # The signing app's registry asks this app how a provider's certificate stands.
        certificates.verification_source_register()
        # Daily, early in the morning (Asia/Shanghai): warnings reach providers before office hours.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "providers-expire-qualifications",
            {"task": "providers.expire_qualifications", "schedule": crontab(hour=6, minute=0)},
        )
        # Just after midnight: a ban that starts or ends today re-indexes its provider's listings.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "providers-ban-boundaries",
            {"task": "providers.ban_boundaries", "schedule": crontab(hour=0, minute=5)},
        )
