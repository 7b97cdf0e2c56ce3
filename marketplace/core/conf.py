"""Domain tunables live with their apps (``<app>/conf.py``); ``settings.py`` keeps infrastructure.

An app lists its tunables with their defaults (read from the environment variables README
documents, when set) and reads them through ``Tunables.get``: a Django setting of the same name
wins, so a deployment's settings module or a test's ``settings`` fixture / ``override_settings``
changes the value, looked up on each call.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings


class Tunables:
    def __init__(self, defaults: Mapping[str, Any]):
        self.defaults = dict(defaults)

    def get(self, name: str) -> Any:
        """The value in force for ``name`` (a key of ``defaults``; anything else is a KeyError)."""
        return getattr(settings, name, self.defaults[name])
