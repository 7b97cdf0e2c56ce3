"""Contact details in a message: phone numbers (mainland mobiles and landlines, international
numbers), email addresses and WeChat IDs, also when written in full-width characters. Used to keep
side deals out of an open request's clarifications."""

import re
import unicodedata

_PATTERNS = (
    re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)"),  # 138 0013 8000
    re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"),  # 010-88888888
    re.compile(r"\+\d{1,3}(?:[\s-]?\d){7,12}(?!\d)"),  # +44 20 7946 0958
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # name@example.com
    re.compile(r"(?:微信|wechat|weixin|vx|wx)\s*(?:号|id)?\s*[:：]?\s*[A-Za-z][\w-]{5,19}", re.IGNORECASE),
)


def contact_details(text: str) -> list[str]:
    """The contact details found in ``text``, as written (normalised to half-width)."""
    normal = unicodedata.normalize("NFKC", text or "")
    return [match.group(0).strip() for pattern in _PATTERNS for match in pattern.finditer(normal)]
