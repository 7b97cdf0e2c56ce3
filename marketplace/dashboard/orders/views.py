"""Oscar's order dashboard, with the actions that would bypass the service lifecycle refused.

A service order's status, payments and refunds change only through marketplace.hiring and
marketplace.payments services, which check who acts, keep the ledger balanced and record events.
Oscar's dashboard would set the status or add payment events directly; for service orders those
actions now stop with a message pointing to the order's own page.
"""

from django.contrib import messages
from django.utils.translation import gettext as _
from oscar.apps.dashboard.orders import views as oscar_views

from marketplace.hiring.models import ServiceOrder


def _refuse_service_order(request, order) -> bool:
    if not ServiceOrder.objects.filter(order=order).exists():
        return False
    messages.error(
        request,
        _(
            "Order %(number)s is a service order: change its status, payments and refunds from the "
            "order's own page, where every step is checked and recorded."
        )
        % {"number": order.number},
    )
    return True


class OrderListView(oscar_views.OrderListView):
    def change_order_status(self, request, order):
        if _refuse_service_order(request, order):
            return None
        return super().change_order_status(request, order)


class OrderDetailView(oscar_views.OrderDetailView):
    def change_order_status(self, request, order):
        if _refuse_service_order(request, order):
            return self.reload_page()
        return super().change_order_status(request, order)

    def change_line_statuses(self, request, order, lines, quantities):
        if _refuse_service_order(request, order):
            return self.reload_page()
        return super().change_line_statuses(request, order, lines, quantities)

    def create_order_payment_event(self, request, order):
        if _refuse_service_order(request, order):
            return self.reload_page()
        return super().create_order_payment_event(request, order)

    def create_shipping_event(self, request, order, lines, quantities):
        if _refuse_service_order(request, order):
            return self.reload_page()
        return super().create_shipping_event(request, order, lines, quantities)

    def create_payment_event(self, request, order, lines, quantities):
        if _refuse_service_order(request, order):
            return self.reload_page()
        return super().create_payment_event(request, order, lines, quantities)
