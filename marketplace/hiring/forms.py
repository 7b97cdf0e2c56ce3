from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Dispute
from .services import DELIVERABLE_MAX_SIZE


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class DeliverableForm(forms.Form):
    file = forms.FileField(label=_("Deliverable"), help_text=_("PDF, PNG or JPEG, at most 20 MB."))


class FileCheckForm(forms.Form):
    """A file in hand, hashed to compare with what a delivery note lists; never kept."""

    file = forms.FileField(
        label=_("File to check"),
        help_text=_("It is hashed on the server and not kept; at most 20 MB."),
        error_messages={"required": _("Choose a file to check.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > DELIVERABLE_MAX_SIZE:
            raise forms.ValidationError(_("That file is larger than any deliverable can be."))
        return upload


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=365)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DisputeResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Dispute.Outcome.choices)
    refund_amount = forms.DecimalField(
        label=_("Refund for a split (CNY)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    decision = forms.CharField(label=_("Written decision"), widget=forms.Textarea(attrs={"rows": 3}))


class CheckoutForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=None, label=_("Enterprise"), empty_label=None)
    project_name = forms.CharField(label=_("Project name"), max_length=200)
    site_location = forms.CharField(label=_("Site location"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
