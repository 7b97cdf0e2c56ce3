"""Oscar's staff dashboard cannot move a service order around the lifecycle services."""

import pytest
from django.urls import reverse

from marketplace.hiring.models import Status
from tests.factories import UserFactory, make_service_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_order(buyer, providers):
    enterprise, owner = buyer
    return make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])


def test_dashboard_cannot_change_a_service_orders_status(client, service_order):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("dashboard:order-detail", kwargs={"number": service_order.order.number})
    response = client.post(url, {"order_action": "change_order_status", "new_status": Status.IN_SERVICE}, follow=True)
    service_order.order.refresh_from_db()
    assert service_order.order.status == Status.AWAITING_PAYMENT
    assert "is a service order" in response.content.decode()


def test_dashboard_bulk_status_change_skips_service_orders(client, service_order):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("dashboard:order-list"),
        {
            "action": "change_order_statuses",
            "selected_order": [service_order.order.pk],
            "new_status": Status.IN_SERVICE,
        },
        follow=True,
    )
    service_order.order.refresh_from_db()
    assert service_order.order.status == Status.AWAITING_PAYMENT
    assert "is a service order" in response.content.decode()


def test_dashboard_cannot_add_a_payment_event_to_a_service_order(client, service_order):
    from oscar.apps.order.models import PaymentEventType

    PaymentEventType.objects.get_or_create(code="paid", defaults={"name": "Paid"})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("dashboard:order-detail", kwargs={"number": service_order.order.number})
    response = client.post(
        url,
        {"order_action": "create_order_payment_event", "amount": "48000", "payment_event_type": "paid"},
        follow=True,
    )
    assert "is a service order" in response.content.decode()
    assert not service_order.order.payment_events.exists()
