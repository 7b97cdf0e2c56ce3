"""Approval matters and enterprises' cases: the chain from intermediary work to a permit.

An **approval matter** (环评审批, 安全条件审查 …) is issued by one authority within a statutory time
limit and requires certain intermediary service items. An enterprise opens a **case** for one matter;
the case groups the requests for quotes and orders that buy those services, is submitted to the
authority once every required service is accepted, is accepted or returned for correction, and ends
with the permit issued from it. Each submission keeps what the officer saw (``CaseSubmission``).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core.i18n import BilingualMixin


class ApprovalMatter(BilingualMixin, models.Model):
    code = models.SlugField(_("Code"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    name_zh = models.CharField(_("Name (Chinese)"), max_length=200, blank=True)
    description = models.TextField(_("Description"), blank=True)
    description_zh = models.TextField(_("Description (Chinese)"), blank=True)
    authority = models.ForeignKey(
        "signing.IssuingAuthority",
        on_delete=models.PROTECT,
        related_name="approval_matters",
        verbose_name=_("Authority"),
    )
    time_limit_days = models.PositiveSmallIntegerField(
        _("Statutory time limit (working days)"), help_text=_("From a complete submission to the decision.")
    )
    materials = models.TextField(_("Required materials"), blank=True, help_text=_("One per line."))
    materials_zh = models.TextField(_("Required materials (Chinese)"), blank=True, help_text=_("One per line."))
    service_items = models.ManyToManyField(
        "catalogue.Category", related_name="approval_matters", verbose_name=_("Required intermediary services")
    )
    is_public = models.BooleanField(_("Published"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("Approval matter")
        verbose_name_plural = _("Approval matters")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("approvals:matter", kwargs={"code": self.code})

    def material_lines(self) -> list[str]:
        return [line.strip() for line in self.localized("materials").splitlines() if line.strip()]


class Case(models.Model):
    """One enterprise's application for one matter; its submissions (``CaseSubmission``) hold every
    submission and decision, the case only where it stands now."""

    class Status(models.TextChoices):
        OPEN = "open", _("Gathering intermediary services")
        SUBMITTED = "submitted", _("Submitted to the authority")
        RETURNED = "returned", _("Returned for correction")
        ACCEPTED = "accepted", _("Accepted by the authority")
        PERMIT_ISSUED = "permit_issued", _("Permit issued")

    code = models.CharField(_("Case code"), max_length=20, unique=True, blank=True)
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="cases")
    matter = models.ForeignKey(ApprovalMatter, on_delete=models.PROTECT, related_name="cases")
    project_name = models.CharField(_("Project name"), max_length=200)
    site = models.CharField(_("Site"), max_length=300)
    region = models.CharField(_("Region"), max_length=6)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    permit = models.OneToOneField(
        "signing.Permit", on_delete=models.PROTECT, null=True, blank=True, related_name="case"
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("Case")
        verbose_name_plural = _("Cases")

    def __str__(self):
        return self.code or f"case {self.pk}"

    def get_absolute_url(self):
        return reverse("approvals:case", kwargs={"code": self.code})

    @property
    def latest_submission(self):
        """The latest submission (when, by whom, the decision and its reasons), or None; the case keeps
        only its status, every date and reason lives on the submission. Uses a prefetch if there is one."""
        submissions = list(self.submissions.all())
        return submissions[0] if submissions else None


class CaseRequest(models.Model):
    """A request for quotes bought for a case (the order it is awarded to belongs to the case too)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="request_links")
    request = models.OneToOneField("procurement.RequestForQuotes", on_delete=models.PROTECT, related_name="case_link")
    linked_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.case}: request {self.request_id}"


class CaseOrder(models.Model):
    """An order hired directly (cart, listing, or an addressed request) for a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="order_links")
    service_order = models.OneToOneField("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="case_link")
    linked_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.case}: order {self.service_order_id}"


class CaseSubmission(models.Model):
    """One submission of a case and the authority's answer; ``snapshot`` is what the officer was shown
    (each relied-on order, its provider's certification and credit grade at that moment)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting for the authority")
        ACCEPTED = "accepted", _("Accepted by the authority")
        RETURNED = "returned", _("Returned for correction")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="submissions")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    snapshot = models.JSONField(default=list)
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]

    def __str__(self):
        return f"{self.case} submitted {self.submitted_at:%Y-%m-%d}"
