"""A provider registers, uploads a qualification, staff approve it, the provider publishes a
listing, and it appears on the category page."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import UserFactory, make_credit_code
from tests.factories.providers import PDF_BYTES

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def log_in(page, live_server, email):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_login-username", email)
    page.fill("#id_login-password", PASSWORD)
    page.click("button[name=login_submit]")
    page.wait_for_load_state()


def test_provider_goes_from_registration_to_a_listing_on_the_category_page(page, browser, live_server, catalogue):
    eia = catalogue.get(code="eia")
    provider_user = UserFactory(email="owner@bluesky.example")
    staff = UserFactory(email="reviewer@onewindow.example", is_staff=True)

    # 1. Register the organisation.
    log_in(page, live_server, provider_user.email)
    page.goto(live_server.url + "/providers/join/")
    page.fill("#id_name", "Blue Sky Environmental Consulting Co., Ltd.")
    page.fill("#id_name_zh", "蓝天环境咨询有限公司")
    page.fill("#id_credit_code", make_credit_code(4242))
    page.fill("#id_legal_representative", "Zhao Liu")
    page.fill("#id_address", "5 Zhongguancun Street")
    page.select_option("#id_region", "110000")
    page.fill("#id_contact_name", "Zhao Liu")
    page.fill("#id_contact_phone", "010-88886666")
    page.get_by_role("button", name="Register organisation").click()
    page.wait_for_url("**/providers/console/qualifications/")

    # 2. Upload a qualification and submit for review.
    today = timezone.localdate()
    page.select_option("#id_category", str(eia.pk))
    page.fill("#id_certificate_number", "HP-2026-0042")
    page.fill("#id_issuer", "Ministry of Ecology and Environment")
    page.fill("#id_valid_from", (today - datetime.timedelta(days=10)).isoformat())
    page.fill("#id_valid_until", (today + datetime.timedelta(days=700)).isoformat())
    page.set_input_files("#id_scan", {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
    page.get_by_role("button", name="Upload qualification").click()
    page.wait_for_selector("text=Qualification uploaded")
    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("text=Platform staff are reviewing")

    # 3. Staff approve the qualification and certify the provider.
    staff_context = browser.new_context(locale="en-US")
    staff_page = staff_context.new_page()
    staff_page.set_default_timeout(15_000)
    log_in(staff_page, live_server, staff.email)
    staff_page.goto(live_server.url + "/providers/review/")
    staff_page.get_by_role("link", name="Blue Sky Environmental Consulting Co., Ltd.").first.click()
    staff_page.get_by_role("button", name="Approve").click()
    staff_page.wait_for_selector("text=Qualification approved.")
    staff_page.get_by_role("button", name="Certify provider").click()
    staff_page.wait_for_selector("text=Provider certified.")
    staff_context.close()

    # 4. The provider publishes a listing.
    page.goto(live_server.url + "/providers/console/listings/new/")
    page.fill("#id_title", "EIA report for industrial parks")
    page.fill("#id_title_zh", "工业园区环评报告书")
    page.select_option("#id_category", str(eia.pk))
    page.fill("#id_description", "Full report with expert review.")
    page.fill("#id_description_zh", "含专家评审的完整报告。")
    page.select_option("#id_pricing_mode", "fixed")
    page.fill("#id_price", "58000")
    page.fill("#id_price_unit", "per project")
    page.fill("#id_service_days", "40")
    page.select_option("#id_regions_served", ["110000"])
    page.check("#id_published")
    page.get_by_role("button", name="Save listing").click()
    page.wait_for_selector("text=Listing saved.")
    assert page.locator("text=On sale").first.is_visible()

    # 5. Anyone sees it on the category page, with its price and provider.
    visitor = browser.new_context(locale="en-US").new_page()
    visitor.goto(live_server.url + eia.get_absolute_url())
    card = visitor.locator(".listing-card", has_text="EIA report for industrial parks")
    assert card.is_visible()
    assert "¥58,000" in card.inner_text()
    assert "Blue Sky Environmental Consulting" in card.inner_text()
    visitor.context.close()
