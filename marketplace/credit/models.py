"""The credit record's own data: appeals of its entries, and the negative behaviour staff record
(what no other table tells: a false qualification, or an award declined or a contract left unsigned
outside the platform's own records, which count by themselves).
The entries themselves are rows of the apps below (ratings, evaluations, orders, disputes,
objections), read by ``selectors``; the latest score and grade are a snapshot on ``providers.Provider``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models import Provider


class CreditSource(models.TextChoices):
    """Where a credit entry comes from; with the source row's id it names the entry."""

    BUYER = "buyer", _("Buyer rating")
    AUTHORITY = "authority", _("Authority evaluation")
    PLATFORM = "platform", _("Platform evaluation")
    DELIVERY = "delivery", _("Delivery against the deadline")
    DISPUTE = "dispute", _("Dispute decided against the provider")
    OBJECTION = "objection", _("Upheld objection to an award")
    OVERDUE = "overdue", _("Delivery overdue")
    DECLINED = "declined", _("Award declined by the selected provider")
    UNSIGNED = "unsigned", _("Contract not sealed by the provider in time")
    RECORDED = "recorded", _("Negative behaviour recorded by staff")


class CreditAppeal(models.Model):
    """A provider's challenge of one credit entry; an upheld appeal removes the entry from the score."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld: entry excluded")
        REJECTED = "rejected", _("Rejected")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="credit_appeals")
    source = models.CharField(_("Source"), max_length=20, choices=CreditSource.choices)
    source_id = models.PositiveBigIntegerField()
    entry_summary = models.CharField(_("Entry"), max_length=300, help_text="The entry as the provider saw it.")
    reason = models.TextField(_("Reason for the appeal"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    decision = models.TextField(_("Decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Credit appeal")
        verbose_name_plural = _("Credit appeals")
        # Moved from the providers app (issue 14) with its table and rows; the name stays.
        db_table = "providers_creditappeal"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "source", "source_id"],
                condition=models.Q(status="pending"),
                name="one_open_credit_appeal_per_entry",
            )
        ]

    def __str__(self):
        return f"appeal {self.pk}: {self.source}:{self.source_id} ({self.status})"


class NegativeEvent(models.Model):
    """A negative-behaviour event staff record with its evidence; it deducts the published penalty
    of its kind (``CREDIT_PENALTIES``) and appears on the public negative-behaviour list."""

    class Kind(models.TextChoices):
        AWARD_DECLINED = "award_declined", _("Awardee declined the award")
        CONTRACT_UNSIGNED = "contract_unsigned", _("Awardee did not sign the contract in time")
        QUALIFICATION_FALSE = "qualification_false", _("Qualification found false")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="negative_events")
    kind = models.CharField(_("Kind"), max_length=30, choices=Kind.choices)
    occurred_on = models.DateField(_("Date"))
    evidence = models.TextField(_("Evidence"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        verbose_name = _("Negative-behaviour event")
        verbose_name_plural = _("Negative-behaviour events")

    def __str__(self):
        return f"{self.provider_id}: {self.kind} ({self.occurred_on})"
