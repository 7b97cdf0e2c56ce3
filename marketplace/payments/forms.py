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


class StatementForm(forms.Form):
    """The period and side of a finance statement; ``sides`` are those the person may ask for."""

    MAX_DAYS = 366

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    side = forms.ChoiceField(label=_("Statement of"), widget=forms.Select(attrs={"class": "form-control"}))

    SIDE_LABELS = {"buyer": _("My enterprise's payments (as the buyer)"), "provider": _("My provider's earnings")}

    def __init__(self, *args, sides, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].choices = [(side, self.SIDE_LABELS[side]) for side in sides]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days >= self.MAX_DAYS:
                raise forms.ValidationError(_("A statement covers at most one year; download longer periods in parts."))
        return data
