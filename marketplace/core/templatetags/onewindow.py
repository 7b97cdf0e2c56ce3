from django import template

from marketplace.core.i18n import localized
from marketplace.core.regions import region_name

register = template.Library()


@register.filter
def loc(obj, field):
    """``{{ category|loc:"name" }}``: the field in the active language, English as fallback."""
    return localized(obj, field)


@register.filter
def region(code):
    """``{{ enterprise.region|region }}``: a GB/T 2260 code as a place name."""
    return region_name(code)
