"""Computed statistics, kept so that the public page never aggregates on a visitor's request."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatsSnapshot(models.Model):
    """One computation of the market statistics (``selectors.compute``); the newest one is shown."""

    computed_at = models.DateTimeField(_("Computed at"), default=timezone.now, db_index=True)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("Statistics snapshot")
        verbose_name_plural = _("Statistics snapshots")
        ordering = ["-computed_at", "-pk"]

    def __str__(self):
        return f"statistics computed at {self.computed_at:%Y-%m-%d %H:%M}"
