from django import forms
from django.utils.translation import gettext_lazy as _

from providers.models import Provider

from .models import DIMENSIONS, PlatformEvaluation

# No score is chosen in advance: an empty first choice, so an untouched dimension is an error, not a 5.
NO_CHOICE = [("", _("Choose…"))]
STAR_CHOICES = NO_CHOICE + [(n, "★" * n) for n in range(5, 0, -1)]
# The buyer's form on the order page has always offered plain numbers.
RATING_CHOICES = NO_CHOICE + [(n, str(n)) for n in range(5, 0, -1)]


class AuthorityEvaluationForm(forms.Form):
    authority = forms.ModelChoiceField(queryset=None, label=_("Evaluating as"), empty_label=None)
    approval_number = forms.CharField(label=_("Approval or permit number"), max_length=60)
    quality = forms.TypedChoiceField(label=_("Quality of the deliverable"), choices=STAR_CHOICES, coerce=int)
    timeliness = forms.TypedChoiceField(label=_("Timeliness"), choices=STAR_CHOICES, coerce=int)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities


class PlatformEvaluationForm(forms.Form):
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(status__in=[Provider.Status.CERTIFIED, Provider.Status.SUSPENDED]),
        label=_("Provider"),
    )
    order_number = forms.CharField(
        label=_("Order number"), max_length=128, required=False, help_text=_("Either an order or a period.")
    )
    period_start = forms.DateField(
        label=_("Period from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(label=_("Period to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ground = forms.ChoiceField(label=_("Ground"), choices=PlatformEvaluation.Ground.choices)
    conduct = forms.TypedChoiceField(label=_("Conduct"), choices=STAR_CHOICES, coerce=int)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RatingForm(forms.Form):
    quality = forms.TypedChoiceField(label=_("Quality"), choices=RATING_CHOICES, coerce=int)
    timeliness = forms.TypedChoiceField(label=_("Timeliness"), choices=RATING_CHOICES, coerce=int)
    communication = forms.TypedChoiceField(label=_("Communication"), choices=RATING_CHOICES, coerce=int)
    price_fairness = forms.TypedChoiceField(label=_("Price fairness"), choices=RATING_CHOICES, coerce=int)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def stars(self) -> dict:
        return {name: self.cleaned_data[name] for name in DIMENSIONS}


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Public reply"), widget=forms.Textarea(attrs={"rows": 3}))
