"""Who may quote on a request: certified, qualified at the grade asked, serving the region, and —
for a request addressed to one provider — that provider."""

from django.utils.translation import gettext_lazy as _

from marketplace.core.regions import get_region
from providers import selectors as provider_selectors
from providers.models import Provider, Qualification

from .models import GRADE_RANK, RequestForQuotes, grade_rank


def provider_serves_region(*, provider: Provider, category, region_code: str) -> bool:
    """The provider's own region, or a published listing in the category serving it, covers the code."""
    own = get_region(provider.region)
    if own and own.contains(region_code):
        return True
    for code in provider_selectors.listing_regions_served(provider=provider, category=category):
        served = get_region(code)
        if served and served.contains(region_code):
            return True
    return False


def provider_ineligibility(*, provider: Provider, request: RequestForQuotes, today=None) -> str | None:
    """Why ``provider`` may not quote on ``request`` (a message for the provider), or None."""
    if provider.status != Provider.Status.CERTIFIED:
        return _("Only certified providers may quote.")
    if request.invited_provider_id and request.invited_provider_id != provider.pk:
        return _("This request is addressed to another provider.")
    qualifications = Qualification.objects.in_force(today=today).filter(provider=provider, category=request.category)
    needed = GRADE_RANK.get(request.required_grade, 0)
    if not any(grade_rank(q.grade) >= needed for q in qualifications):
        return _("You need an approved, unexpired qualification for this service item at the required grade.")
    if not provider_serves_region(provider=provider, category=request.category, region_code=request.region):
        return _("You do not serve the project's region.")
    return None
