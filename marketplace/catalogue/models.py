"""The service-item catalogue: Oscar's catalogue with bilingual fields and a public guide.

Convention across OneWindow: English text lives in the plain field (``name``, ``scope``),
Simplified Chinese in ``<field>_zh``; ``marketplace.core.i18n.localized`` picks the one for the
active language and falls back to English.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from oscar.apps.catalogue.abstract_models import AbstractCategory, AbstractProduct

from marketplace.core.i18n import BilingualMixin


class Category(BilingualMixin, AbstractCategory):
    """A service item ("服务事项") such as an environmental impact assessment.

    Real service halls publish, per item, its scope, procedure, statutory time limit,
    eligibility and the qualification a provider needs; those are the guide fields.
    """

    name_zh = models.CharField(_("Name (Chinese)"), max_length=255, blank=True)
    description_zh = models.TextField(_("Description (Chinese)"), blank=True)
    scope = models.TextField(_("Scope"), blank=True)
    scope_zh = models.TextField(_("Scope (Chinese)"), blank=True)
    procedure = models.TextField(_("Procedure"), blank=True, help_text=_("One step per line."))
    procedure_zh = models.TextField(_("Procedure (Chinese)"), blank=True)
    time_limit_days = models.PositiveSmallIntegerField(
        _("Time limit (working days)"),
        null=True,
        blank=True,
        help_text=_("The statutory or published time limit for delivering this service."),
    )
    eligibility = models.TextField(_("Eligibility"), blank=True)
    eligibility_zh = models.TextField(_("Eligibility (Chinese)"), blank=True)
    required_qualification = models.TextField(_("Required qualification"), blank=True)
    required_qualification_zh = models.TextField(_("Required qualification (Chinese)"), blank=True)

    def procedure_steps(self):
        return [step.strip() for step in self.localized("procedure").splitlines() if step.strip()]


class Product(BilingualMixin, AbstractProduct):
    """A listing; service types are product classes with attributes, never subclasses."""

    title_zh = models.CharField(_("Title (Chinese)"), max_length=255, blank=True)
    description_zh = models.TextField(_("Description (Chinese)"), blank=True)


from oscar.apps.catalogue.models import *  # noqa: E402, F403 - Oscar's fork pattern: ours first
