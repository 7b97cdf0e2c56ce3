from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from marketplace.core import table_versions


class ConversationsConfig(AppConfig):
    name = "marketplace.conversations"
    label = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from .models import Message, ThreadRead
        from .services import THREAD_FAMILY

        table_versions.narrow(THREAD_FAMILY, Message, ThreadRead)
