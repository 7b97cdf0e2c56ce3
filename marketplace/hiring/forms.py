from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.ratings.models import DIMENSIONS

from .models import Dispute

STAR_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class DeliverableForm(forms.Form):
    file = forms.FileField(label=_("Deliverable"), help_text=_("PDF, PNG or JPEG, at most 20 MB."))


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=365)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DisputeResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Dispute.Outcome.choices)
    refund_amount = forms.DecimalField(
        label=_("Refund for a split (CNY)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    decision = forms.CharField(label=_("Written decision"), widget=forms.Textarea(attrs={"rows": 3}))


class RatingForm(forms.Form):
    quality = forms.TypedChoiceField(label=_("Quality"), choices=STAR_CHOICES, coerce=int)
    timeliness = forms.TypedChoiceField(label=_("Timeliness"), choices=STAR_CHOICES, coerce=int)
    communication = forms.TypedChoiceField(label=_("Communication"), choices=STAR_CHOICES, coerce=int)
    price_fairness = forms.TypedChoiceField(label=_("Price fairness"), choices=STAR_CHOICES, coerce=int)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def stars(self) -> dict:
        return {name: self.cleaned_data[name] for name in DIMENSIONS}


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Public reply"), widget=forms.Textarea(attrs={"rows": 3}))


class CheckoutForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=None, label=_("Enterprise"), empty_label=None)
    project_name = forms.CharField(label=_("Project name"), max_length=200)
    site_location = forms.CharField(label=_("Site location"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
