"""Bilingual model text: English in ``<field>``, Simplified Chinese in ``<field>_zh``."""

from django.utils.translation import get_language

CHINESE_PREFIX = "zh"


def is_chinese_active() -> bool:
    return (get_language() or "").lower().startswith(CHINESE_PREFIX)


def localized(obj, field: str) -> str:
    """The value of ``field`` in the active language, falling back to English when untranslated."""
    if is_chinese_active():
        translated = getattr(obj, f"{field}_zh", "")
        if translated:
            return translated
    return getattr(obj, field)


class BilingualMixin:
    """Gives a model ``obj.localized("name")`` for templates and code alike."""

    def localized(self, field: str) -> str:
        return localized(self, field)

    @property
    def display_name(self) -> str:
        field = "name" if hasattr(self, "name") else "title"
        return localized(self, field)
