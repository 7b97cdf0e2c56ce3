"""One rating per completed order, by its buyer, with one public reply by the provider."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DIMENSIONS = ("quality", "timeliness", "communication", "price_fairness")
STARS = [MinValueValidator(1), MaxValueValidator(5)]


class Rating(models.Model):
    service_order = models.OneToOneField("hiring.ServiceOrder", on_delete=models.CASCADE, related_name="rating")
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
