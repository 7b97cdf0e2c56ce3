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


class OcdsDailyPackage(models.Model):
    """One finished day's OCDS release package, written once (``ocds.daily``) and served as written."""

    day = models.DateField(_("Day"), unique=True)
    # The JSON exactly as served, so the file a reuser downloaded today is the one served next year.
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    releases = models.PositiveIntegerField(_("Releases"))
    written_at = models.DateTimeField(_("Written at"), default=timezone.now)

    class Meta:
        verbose_name = _("Daily open contracting data package")
        verbose_name_plural = _("Daily open contracting data packages")
        ordering = ["-day"]

    def __str__(self):
        return f"OCDS releases of {self.day:%Y-%m-%d}"
