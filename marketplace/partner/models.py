"""Oscar's partner models, unchanged: a provider organisation is one ``Partner`` (see providers)."""

from oscar.apps.partner.models import *  # noqa: F403 - Oscar's fork pattern
