from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace.core.validators import normalize_credit_code
from marketplace.enterprises.models import Enterprise

from .services import PermitData


class PermitIssueForm(forms.Form):
    holder_credit_code = forms.CharField(label=_("Holder's unified social credit code"), max_length=18, min_length=18)
    matter = forms.CharField(label=_("Approval matter"), max_length=300)
    scope = forms.CharField(
        label=pgettext_lazy("permit", "Scope"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    conditions = forms.CharField(
        label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))
    # Set when the form is shown: submitting the same form twice (a double click) issues one permit.
    issue_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_holder_credit_code(self):
        code = normalize_credit_code(self.cleaned_data["holder_credit_code"])
        holder = Enterprise.objects.filter(credit_code=code).first()
        if holder is None:
            raise forms.ValidationError(_("No enterprise is registered with this credit code."))
        self.cleaned_data["holder"] = holder
        return code

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", _("The permit must end on or after the day it starts."))
        return data

    def permit_data(self):
        """The valid form as the issuing service's input."""
        data = self.cleaned_data
        return PermitData(
            holder=data["holder"],
            matter=data["matter"],
            scope=data["scope"],
            conditions=data["conditions"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            issue_key=data.get("issue_key") or "",
        )


class PermitStatusForm(forms.Form):
    ACTIONS = [("suspend", _("Suspend")), ("reinstate", _("Reinstate")), ("revoke", _("Revoke"))]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class VerifyUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Sealed PDF or bundle (ZIP)"),
        allow_empty_file=True,  # an empty upload gets the verdict "unreadable", not a form error
        help_text=_("The file is checked and then discarded; it is not stored."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf,application/zip,.zip"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.VERIFY_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                params={
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.VERIFY_MAX_UPLOAD_BYTES),
                },
            )
        return upload


class VerifyNumberForm(forms.Form):
    number = forms.CharField(label=_("Permit number"), max_length=64)
    code = forms.CharField(
        label=_("Verification code"),
        max_length=32,
        help_text=_("Printed on the permit next to its QR code."),
    )
