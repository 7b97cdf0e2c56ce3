"""The approval chain in a browser: an enterprise opens a case, adds the order it hired (paid through
the payment service), the provider delivers under a sealed delivery note, the buyer accepts and
submits the case, the authority's officer accepts it and issues the permit citing the note, and a
verifier uploading the permit sees the chain, each cited note confirmed genuine."""

import datetime

import pytest
from django.utils import timezone

from marketplace.approvals.models import ApprovalMatter, Case
from signing import services as signing_services
from signing.models import DocumentKind
from tests.e2e.test_hiring_journey import log_in
from tests.factories import (
    AuthorityMemberFactory,
    IssuingAuthorityFactory,
    UserFactory,
    make_buyer,
    make_certified_provider,
    make_service_order,
    pay,
)
from tests.factories.contracts import seal_from_material
from tests.factories.providers import PDF_BYTES
from tests.signing.conftest import seal_material  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_case_to_permit_to_verifier(page, live_server, catalogue, seal_material):  # noqa: F811
    eia = catalogue.get(code="eia")
    authority = IssuingAuthorityFactory(name="Test Ecology Bureau", number_prefix="TEB")
    seal = seal_from_material(seal_material, authority=authority)
    officer = AuthorityMemberFactory(authority=authority, user=UserFactory(email="officer@bureau.example")).user
    signing_services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    matter = ApprovalMatter.objects.create(
        code="eia-approval", name="EIA approval", authority=authority, time_limit_days=20
    )
    matter.service_items.set([eia])
    enterprise, buyer = make_buyer()
    provider = make_certified_provider(categories=[eia], owner=UserFactory(email="eia@provider.example"))

    # 1. The enterprise opens a case for the matter.
    log_in(page, live_server, buyer.email)
    page.goto(live_server.url + f"/cases/new/?matter={matter.code}")
    page.fill("#id_project_name", "Paint shop")
    page.fill("#id_site", "Yizhuang, Beijing")
    page.select_option("#id_region", "110000")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_selector("text=Hire the required services for it.")
    case = Case.objects.get()

    # 2. It hired the assessment (the payment goes through the payment service) and adds it to the case.
    order = make_service_order(enterprise=enterprise, buyer=buyer, provider=provider, category=eia)
    pay(order)
    page.reload()
    page.select_option("#attach-order", str(order.pk))
    page.get_by_role("button", name="Add to the case").click()
    page.wait_for_selector(f"text=Order {order.order.number} is now part of case {case.code}.")

    # 3. The provider delivers: its seal is made, the delivery note sealed with it.
    log_in(page, live_server, "eia@provider.example")
    page.goto(live_server.url + order.get_absolute_url())
    page.set_input_files("#id_file", {"name": "eia-report.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_selector("text=eia-report.pdf")
    page.get_by_role("button", name="Create our organisation's electronic seal").click()
    page.get_by_role("button", name="Mark delivered").click()
    page.wait_for_selector(".order-status:has-text('Delivered')")
    note = order.delivery_notes.get()

    # 4. The buyer accepts the delivery and submits the case.
    log_in(page, live_server, buyer.email)
    page.goto(live_server.url + order.get_absolute_url())
    page.check("#accept-confirm")
    page.get_by_role("button", name="Accept delivery").click()
    page.wait_for_selector(".order-status:has-text('Completed')")
    page.goto(live_server.url + case.get_absolute_url())
    assert note.number in page.inner_text(".case-chain")
    page.check("#submit-confirm")
    page.get_by_role("button", name="Submit to the authority").click()
    page.wait_for_selector(".status--submitted")

    # 5. The officer sees the note in what was relied on, accepts, and issues the permit from the case.
    log_in(page, live_server, officer.email)
    page.goto(live_server.url + "/authority/cases/")
    page.get_by_role("link", name=case.code).click()
    # A click only starts the navigation: wait for the case page's decision form (after the relied-on table).
    page.wait_for_selector("input[name=decision][value=accept]")
    assert note.number in page.content() and note.sha256 in page.content()
    page.check("input[name=decision][value=accept]")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_role("link", name="Issue the permit").click()
    assert note.number in page.inner_text(".registry-citations")  # what the permit will cite
    today = timezone.localdate()
    page.fill("#id_valid_from", today.isoformat())
    page.fill("#id_valid_until", (today + datetime.timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Issue and seal").click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == Case.Status.PERMIT_ISSUED and case.permit is not None

    # 6. Anyone verifies the permit and sees the chain, the cited note confirmed.
    page.context.clear_cookies()
    permit_pdf = bytes(case.permit.document.pdf)
    page.goto(live_server.url + "/verify/")
    page.set_input_files(
        "input[type=file]", {"name": "permit.pdf", "mimeType": "application/pdf", "buffer": permit_pdf}
    )
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector("[data-verdict]")
    assert page.get_attribute("[data-verdict]", "data-verdict") == "valid"
    cited = page.locator(".registry-citations li").first
    assert note.number in cited.inner_text() and case.code in cited.inner_text()
    assert cited.locator("[data-citation-check]").get_attribute("data-citation-check") == "genuine"
