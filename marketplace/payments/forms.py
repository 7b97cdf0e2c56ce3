"""Staff's note when they close a payment difference. Whether a note is needed at all, and what else must
hold, is the service's rule (``reconciliation.difference_resolve``): the form only shapes the input."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DifferenceResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "required": True, "maxlength": 500}),
        help_text=_("Say how the difference was settled, e.g. “Refund re_… confirmed in Stripe's dashboard”."),
    )
