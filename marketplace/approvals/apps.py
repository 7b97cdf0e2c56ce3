from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "marketplace.approvals"
    label = "approvals"
    verbose_name = _("Approval chain")

    def ready(self):
        from . import hooks

        hooks.register()
