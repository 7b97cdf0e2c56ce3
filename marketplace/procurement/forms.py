from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.catalogue.models import Category
from marketplace.core.regions import region_choices

from .models import Grade, Method, Objection


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.localized("name")


class RequestForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=None, label=_("Enterprise"), empty_label=None)
    category = CategoryChoiceField(queryset=Category.objects.none(), label=_("Service item"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    region = forms.ChoiceField(label=_("Project region"), choices=())
    budget = forms.DecimalField(label=_("Budget ceiling (CNY)"), min_value=1, max_digits=12, decimal_places=2)
    deadline = forms.DateTimeField(
        label=_("Quote deadline"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    required_grade = forms.ChoiceField(label=_("Minimum qualification grade"), choices=Grade.choices, required=False)
    method = forms.ChoiceField(label=_("Selection method"), choices=Method.choices)
    state_funded = forms.BooleanField(
        label=_("State-funded (paid from public funds)"),
        required=False,
        help_text=_("State-funded requests need more valid quotes before a winner is selected."),
    )
    side_contact_forbidden = forms.BooleanField(
        label=_("No contact outside the platform before the award (recommended)"),
        required=False,
        initial=True,
        help_text=_(
            "Providers ask their questions as clarifications, answered to all of them alike; messages with a "
            "phone number or an email address are refused until the award."
        ),
    )

    def __init__(self, *args, enterprises, addressed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
        self.fields["category"].queryset = Category.objects.exclude(code__isnull=True).exclude(code="").order_by("path")
        self.fields["region"].choices = region_choices()
        if addressed:
            # The listing decides the service item; one invited provider means the buyer's choice.
            for name in ("category", "method", "state_funded", "side_contact_forbidden"):
                del self.fields[name]


class RepublishForm(forms.Form):
    deadline = RequestForm.base_fields["deadline"]


class QuoteForm(forms.Form):
    price = forms.DecimalField(label=_("Price (CNY)"), min_value=0.01, max_digits=12, decimal_places=2)
    service_days = forms.IntegerField(label=_("Service days"), min_value=1, max_value=3650)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    attachment = forms.FileField(
        label=_("Attachment"), required=False, help_text=_("Optional. PDF, PNG or JPEG, at most 10 MB.")
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("dismiss", _("Dismiss")), ("uphold", _("Uphold"))], widget=forms.RadioSelect
    )
    outcome = forms.ChoiceField(label=_("If upheld"), choices=Objection.Outcome.choices, required=False)
    reason = forms.CharField(label=_("Written decision"), widget=forms.Textarea(attrs={"rows": 3}))
