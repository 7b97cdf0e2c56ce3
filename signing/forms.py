from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class VerifyUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Sealed PDF"),
        allow_empty_file=True,  # an empty upload gets the verdict "unreadable", not a form error
        help_text=_("The file is checked and then discarded; it is not stored."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
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
