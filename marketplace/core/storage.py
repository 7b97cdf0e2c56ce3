"""Storage for files that must never be reachable by URL (qualification scans, keys, evidence)."""

import mimetypes
import os
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse
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


def private_file_response(field_file, *, missing_message: str = "The file is missing") -> FileResponse:
    """Hand out a private file as a download, once the caller has checked who is asking.

    Attachment disposition, a content type from the name only, ``nosniff`` and no caching: a
    browser must never render an uploaded file inline as if the platform had served it.
    """
    name = PurePath(field_file.name).name
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404(missing_message) from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    return _download_headers(response)


def pdf_download_response(pdf: bytes, *, filename: str) -> HttpResponse:
    """A PDF held in the database (a sealed permit, certificate, contract or report) as a download,
    with the same headers as a private file: it names parties and prices, so no shared caching."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _download_headers(response)


def _download_headers(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
