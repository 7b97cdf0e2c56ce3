"""Buyer organisations (project owners) and the people who act for them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.core.i18n import BilingualMixin
from marketplace.core.models import Membership
from marketplace.core.regions import region_name, validate_region_code
from marketplace.core.validators import validate_credit_code, validate_tax_number


class Enterprise(BilingualMixin, models.Model):
    name = models.CharField(_("Name"), max_length=200)
    name_zh = models.CharField(_("Name (Chinese)"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("Unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    region = models.CharField(_("Region"), max_length=6, validators=[validate_region_code])
    # Compared with providers' (conflict of interest): one person representing both is one side.
    legal_representative = models.CharField(_("Legal representative"), max_length=100, blank=True)
    contact_name = models.CharField(_("Contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("Contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("Contact email"), blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="EnterpriseMember", related_name="enterprises")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Enterprise")
        verbose_name_plural = _("Enterprises")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def region_name(self) -> str:
        return region_name(self.region)


class EnterpriseMember(Membership):
    kind = "enterprise"
    organisation_field = "enterprise"

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprise_memberships")
    role = models.CharField(_("Role"), max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("Enterprise member")
        verbose_name_plural = _("Enterprise members")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "user"], name="unique_enterprise_member"),
        ]


class InvoiceTitle(models.Model):
    """How an enterprise wants its invoices made out (发票抬头). Chosen when it asks a provider for an
    invoice, and copied into that request, so a later edit never changes what was asked."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="invoice_titles")
    name = models.CharField(_("Name on the invoice"), max_length=200)
    tax_number = models.CharField(_("Taxpayer identification number"), max_length=20, validators=[validate_tax_number])
    address = models.CharField(_("Registered address"), max_length=200, blank=True)
    phone = models.CharField(_("Telephone"), max_length=40, blank=True)
    bank_name = models.CharField(_("Bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("Bank account number"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Invoice title")
        verbose_name_plural = _("Invoice titles")
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.tax_number})"

    @property
    def complete_for_special(self) -> bool:
        """A special VAT invoice (专票) prints address, telephone, bank and account: all must be there."""
        return all((self.address, self.phone, self.bank_name, self.bank_account))
