"""Forms parse and validate input; services decide and act."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.catalogue.selectors import service_items
from marketplace.core import milestone_plan
from marketplace.core.regions import region_choices
from marketplace.core.uploads import DOCUMENT_KINDS, IMAGE_KINDS, validate_upload
from marketplace.core.validators import normalize_credit_code, validate_credit_code

from .models import LOGO_MAX_SIZE, Provider, ProviderBan, ProviderMember
from .services import SCAN_MAX_SIZE, ListingData


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.localized("name")


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, so templates can render fields in a loop."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.FileInput):
                widget.attrs.setdefault("class", "form-control-file")
            else:
                widget.attrs.setdefault("class", "form-control")


def _region_field(**kwargs):
    return forms.ChoiceField(label=_("Region"), choices=[("", "---------"), *region_choices()], **kwargs)


class ProviderProfileForm(StyledForm):
    name = forms.CharField(label=_("Legal name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("Legal name (Chinese)"), max_length=200)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=300)
    region = _region_field()
    contact_name = forms.CharField(label=_("Contact person"), max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40)
    contact_email = forms.EmailField(label=_("Contact email"))
    description = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    logo = forms.FileField(label=_("Logo"), required=False, help_text=_("PNG or JPEG, at most 2 MB."))

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo:
            validate_upload(logo, kinds=IMAGE_KINDS, max_size=LOGO_MAX_SIZE)
        return logo

    def profile(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if key not in ("logo", "credit_code")}


class ProviderRegistrationForm(ProviderProfileForm):
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=1,
        help_text=_("18 characters, as printed on the business licence."),
    )
    field_order = ["name", "name_zh", "credit_code"]

    def clean_credit_code(self):
        code = normalize_credit_code(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        if Provider.objects.filter(credit_code=code).exists():
            raise ValidationError(_("An organisation with this unified social credit code is already registered."))
        return code


class QualificationForm(StyledForm):
    category = CategoryChoiceField(label=_("Service item"), queryset=service_items())
    certificate_number = forms.CharField(label=_("Certificate number"), max_length=100)
    grade = forms.CharField(label=_("Grade"), max_length=50, required=False)
    issuer = forms.CharField(label=_("Issuing body"), max_length=200)
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(
        label=_("Scan of the certificate"), help_text=_("PDF, PNG or JPEG, at most 10 MB."), allow_empty_file=False
    )

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        validate_upload(scan, kinds=DOCUMENT_KINDS, max_size=SCAN_MAX_SIZE)
        return scan

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end:
            if end < start:
                self.add_error("valid_until", _("The end of validity cannot be before its start."))
            elif end < timezone.localdate():
                self.add_error("valid_until", _("This certificate has already expired; upload a current one."))
        return data


class ListingForm(StyledForm):
    title = forms.CharField(label=_("Title (English)"), max_length=255)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=255)
    category = CategoryChoiceField(label=_("Service item"), queryset=service_items())
    description = forms.CharField(label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}))
    description_zh = forms.CharField(label=_("Description (Chinese)"), widget=forms.Textarea(attrs={"rows": 4}))
    pricing_mode = forms.ChoiceField(
        label=_("Pricing mode"),
        choices=[("fixed", _("Fixed price")), ("from", _("From price")), ("quote", _("Quote only"))],
    )
    price = forms.DecimalField(label=_("Price (CNY)"), max_digits=12, decimal_places=2, min_value=0, required=False)
    price_unit = forms.CharField(
        label=_("Price unit"), max_length=50, required=False, help_text=_("For example: per project, per km².")
    )
    service_days = forms.IntegerField(label=_("Promised service days"), min_value=1, max_value=3650)
    regions_served = forms.MultipleChoiceField(
        label=_("Regions served"), choices=region_choices(), widget=forms.SelectMultiple(attrs={"size": 8})
    )
    deliverables = forms.CharField(
        label=_("Deliverables (English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One per line."),
    )
    deliverables_zh = forms.CharField(
        label=_("Deliverables (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    milestones = forms.CharField(
        label=_("Paid in stages (optional)"),
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "Draft report; 30%; 20\nExpert review; 30%; 35\nFinal report; 40%; 50"}
        ),
        required=False,
        help_text=_(
            "One stage per line: name; share of the price (30%) or amount (12000); due day after the start. "
            "Shares add up to 100%. The buyer funds and accepts each stage in turn, and each accepted stage is "
            "paid out. Leave empty to be paid at once."
        ),
    )
    published = forms.BooleanField(label=_("Published (visible to buyers)"), required=False)

    def __init__(self, *args, provider: Provider, **kwargs):
        self.provider = provider
        super().__init__(*args, **kwargs)
        from .selectors import qualified_categories

        names = [category.localized("name") for category in qualified_categories(provider=provider)]
        self.fields["category"].help_text = (
            _("You can publish in: %(names)s.") % {"names": ", ".join(names)}
            if names
            else _("You can save listings now and publish them once a qualification for the item is approved.")
        )

    def clean_milestones(self):
        plan = self.cleaned_data.get("milestones", "")
        milestone_plan.parse(plan)  # ValidationError names the line and what is wrong with it
        return plan

    def clean(self):
        data = super().clean()
        mode, price = data.get("pricing_mode"), data.get("price")
        if mode in ("fixed", "from") and (price is None or price <= 0):
            self.add_error("price", _("A fixed or “from” price needs an amount above zero."))
        elif mode == "fixed" and data.get("milestones"):
            try:
                milestone_plan.allocate(milestone_plan.parse(data["milestones"]), price)
            except ValidationError as error:
                self.add_error("milestones", error)
        if data.get("published") and data.get("category"):
            from .services import publish_blockers

            for reason in publish_blockers(provider=self.provider, category=data["category"]):
                self.add_error("published", reason)
        return data

    def listing_data(self) -> ListingData:
        data = self.cleaned_data
        return ListingData(
            title=data["title"],
            title_zh=data["title_zh"],
            description=data["description"],
            description_zh=data["description_zh"],
            category=data["category"],
            pricing_mode=data["pricing_mode"],
            price=data.get("price"),
            price_unit=data.get("price_unit", ""),
            service_days=data["service_days"],
            regions_served=tuple(data["regions_served"]),
            deliverables=data.get("deliverables", ""),
            deliverables_zh=data.get("deliverables_zh", ""),
            published=data.get("published", False),
            milestones=data.get("milestones", ""),
        )


class MemberAddForm(StyledForm):
    email = forms.EmailField(label=_("Email address of their OneWindow account"))
    role = forms.ChoiceField(label=_("Role"), choices=ProviderMember.Role.choices, initial=ProviderMember.Role.MEMBER)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason (the provider sees it)"), widget=forms.Textarea(attrs={"rows": 3}))


class BanForm(StyledForm):
    term = forms.ChoiceField(label=_("Term"), choices=ProviderBan.Term.choices)
    starts_on = forms.DateField(
        label=_("Starts on"),
        required=False,
        help_text=_("Empty: today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=_("Reason (public, and the provider sees it)"), widget=forms.Textarea(attrs={"rows": 2})
    )
