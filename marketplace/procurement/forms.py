import datetime

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
    milestones = forms.CharField(
        label=_("Paid in stages (optional)"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Draft report; 30%; 20\nFinal report; 70%; 45"}),
        required=False,
        help_text=_(
            "One stage per line: name; share of the price (30%) or amount (12000); due day after the start. "
            "Shares add up to 100%. The buyer funds and accepts each stage in turn, and each accepted stage is "
            "paid out. Leave empty to be paid at once."
        ),
    )
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


class FilterDateField(forms.DateField):
    """An optional ``YYYY-MM-DD`` date whose error repeats what was typed: a date input cannot show a
    value that is not a date, so without it the person would not see what was refused."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs):
        super().__init__(required=False, input_formats=["%Y-%m-%d"], **kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("“%(value)s” is not a date: enter it as YYYY-MM-DD, for example 2026-01-31."),
                code="invalid",
                params={"value": str(value)[:40]},
            ) from None


class ResultFilterForm(forms.Form):
    """The public results list's filters (``?category=&region=&method=&status=&date_from=&date_to=``), all
    optional. A filter that does not validate is left out of ``filters()`` and its error is shown."""

    STATUS_CHOICES = [
        ("publicity", _("In the publicity period")),
        ("awarded", _("Awarded")),
        ("failed", _("Failed")),
        ("cancelled", _("Cancelled")),
    ]

    category = CategoryChoiceField(
        queryset=Category.objects.none(),
        label=_("Service item"),
        required=False,
        empty_label=_("Any service item"),
        error_messages={"invalid_choice": _("There is no such service item; choose one from the list.")},
    )
    region = forms.ChoiceField(
        label=_("Project region"),
        required=False,
        error_messages={"invalid_choice": _("“%(value)s” is not a region on this platform; choose one from the list.")},
    )
    method = forms.ChoiceField(
        label=_("Selection method"),
        required=False,
        choices=[("", _("Any method")), *Method.choices],
        error_messages={"invalid_choice": _("“%(value)s” is not a selection method; choose one from the list.")},
    )
    status = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Any outcome")), *STATUS_CHOICES],
        error_messages={"invalid_choice": _("“%(value)s” is not an outcome; choose one from the list.")},
    )
    date_from = FilterDateField(label=_("Result date from"))
    date_to = FilterDateField(label=_("Result date to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.exclude(code__isnull=True).exclude(code="").order_by("path")
        self.fields["region"].choices = [("", _("Any region")), *region_choices()]

    def clean_category(self):
        # Only the pk goes on to the selector: a join away from the row, no second read of the category.
        category = self.cleaned_data.get("category")
        return category.pk if category is not None else None

    EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)

    def _clean_date(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not self.EARLIEST <= value <= self.LATEST:
            raise forms.ValidationError(
                _("Enter a date between %(earliest)s and %(latest)s."),
                code="out_of_range",
                params={"earliest": self.EARLIEST.isoformat(), "latest": self.LATEST.isoformat()},
            )
        return value

    def clean_date_from(self):
        return self._clean_date("date_from")

    def clean_date_to(self):
        return self._clean_date("date_to")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The “to” date is before the “from” date; neither date is applied."))
            data.pop("date_from", None)
        return data

    def filters(self) -> dict:
        """The valid filters as ``selectors.published_results`` keywords (call after ``is_valid()``)."""
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.fields if data.get(name) not in (None, "")}
