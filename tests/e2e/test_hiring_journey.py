"""An enterprise posts a request, two providers quote, the request closes, the buyer sees the
result, the order is paid (payment service), delivered, accepted and rated."""

import datetime

import pytest
from django.utils import timezone

from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import services as procurement
from marketplace.procurement.models import RequestForQuotes
from tests.factories import UserFactory, make_buyer, make_certified_provider, pay
from tests.factories.providers import PDF_BYTES

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def log_in(page, live_server, email):
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_login-username", email)
    page.fill("#id_login-password", PASSWORD)
    page.click("button[name=login_submit]")
    page.wait_for_load_state()


def test_request_to_rating(page, live_server, catalogue):
    eia = catalogue.get(code="eia")
    enterprise, buyer = make_buyer()
    cheap = make_certified_provider(categories=[eia], owner=UserFactory(email="cheap@provider.example"))
    dear = make_certified_provider(categories=[eia], owner=UserFactory(email="dear@provider.example"))

    # 1. The buyer publishes a lowest-price request.
    log_in(page, live_server, buyer.email)
    page.goto(live_server.url + "/requests/new/")
    page.select_option("#id_category", str(eia.pk))
    page.fill("#id_title", "EIA for the paint shop")
    page.fill("#id_description", "Environmental impact report for a 3,000 m² paint shop.")
    page.select_option("#id_region", "110000")
    page.fill("#id_budget", "90000")
    deadline = timezone.localtime() + datetime.timedelta(days=2)
    page.fill("#id_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_method", "lowest_price")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Your request is published.")
    request = RequestForQuotes.objects.get()
    assert page.locator("text=Quotes are sealed until the deadline").is_visible()

    # 2. Two providers quote; neither sees the other's price.
    for owner, price in ((dear.memberships.get().user, "80000"), (cheap.memberships.get().user, "65000")):
        log_in(page, live_server, owner.email)
        page.goto(live_server.url + request.get_absolute_url())
        page.fill("#id_price", price)
        page.fill("#id_service_days", "30")
        page.get_by_role("button", name="Submit sealed quote").click()
        page.wait_for_selector("text=Your quote is submitted")
    assert "80000" not in page.content()

    # 3. The deadline passes and the periodic job closes the request.
    RequestForQuotes.objects.filter(pk=request.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    procurement.requests_close_due()
    log_in(page, live_server, buyer.email)
    page.goto(live_server.url + request.get_absolute_url())
    assert "Selected:" in page.locator(".rfq-winner").inner_text()
    assert cheap.name in page.locator(".rfq-winner").inner_text()

    # 4. Publicity ends without objection: the award becomes an order; payment is recorded.
    RequestForQuotes.objects.filter(pk=request.pk).update(publicity_ends_at=timezone.now())
    procurement.requests_close_due()
    order = ServiceOrder.objects.get(request=request)
    pay(order)

    # 5. The provider uploads the report and marks it delivered.
    log_in(page, live_server, cheap.memberships.get().user.email)
    page.goto(live_server.url + order.get_absolute_url())
    page.set_input_files("#id_file", {"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_selector("text=report.pdf")
    # Delivering seals a delivery note with the provider's seal: the page offers to create it first.
    page.get_by_role("button", name="Create our organisation's electronic seal").click()
    page.wait_for_selector("text=Your organisation's electronic seal is ready.")
    page.get_by_role("button", name="Mark delivered").click()
    page.wait_for_selector(".order-status:has-text('Delivered')")
    assert f"JF-{order.order.number}-1" in page.inner_text(".order-delivery-notes")

    # 6. The buyer accepts and rates.
    log_in(page, live_server, buyer.email)
    page.goto(live_server.url + order.get_absolute_url())
    page.get_by_role("button", name="Accept delivery").click()  # unconfirmed: the browser asks for the box
    assert "Delivered" in page.inner_text(".order-status")
    page.check("#accept-confirm")
    page.get_by_role("button", name="Accept delivery").click()
    page.wait_for_selector(".order-status:has-text('Completed')")
    assert "released to" in page.content()
    page.select_option("#id_quality", "5")
    page.select_option("#id_timeliness", "4")
    page.select_option("#id_communication", "5")
    page.select_option("#id_price_fairness", "4")
    page.fill("#id_comment", "Clear report, approved first time.")
    page.get_by_role("button", name="Submit rating").click()
    page.wait_for_selector("text=Thank you for your rating.")

    page.goto(live_server.url + cheap.get_absolute_url())
    assert page.locator("text=Clear report, approved first time.").is_visible()
    assert enterprise.service_orders.get().order.status == "completed"
