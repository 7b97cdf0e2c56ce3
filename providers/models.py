"""Provider organisations (certified intermediaries), their teams, qualifications and audit trail.

A provider is one Oscar ``Partner`` (1:1) so that stock records, orders and Oscar's partner
scoping work; a listing is an Oscar ``Product`` whose single stock record belongs to that partner.
State changes happen only in ``providers.services``; models hold data and invariants.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core.i18n import BilingualMixin
from marketplace.core.models import Membership
from marketplace.core.regions import region_name, validate_region_code
from marketplace.core.storage import private_storage
from marketplace.core.uploads import UploadValidator
from marketplace.core.validators import validate_credit_code

LOGO_MAX_SIZE = 2 * 1024 * 1024


def logo_upload_to(instance, filename):
    return f"providers/logos/{instance.credit_code}/{filename}"


def scan_upload_to(instance, filename):
    # The provider id in the path keeps one organisation's scans together; the storage itself is
    # private, so the name is never a URL.
    return f"qualifications/{instance.provider_id}/{filename}"


class Provider(BilingualMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_REVIEW = "pending_review", _("Pending review")
        CERTIFIED = "certified", _("Certified")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")

    partner = models.OneToOneField(
        "partner.Partner", on_delete=models.PROTECT, related_name="provider", verbose_name=_("Partner")
    )
    name = models.CharField(_("Legal name"), max_length=200)
    name_zh = models.CharField(_("Legal name (Chinese)"), max_length=200)
    credit_code = models.CharField(
        _("Unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    legal_representative = models.CharField(_("Legal representative"), max_length=100)
    address = models.CharField(_("Address"), max_length=300)
    region = models.CharField(_("Region"), max_length=6, validators=[validate_region_code])
    contact_name = models.CharField(_("Contact person"), max_length=100)
    contact_phone = models.CharField(_("Contact phone"), max_length=40)
    contact_email = models.EmailField(_("Contact email"))
    description = models.TextField(_("Description"), blank=True)
    description_zh = models.TextField(_("Description (Chinese)"), blank=True)
    logo = models.ImageField(
        _("Logo"),
        upload_to=logo_upload_to,
        blank=True,
        validators=[UploadValidator(kinds=("PNG", "JPEG"), max_size=LOGO_MAX_SIZE)],
        help_text=_("PNG or JPEG, at most 2 MB."),
    )
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.TextField(
        _("Reason"), blank=True, help_text=_("Why the provider was sent back, suspended or revoked.")
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ProviderMember", related_name="providers")
    created_at = models.DateTimeField(_("Registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("Submitted for review at"), null=True, blank=True)
    certified_at = models.DateTimeField(_("Certified at"), null=True, blank=True)
    # A denormalised snapshot of the credit record's latest result (marketplace.credit owns the
    # record, its appeals and the formula). Kept on the provider so search, listings and the
    # review pages read it without a join and without importing credit, which sits above this
    # app; written only by ``credit.services.provider_credit_recompute``; None until the first
    # computation.
    credit_score = models.DecimalField(_("Credit score"), max_digits=5, decimal_places=2, null=True, blank=True)
    credit_grade = models.PositiveSmallIntegerField(
        _("Credit grade (stars)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    credit_computed_at = models.DateTimeField(_("Credit computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Provider")
        verbose_name_plural = _("Providers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("providers:profile", kwargs={"pk": self.pk})

    @property
    def region_name(self) -> str:
        return region_name(self.region)

    @property
    def is_certified(self) -> bool:
        return self.status == self.Status.CERTIFIED


class ProviderMember(Membership):
    kind = "provider"
    organisation_field = "provider"

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_memberships")
    role = models.CharField(_("Role"), max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("Provider member")
        verbose_name_plural = _("Provider members")
        ordering = ["joined_at", "pk"]
        constraints = [
            # One person acts for one intermediary: the console needs no organisation switcher and
            # no id in its URLs that could point at someone else's organisation.
            models.UniqueConstraint(fields=["user"], name="one_provider_per_user"),
        ]


class QualificationQuerySet(models.QuerySet):
    def in_force(self, *, today=None):
        """Approved and inside its validity period on ``today`` (local date)."""
        today = today or timezone.localdate()
        return self.filter(status=Qualification.Status.APPROVED, valid_from__lte=today, valid_until__gte=today)


# The grades qualifications usually state, so a Chinese page does not show "Grade A".
GRADE_LABELS = {
    "grade a": _("Grade A"),
    "grade b": _("Grade B"),
    "grade c": _("Grade C"),
    "class 1": _("Class 1"),
    "class 2": _("Class 2"),
    "class 3": _("Class 3"),
}


class Qualification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="qualifications")
    category = models.ForeignKey(
        "catalogue.Category", on_delete=models.PROTECT, related_name="qualifications", verbose_name=_("Service item")
    )
    certificate_number = models.CharField(_("Certificate number"), max_length=100)
    grade = models.CharField(_("Grade"), max_length=50, blank=True, help_text=_("For example: Grade A, Class 1."))
    issuer = models.CharField(_("Issuing body"), max_length=200)
    valid_from = models.DateField(_("Valid from"))
    valid_until = models.DateField(_("Valid until"))
    scan = models.FileField(_("Scan"), upload_to=scan_upload_to, storage=private_storage, max_length=255)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    review_reason = models.TextField(_("Reviewer's reason"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Qualification")
        verbose_name_plural = _("Qualifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="qualification_valid_period"
            ),
        ]

    @property
    def grade_label(self) -> str:
        """The grade as entered, in the reader's language when it is one of the usual ones."""
        return str(GRADE_LABELS.get(self.grade.strip().lower(), self.grade))

    def __str__(self):
        return f"{self.certificate_number} ({self.category})"

    def is_in_force(self, *, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.APPROVED and self.valid_from <= today <= self.valid_until


class QualificationNotice(models.Model):
    """A reminder already sent, so running the expiry job twice never sends it twice."""

    class Kind(models.TextChoices):
        WARNING_30_DAYS = "warning_30", _("30 days before expiry")
        DUE_TODAY = "due_today", _("Last valid day")
        EXPIRED = "expired", _("Expired")

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    valid_until = models.DateField(help_text="The expiry date the notice was about; a renewal resets it.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "kind", "valid_until"], name="unique_qualification_notice"
            ),
        ]

    def __str__(self):
        return f"{self.qualification_id}: {self.kind} ({self.valid_until})"


class ProviderEvent(models.Model):
    """Append-only audit trail: every state change of a provider, its qualifications, team and listings."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        UPDATED = "updated", _("Profile updated")
        SUBMITTED = "submitted", _("Submitted for review")
        CERTIFIED = "certified", _("Certified")
        SENT_BACK = "sent_back", _("Sent back for changes")
        SUSPENDED = "suspended", _("Suspended")
        REINSTATED = "reinstated", _("Reinstated")
        REVOKED = "revoked", _("Revoked")
        QUALIFICATION_UPLOADED = "qualification_uploaded", _("Qualification uploaded")
        QUALIFICATION_APPROVED = "qualification_approved", _("Qualification approved")
        QUALIFICATION_REJECTED = "qualification_rejected", _("Qualification rejected")
        QUALIFICATION_EXPIRING = "qualification_expiring", _("Qualification expiring soon")
        QUALIFICATION_EXPIRED = "qualification_expired", _("Qualification expired")
        MEMBER_ADDED = "member_added", _("Team member added")
        MEMBER_REMOVED = "member_removed", _("Team member removed")
        MEMBER_ROLE_CHANGED = "member_role_changed", _("Team member's role changed")
        LISTING_CREATED = "listing_created", _("Listing created")
        LISTING_UPDATED = "listing_updated", _("Listing updated")
        LISTING_PUBLISHED = "listing_published", _("Listing published")
        LISTING_UNPUBLISHED = "listing_unpublished", _("Listing unpublished")
        BANNED = "banned", _("Banned from quoting and listing")
        BAN_LIFTED = "ban_lifted", _("Ban lifted")
        BAN_APPEALED = "ban_appealed", _("Ban appealed")
        BAN_APPEAL_REJECTED = "ban_appeal_rejected", _("Ban appeal rejected")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    qualification = models.ForeignKey(
        Qualification, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Provider event")
        verbose_name_plural = _("Provider events")

    def __str__(self):
        return f"{self.provider}: {self.kind}"


class ProviderCertificate(models.Model):
    """The sealed certificate the platform issues when it certifies a provider.

    Its standing follows the provider's: valid while certified, suspended or revoked with it.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="certificates")
    document = models.OneToOneField(
        "signing.SealedDocument", on_delete=models.PROTECT, related_name="provider_certificate"
    )
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Moved here from the signing app (issue 14); the table keeps its name and its rows.
        db_table = "signing_providercertificate"
        verbose_name = _("Provider certificate")
        verbose_name_plural = _("Provider certificates")
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return self.document.number


class ProviderBanQuerySet(models.QuerySet):
    def in_force(self, *, today=None):
        """Started on or before ``today``, not yet at its end date, not lifted: computed from dates,
        so a ban ends by itself on its end date without any job."""
        today = today or timezone.localdate()
        return self.filter(starts_on__lte=today, lifted_at__isnull=True).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=today)
        )


class ProviderBan(models.Model):
    """A fixed-term (or permanent) ban from quoting and from being listed, imposed by staff.

    In force from ``starts_on`` up to the day before ``ends_on``: on ``ends_on`` the provider may
    quote and is listed again. ``ends_on`` empty means permanent (fraud). A ban lifted early (by
    staff, or by an upheld appeal) keeps its row, with who lifted it and why.
    """

    class Term(models.TextChoices):
        MONTHS_3 = "3", _("3 months")
        MONTHS_6 = "6", _("6 months")
        MONTHS_12 = "12", _("12 months")
        PERMANENT = "permanent", _("Permanent (fraud)")

    class AppealStatus(models.TextChoices):
        NONE = "", _("Not appealed")
        PENDING = "pending", _("Appeal pending")
        UPHELD = "upheld", _("Appeal upheld: ban lifted")
        REJECTED = "rejected", _("Appeal rejected")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="bans")
    term = models.CharField(_("Term"), max_length=20, choices=Term.choices)
    starts_on = models.DateField(_("Starts on"))
    ends_on = models.DateField(_("Ends on"), null=True, blank=True, help_text=_("Empty: permanent."))
    reason = models.TextField(_("Reason"))
    imposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(_("Lifted at"), null=True, blank=True)
    lift_reason = models.TextField(_("Reason for lifting"), blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    appeal_status = models.CharField(
        _("Appeal"), max_length=20, choices=AppealStatus.choices, default=AppealStatus.NONE, blank=True
    )
    appeal_reason = models.TextField(_("Reason for the appeal"), blank=True)
    appeal_filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    appeal_filed_at = models.DateTimeField(null=True, blank=True)
    appeal_decision = models.TextField(_("Decision on the appeal"), blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    appeal_decided_at = models.DateTimeField(null=True, blank=True)

    objects = ProviderBanQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("Provider ban")
        verbose_name_plural = _("Provider bans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=models.F("starts_on")),
                name="ban_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return f"ban {self.pk}: {self.provider_id} {self.starts_on}–{self.ends_on or 'permanent'}"

    @property
    def is_permanent(self) -> bool:
        return self.ends_on is None

    @property
    def refusal(self) -> str:
        """Why the banned provider may not quote, naming the day it may again."""
        if self.ends_on is None:
            return _("Your organisation is permanently banned from quoting.")
        return _("Your organisation is banned from quoting until %(end)s.") % {"end": self.ends_on.isoformat()}

    def in_force_on(self, today) -> bool:
        return self.lifted_at is None and self.starts_on <= today and (self.ends_on is None or today < self.ends_on)
