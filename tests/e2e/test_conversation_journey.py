"""A conversation in a browser: the buyer writes on the order, the provider (in its own browser) sees
it with a notification in its header, replies and corrects its reply; the buyer sees the answer
arrive without reloading; the buyer opens a dispute, and the staff member deciding it reads the whole
conversation, both versions of the corrected message included, on the order page. Phone width."""

import pytest

from tests.e2e.conftest import chromium
from tests.e2e.test_hiring_journey import log_in
from tests.factories import make_buyer, make_certified_provider, make_service_order, pay, staff_user

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def test_buyer_and_provider_talk_and_staff_read_it_in_the_dispute(live_server, catalogue, settings):
    settings.CONVERSATION_POLL_SECONDS = 1  # the page's own polling, quickened for the test
    eia = catalogue.get(code="eia")
    enterprise, buyer = make_buyer()
    provider = make_certified_provider(categories=[eia])
    provider_user = provider.memberships.get().user
    order = make_service_order(enterprise=enterprise, buyer=buyer, provider=provider, category=eia)
    pay(order)
    staff = staff_user()
    url = live_server.url + order.get_absolute_url()

    with chromium() as browser:
        buyer_context = browser.new_context(locale="en-US", viewport=PHONE)
        provider_context = browser.new_context(locale="en-US", viewport=PHONE)
        buyer_page, provider_page = buyer_context.new_page(), provider_context.new_page()
        for p in (buyer_page, provider_page):
            p.set_default_timeout(20_000)
        errors = []
        buyer_page.on("pageerror", lambda e: errors.append(str(e)))

        log_in(buyer_page, live_server, buyer.email)
        buyer_page.goto(url)
        buyer_page.fill("#message-body", "Could you send the monitoring points before the site visit?")
        buyer_page.get_by_role("button", name="Send").click()
        buyer_page.wait_for_selector("text=Could you send the monitoring points")

        log_in(provider_page, live_server, provider_user.email)
        provider_page.goto(live_server.url + "/")
        assert provider_page.locator(".site-notifications [data-unread]").count() == 1  # the header's badge
        provider_page.goto(url)
        assert provider_page.is_visible("text=Could you send the monitoring points")
        provider_page.fill("#message-body", "Six points along the east boundary.")
        provider_page.get_by_role("button", name="Send").click()
        provider_page.wait_for_selector("text=Six points along the east boundary.")
        provider_page.click("text=Correct this message")
        provider_page.fill("textarea[name=body] >> nth=0", "Six points on the east boundary, two at the nearest homes.")
        provider_page.get_by_role("button", name="Save the correction").click()
        provider_page.wait_for_selector("text=two at the nearest homes")

        # The buyer's page, left open, shows the reply by itself, and the provider has read its message.
        buyer_page.wait_for_selector("text=two at the nearest homes", timeout=30_000)
        assert buyer_page.is_visible("text=Read by the other party")

        buyer_page.click("text=Open a dispute")
        dispute = buyer_page.locator("form[action$='/dispute/']")
        dispute.locator("textarea, input[name=reason]").first.fill(
            "The monitoring plan leaves out the school on the north side."
        )
        with buyer_page.expect_navigation():
            dispute.get_by_role("button", name="Open dispute").click()
        buyer_page.wait_for_load_state("networkidle")
        provider_page.goto("about:blank")
        buyer_page.goto("about:blank")

        staff_context = browser.new_context(locale="en-US", viewport=PHONE)
        staff_page = staff_context.new_page()
        staff_page.set_default_timeout(20_000)
        log_in(staff_page, live_server, staff.email)
        staff_page.goto(live_server.url + "/orders/disputes/")
        staff_page.click(f"text={order.order.number}")
        conversation = staff_page.locator("#conversation")
        assert "part of the dispute's evidence" in conversation.text_content()
        assert "Could you send the monitoring points" in conversation.text_content()
        assert "two at the nearest homes" in conversation.text_content()
        staff_page.click("text=Earlier versions")
        assert staff_page.is_visible("text=Six points along the east boundary.")
        assert conversation.locator("textarea[name=body]").count() == 0  # staff read, the teams write
        width = staff_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        assert errors == []
