from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.core.regions import region_choices

from .models import ApprovalMatter


class _NoEmptyChoiceSelect(forms.Select):
    """A select with no empty option: ``required`` has nothing to catch, as Django's own ``Select``
    concludes, but only after reading the first option (a second query for a model choice field)."""

    def use_required_attribute(self, initial):
        return False


class CaseOpenForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=None, empty_label=None, widget=_NoEmptyChoiceSelect
    )
    matter = forms.ModelChoiceField(label=_("Approval matter"), queryset=ApprovalMatter.objects.none())
    project_name = forms.CharField(label=_("Project name"), max_length=200)
    site = forms.CharField(label=_("Site"), max_length=300, help_text=_("Address or location of the project."))
    region = forms.ChoiceField(label=_("Project region"), choices=())

    def __init__(self, *args, enterprises, matters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
        self.fields["matter"].queryset = matters
        self.fields["matter"].label_from_instance = lambda m: m.localized("name")
        self.fields["enterprise"].label_from_instance = lambda e: e.localized("name")
        self.fields["region"].choices = region_choices()


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept the submission")), ("return", _("Return it for correction"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reasons for correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_("Required when returning: the enterprise sees them."),
    )
