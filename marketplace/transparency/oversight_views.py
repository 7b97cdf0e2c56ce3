"""Staff watch lists: thin pages over ``oversight`` selectors, each paginated, each staff-only."""

from django.conf import settings
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from marketplace.core.permissions import StaffRequiredMixin

from . import oversight


class OverviewView(StaffRequiredMixin, TemplateView):
    template_name = "transparency/oversight/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            counts=oversight.overview_counts(),
            window_days=settings.OVERSIGHT_WINDOW_DAYS,
            expiry_days=settings.OVERSIGHT_EXPIRY_DAYS,
        )
        return context


class _WatchList(StaffRequiredMixin, TemplateView):
    """One page of a selector's rows; ``annotate_row`` adds figures computed from loaded fields."""

    per_page = 25
    title = ""

    def rows(self):
        raise NotImplementedError

    def annotate_row(self, row):
        return row

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        page = Paginator(self.rows(), self.per_page).get_page(self.request.GET.get("page"))
        context.update(page=page, rows=[self.annotate_row(row) for row in page.object_list], title=self.title)
        return context


class OverdueOrdersView(_WatchList):
    template_name = "transparency/oversight/overdue.html"
    title = _("Overdue orders")

    def rows(self):
        return oversight.overdue_orders(now=self.now)

    def annotate_row(self, row):
        row.days_overdue = oversight.days_overdue(row, now=self.now)
        return row


class ProvidersBelowThresholdView(_WatchList):
    template_name = "transparency/oversight/providers.html"
    title = _("Providers below a threshold")

    def rows(self):
        return oversight.providers_below_threshold(now=self.now)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            window_days=settings.OVERSIGHT_WINDOW_DAYS,
            min_rating=settings.OVERSIGHT_MIN_RATING,
            min_on_time_percent=round(100 * settings.OVERSIGHT_MIN_ON_TIME_RATE),
            min_sample=settings.OVERSIGHT_MIN_SAMPLE,
        )
        return context


class _QualificationList(_WatchList):
    template_name = "transparency/oversight/qualifications.html"

    def annotate_row(self, row):
        row.days_left = oversight.days_left(row, today=self.today)
        row.days_lapsed = -row.days_left
        return row


class ExpiringQualificationsView(_QualificationList):
    title = _("Qualifications expiring soon")

    def rows(self):
        return oversight.expiring_qualifications(today=self.today)

    def get_context_data(self, **kwargs):
        return super().get_context_data(expiry_days=settings.OVERSIGHT_EXPIRY_DAYS, **kwargs)


class ExpiredQualificationsView(_QualificationList):
    title = _("Expired qualifications behind published listings")

    def rows(self):
        return oversight.expired_qualifications_with_listings(today=self.today)

    def get_context_data(self, **kwargs):
        return super().get_context_data(expired=True, **kwargs)


class _AgedList(_WatchList):
    def annotate_row(self, row):
        row.age_days = oversight.age_in_days(row.created_at, now=self.now)
        return row


class OpenObjectionsView(_AgedList):
    template_name = "transparency/oversight/objections.html"
    title = _("Open objections")

    def rows(self):
        return oversight.open_objections()


class OpenDisputesView(_AgedList):
    template_name = "transparency/oversight/disputes.html"
    title = _("Open disputes")

    def rows(self):
        return oversight.open_disputes()
