"""Upload checks shared by every part that accepts files: type by content, size by field.

A file's extension and the browser's content type are claims; its first bytes are evidence. An
upload passes only when its content is one of the accepted kinds *and* its extension agrees, so a
renamed executable or a PNG called ``.pdf`` is refused with a message that says what is wrong.

    kind = validate_upload(uploaded_file, kinds=DOCUMENT_KINDS, max_size=10 * 1024 * 1024)
    scan = models.FileField(validators=[UploadValidator(kinds=DOCUMENT_KINDS)])
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DOCUMENT_KINDS",
    "IMAGE_KINDS",
    "JPEG",
    "PDF",
    "PNG",
    "FileKind",
    "UploadValidator",
    "sniff",
    "validate_upload",
]

SNIFF_BYTES = 16


@dataclass(frozen=True)
class FileKind:
    name: str
    content_type: str
    extensions: tuple[str, ...]
    magic: tuple[bytes, ...]

    def matches(self, head: bytes) -> bool:
        return any(head.startswith(prefix) for prefix in self.magic)


PDF = FileKind("PDF", "application/pdf", (".pdf",), (b"%PDF-",))
PNG = FileKind("PNG", "image/png", (".png",), (b"\x89PNG\r\n\x1a\n",))
JPEG = FileKind("JPEG", "image/jpeg", (".jpg", ".jpeg"), (b"\xff\xd8\xff",))
IMAGE_KINDS = (PNG, JPEG)
DOCUMENT_KINDS = (PDF, PNG, JPEG)

# Content that is never a document, named so the message can say what was found.
_EXECUTABLE_MAGIC = (
    (b"MZ", "Windows executable"),
    (b"\x7fELF", "ELF executable"),
    (b"#!", "script"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "Mach-O executable"),
)


def _read_head(file) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(position)
    return head or b""


def sniff(file, kinds: tuple[FileKind, ...] = DOCUMENT_KINDS) -> FileKind | None:
    """The kind among ``kinds`` the file's first bytes show, or ``None``."""
    head = _read_head(file)
    return next((kind for kind in kinds if kind.matches(head)), None)


def _accepted_names(kinds) -> str:
    return ", ".join(kind.name for kind in kinds)


def validate_upload(file, *, kinds: tuple[FileKind, ...] = DOCUMENT_KINDS, max_size: int | None = None) -> FileKind:
    """Return the file's kind or raise ``ValidationError`` saying why it is refused.

    ``max_size`` may only lower the platform-wide ``settings.MAX_UPLOAD_SIZE``.
    """
    limit = min(max_size or settings.MAX_UPLOAD_SIZE, settings.MAX_UPLOAD_SIZE)
    size = getattr(file, "size", None)
    if size is None:
        raise ValidationError(_("The file could not be read; please upload it again."), code="upload_unreadable")
    if size == 0:
        raise ValidationError(_("The file is empty."), code="upload_empty")
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="upload_too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    head = _read_head(file)
    if any(head.startswith(prefix) for prefix, _label in _EXECUTABLE_MAGIC):
        raise ValidationError(
            _("This file is a program, not a document. Please upload a %(accepted)s file."),
            code="upload_executable",
            params={"accepted": _accepted_names(kinds)},
        )
    kind = next((kind for kind in kinds if kind.matches(head)), None)
    if kind is None:
        raise ValidationError(
            _("This file is not a %(accepted)s file (its content says otherwise, whatever its name)."),
            code="upload_wrong_type",
            params={"accepted": _accepted_names(kinds)},
        )
    extension = PurePath(getattr(file, "name", "") or "").suffix.lower()
    if extension not in kind.extensions:
        raise ValidationError(
            _("The file is named “%(extension)s” but its content is %(kind)s; rename it or upload the right file."),
            code="upload_extension_mismatch",
            params={"extension": extension or _("(no extension)"), "kind": kind.name},
        )
    return kind


KINDS_BY_NAME = {kind.name: kind for kind in DOCUMENT_KINDS}


@deconstructible(path="marketplace.core.uploads.UploadValidator")
class UploadValidator:
    """Model or form field validator wrapping :func:`validate_upload`.

    ``kinds`` are names (``"PDF"``, ``"PNG"``, ``"JPEG"``) so migrations can serialise it.
    """

    def __init__(self, *, kinds: tuple[str, ...] = ("PDF", "PNG", "JPEG"), max_size: int | None = None):
        self.kinds = tuple(kinds)
        self.max_size = max_size

    def __call__(self, file) -> None:
        # A file already in storage (an unchanged field on re-save) was checked when it arrived.
        if isinstance(file, FieldFile) and file._committed:
            return
        validate_upload(file, kinds=tuple(KINDS_BY_NAME[name] for name in self.kinds), max_size=self.max_size)

    def __eq__(self, other):
        return isinstance(other, UploadValidator) and (self.kinds, self.max_size) == (other.kinds, other.max_size)


def file_digest(file) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a Django ``File`` (an upload), read in chunks; the file is left
    at its start, ready to be saved."""
    digest, size = hashlib.sha256(), 0
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size
