"""The buyer pays a direct order by card on the real payment page (Stripe.js served by localstripe)
and sees it in service; a declined card shows its error on the same page."""

import pytest

from tests.payments.conftest import deal, localstripe_url, stripe_settings  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def log_in(page, live_server, email):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_login-username", email)
    page.fill("#id_login-password", PASSWORD)
    page.click("button[name=login_submit]")
    page.wait_for_load_state()


def enter_card(page, number):
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10001")


def test_buyer_pays_by_card_and_the_order_is_in_service(page, live_server, stripe_settings, deal):  # noqa: F811
    order, buyer, _provider, _staff = deal
    log_in(page, live_server, buyer.email)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.click(".order-pay")
    page.wait_for_selector("#card-element input")

    enter_card(page, "4000000000000002")
    page.click("#pay-button")
    page.wait_for_selector("#payment-error:not([hidden])")
    assert "declined" in page.inner_text("#payment-error").lower()

    enter_card(page, "4242424242424242")
    page.click("#pay-button")
    page.wait_for_url(f"**/orders/{order.pk}/")
    assert page.inner_text(".order-status") == "In service"
    order.order.refresh_from_db()
    assert order.order.status == "in_service"
