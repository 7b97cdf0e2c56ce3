"""Staff's note when they close a payment difference. Whether a note is needed at all, and what else must
hold, is the service's rule (``reconciliation.difference_resolve``): the form only shapes the input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import InvoiceRequest


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
        for day in (start, end):
            if day and not 2000 <= day.year <= 2999:  # and no date arithmetic past the calendar's end
                raise forms.ValidationError(_("Choose days between the years 2000 and 2999."))
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days >= self.MAX_DAYS:
                raise forms.ValidationError(_("A statement covers at most one year; download longer periods in parts."))
        return data


class InvoiceRequestForm(forms.Form):
    """Asking for an invoice on one payment: which title, which type, a note. ``titles`` are the acting
    enterprises' invoice titles, read once for every payment's form on the page."""

    payment = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.TypedChoiceField(label=_("Made out to"), coerce=int)
    kind = forms.ChoiceField(label=_("Invoice type"), choices=InvoiceRequest.Kind.choices)
    note = forms.CharField(label=_("Note to the provider"), max_length=200, required=False)

    def __init__(self, *args, titles, **kwargs):
        super().__init__(*args, **kwargs)
        self.titles = {title.pk: title for title in titles}
        self.fields["title"].choices = [(title.pk, str(title)) for title in titles]
        self.fields["title"].error_messages["invalid_choice"] = _("Choose one of your enterprise's invoice titles.")

    def clean_title(self):
        return self.titles[self.cleaned_data["title"]]


class InvoiceIssueForm(forms.Form):
    """The provider's answer: the e-invoice file, the invoice's number, or both (the service checks the file
    and that one of them is there)."""

    file = forms.FileField(
        label=_("E-invoice file (PDF, OFD or XML)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.ofd,.xml"}),
    )
    number = forms.CharField(label=_("Invoice number"), max_length=40, required=False)
