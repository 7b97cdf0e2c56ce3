"""Credit's forms: staff recording a negative-behaviour event."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NegativeEvent


class NegativeEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=NegativeEvent.Kind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.CharField(label=_("Evidence (the provider sees it)"), widget=forms.Textarea(attrs={"rows": 3}))
