"""The staff home (``/staff/``): every OneWindow desk with the size of its queue.

Every queue is counted in one statement (``oversight.count_together``) but the cases over a time
limit, computed in a few queries whatever their number. Each desk links to the page where staff
act. Oscar's dashboard index redirects here (``marketplace.dashboard.views``), so staff land on the
platform's own desks and reach Oscar's catalogue screens from the same page.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from marketplace.approvals import selectors as approval_selectors
from marketplace.core.models import ConflictAttempt
from marketplace.core.permissions import StaffRequiredMixin
from marketplace.credit import selectors as credit_selectors
from marketplace.payments import reconciliation
from marketplace.payments import selectors as payment_selectors
from providers import selectors as provider_selectors
from providers.models import Provider

from . import oversight

RECENT_DAYS = 30
User = get_user_model()


@dataclass(frozen=True)
class Desk:
    title: Promise
    url: str
    count: int | None = None  # None: a desk with no queue (statistics, the log, catalogue screens)
    note: Promise | str = ""
    perm: str = ""  # a model permission the linked screen needs (Oscar's screens check them)

    @property
    def waiting(self) -> bool:
        return bool(self.count)


def desks(*, user, now: datetime.datetime | None = None) -> list[tuple[Promise, list[Desk]]]:
    """The desks ``user`` may open, in groups, each queue counted now."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=RECENT_DAYS)
    counts = oversight.count_together(
        {
            **oversight.overview_querysets(now=now),
            "applications": provider_selectors.providers_for_review(status=Provider.Status.PENDING_REVIEW),
            "qualifications": provider_selectors.pending_qualifications(),
            "conflicts": ConflictAttempt.objects.filter(created_at__gte=since),
            "differences": reconciliation.differences_open(),
            "chargebacks": payment_selectors.chargebacks_open(),
            "appeals": credit_selectors.pending_appeals(),
            "below_credit": credit_selectors.providers_below_threshold(),
        }
    )
    groups = [
        (
            _("Certification"),
            [
                Desk(
                    _("Provider applications"),
                    reverse("providers:review"),
                    counts["applications"],
                    _("Waiting for a review decision."),
                ),
                Desk(
                    _("Qualifications to review"),
                    reverse("providers:review"),
                    counts["qualifications"],
                ),
                Desk(_("Qualifications expiring soon"), reverse("transparency:oversight-expiring"), counts["expiring"]),
                Desk(
                    _("Expired qualifications behind published listings"),
                    reverse("transparency:oversight-expired"),
                    counts["expired"],
                ),
            ],
        ),
        (
            _("Deals and disputes"),
            [
                Desk(_("Open objections"), reverse("procurement:objections"), counts["objections"]),
                Desk(_("Open disputes"), reverse("hiring:disputes"), counts["disputes"]),
                Desk(_("Overdue orders"), reverse("transparency:oversight-overdue"), counts["overdue"]),
                Desk(
                    _("Cases over a time limit"),
                    reverse("approvals:overdue"),
                    len(approval_selectors.cases_over_time_limit(now=now)),
                ),
                Desk(
                    _("Refused conflicts of interest"),
                    reverse("fairplay:conflict-attempts"),
                    counts["conflicts"],
                    _("In the last %(days)d days.") % {"days": RECENT_DAYS},
                ),
            ],
        ),
        (
            _("Money"),
            [
                Desk(
                    _("Payment differences"),
                    reverse("payments:differences"),
                    counts["differences"],
                    _("Stripe and the ledger disagree; payouts wait."),
                ),
                Desk(_("Open chargebacks"), reverse("payments:differences"), counts["chargebacks"]),
            ],
        ),
        (
            _("Credit"),
            [
                Desk(_("Credit appeals"), reverse("providers:credit-staff"), counts["appeals"]),
                Desk(
                    _("Certified providers below the suspension threshold"),
                    reverse("providers:credit-staff"),
                    counts["below_credit"],
                ),
                Desk(
                    _("Providers below a threshold"), reverse("transparency:oversight-providers"), counts["providers"]
                ),
            ],
        ),
        (
            _("Records and catalogue"),
            [
                Desk(_("Oversight"), reverse("transparency:oversight")),
                Desk(_("Statistics"), reverse("transparency:stats-staff")),
                Desk(_("Transparency log"), reverse("transparency:log")),
                Desk(
                    _("Service items and listings (catalogue screens)"),
                    reverse("dashboard:catalogue-product-list"),
                    perm="catalogue.view_product",
                ),
                Desk(_("Users"), reverse("dashboard:users-index"), perm=f"{User._meta.app_label}.view_user"),
            ],
        ),
    ]
    return [(title, [desk for desk in group if not desk.perm or user.has_perm(desk.perm)]) for title, group in groups]


class StaffHomeView(StaffRequiredMixin, TemplateView):
    template_name = "transparency/staff_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = desks(user=self.request.user)
        context.update(
            groups=groups,
            waiting=sum(desk.count or 0 for _title, group in groups for desk in group if desk.count),
        )
        return context
