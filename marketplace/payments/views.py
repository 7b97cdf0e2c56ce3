"""The provider's earnings page. The order's payment pages and the gateway's webhook endpoint move the
order, so they live with hiring (``marketplace.hiring.payment_views``, ``marketplace.hiring.webhooks``).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Sum
from django.views.generic import TemplateView

from . import selectors
from .models import Payout
from .money import fen_to_yuan


class EarningsView(LoginRequiredMixin, TemplateView):
    template_name = "payments/earnings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payouts = selectors.payouts_for_user(user=self.request.user)
        totals = dict(payouts.values_list("status").annotate(total=Sum("amount_fen")).values_list("status", "total"))
        context.update(
            payouts=payouts[:200],
            pending=fen_to_yuan(totals.get(Payout.Status.PENDING, 0)),
            paid_out=fen_to_yuan(totals.get(Payout.Status.PAID, 0)),
        )
        return context
