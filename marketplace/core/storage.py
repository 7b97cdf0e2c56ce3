"""Storage for files that must never be reachable by URL (qualification scans, keys, evidence)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="marketplace.core.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under ``settings.PRIVATE_MEDIA_ROOT``, read at use time (tests point it at a tmp dir).

    It has no URL: files are handed out only by views that check who is asking.
    """

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Private files have no public URL; serve them through a permission-checking view.")


def private_storage() -> PrivateStorage:
    """Callable for ``FileField(storage=...)`` so migrations reference this function, not a path."""
    return PrivateStorage()
