"""One rating per completed order, by its buyer, with one public reply by the provider."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DIMENSIONS = ("quality", "timeliness", "communication", "price_fairness")
STARS = [MinValueValidator(1), MaxValueValidator(5)]


class Rating(models.Model):
    service_order = models.OneToOneField("hiring.ServiceOrder", on_delete=models.PROTECT, related_name="rating")
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="ratings")
    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="ratings"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    quality = models.PositiveSmallIntegerField(_("Quality"), validators=STARS)
    timeliness = models.PositiveSmallIntegerField(_("Timeliness"), validators=STARS)
    communication = models.PositiveSmallIntegerField(_("Communication"), validators=STARS)
    price_fairness = models.PositiveSmallIntegerField(_("Price fairness"), validators=STARS)
    overall = models.DecimalField(max_digits=3, decimal_places=2, help_text="Mean of the four dimensions.")
    comment = models.TextField(_("Comment"), blank=True)
    reply = models.TextField(_("Provider's reply"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quality__range=(1, 5))
                & models.Q(timeliness__range=(1, 5))
                & models.Q(communication__range=(1, 5))
                & models.Q(price_fairness__range=(1, 5)),
                name="rating_stars_1_to_5",
            )
        ]

    def __str__(self):
        return f"{self.overall} for {self.provider_id}"


class AuthorityEvaluation(models.Model):
    """An issuing authority's view of a deliverable it used in an approval: one per (order, authority)."""

    service_order = models.ForeignKey(
        "hiring.ServiceOrder", on_delete=models.PROTECT, related_name="authority_evaluations"
    )
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="authority_evaluations")
    authority = models.ForeignKey(
        "signing.IssuingAuthority", on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("Authority")
    )
    approval_number = models.CharField(
        _("Approval or permit number"),
        max_length=60,
        help_text=_("The approval in which the deliverable was used."),
    )
    # Set when the number is a permit this platform sealed for the same holder.
    permit = models.ForeignKey("signing.Permit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    quality = models.PositiveSmallIntegerField(_("Quality"), validators=STARS)
    timeliness = models.PositiveSmallIntegerField(_("Timeliness"), validators=STARS)
    overall = models.DecimalField(max_digits=3, decimal_places=2, help_text="Mean of quality and timeliness.")
    comment = models.TextField(_("Comment"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Authority evaluation")
        verbose_name_plural = _("Authority evaluations")
        constraints = [
            models.UniqueConstraint(fields=["service_order", "authority"], name="one_evaluation_per_order_authority"),
            models.CheckConstraint(
                condition=models.Q(quality__range=(1, 5)) & models.Q(timeliness__range=(1, 5)),
                name="authority_evaluation_stars_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.overall} by authority {self.authority_id} for {self.provider_id}"


class PlatformEvaluation(models.Model):
    """Platform staff's rating of a provider's conduct, for one order or for a period, with a reason."""

    class Ground(models.TextChoices):
        OBJECTIONS = "objections", _("Objections")
        DISPUTES = "disputes", _("Disputes")
        TIME_LIMITS = "time_limits", _("Time limits")
        OTHER = "other", _("Other conduct")

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="platform_evaluations")
    service_order = models.ForeignKey(
        "hiring.ServiceOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="platform_evaluations"
    )
    period_start = models.DateField(_("Period from"), null=True, blank=True)
    period_end = models.DateField(_("Period to"), null=True, blank=True)
    ground = models.CharField(_("Ground"), max_length=20, choices=Ground.choices)
    conduct = models.PositiveSmallIntegerField(_("Conduct"), validators=STARS)
    reason = models.TextField(_("Reason"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Platform evaluation")
        verbose_name_plural = _("Platform evaluations")
        constraints = [
            models.CheckConstraint(condition=models.Q(conduct__range=(1, 5)), name="platform_evaluation_1_to_5"),
            models.CheckConstraint(
                condition=models.Q(service_order__isnull=False)
                | models.Q(period_start__isnull=False, period_end__isnull=False),
                name="platform_evaluation_order_or_period",
            ),
        ]

    def __str__(self):
        return f"{self.conduct} by the platform for {self.provider_id}"
