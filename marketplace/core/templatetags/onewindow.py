from django import forms, template

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


# The Bootstrap class each kind of widget gets, so every form on the platform looks the same.
WIDGET_CLASSES = {"checkbox": "form-check-input", "radio": "form-check-input", "file": "form-control-file"}
SELECT_CLASS = "custom-select"
DEFAULT_CLASS = "form-control"


@register.filter
def styled(field):
    """``{{ field|styled }}``: the bound field's widget with the platform's class, marked invalid when it
    has errors, and described by its help text and errors (ids ``<id>-help`` / ``<id>-errors``)."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", None)
    if kind in WIDGET_CLASSES:
        css = WIDGET_CLASSES[kind]
    elif isinstance(widget, forms.Select):
        css = SELECT_CLASS
    else:
        css = DEFAULT_CLASS
    attrs = {"class": " ".join(filter(None, [widget.attrs.get("class", ""), css]))}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-help")
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}-errors")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
