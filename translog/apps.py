from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TranslogConfig(AppConfig):
    name = "translog"
    label = "translog"
    verbose_name = _("Transparency log")
    default_auto_field = "django.db.models.BigAutoField"
