from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "marketplace.approvals"
    label = "approvals"
    verbose_name = _("Approval chain")

    def ready(self):
        # A delivery note of an order that belongs to a case prints the case's code.
        from marketplace.hiring.delivery_notes import order_reference_register

        from .selectors import case_code_lines

        order_reference_register(case_code_lines)
