"""A verifier opens a permit's QR link, checks the genuine PDF, then a tampered copy."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from signing import services
from tests.signing.conftest import permit_data

pytestmark = pytest.mark.django_db(transaction=True)


def tampered(pdf: bytes) -> bytes:
    """Flip one bit inside the first content stream: the signed bytes no longer match the seal."""
    position = pdf.index(b"stream") + 40
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]


def test_verifier_checks_the_genuine_pdf_then_a_tampered_copy(page, live_server, settings, granted_officer, holder):
    settings.VERIFY_ISOLATE = False  # the live server answers in threads; isolation has its own tests
    # Sealing runs pyHanko's asyncio loop; this thread already runs playwright's, so seal in another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        permit = pool.submit(
            services.permit_issue,
            authority=granted_officer.authority_memberships.get().authority,
            actor=granted_officer,
            data=permit_data(holder),
        ).result()
    genuine = bytes(permit.document.pdf)

    page.goto(f"{live_server.url}/v/{permit.token}")
    assert permit.number in page.locator("main").inner_text()

    page.set_input_files("input[type=file]", {"name": "permit.pdf", "mimeType": "application/pdf", "buffer": genuine})
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector("[data-verdict]")
    assert page.get_attribute("[data-verdict]", "data-verdict") == "valid"
    assert page.locator("[data-compare=match]").is_visible()
    assert "Genuine and in force" in page.locator("h1").inner_text()

    page.goto(f"{live_server.url}/v/{permit.token}")
    page.set_input_files(
        "input[type=file]", {"name": "permit.pdf", "mimeType": "application/pdf", "buffer": tampered(genuine)}
    )
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector("[data-verdict]")
    assert page.get_attribute("[data-verdict]", "data-verdict") == "tampered"
    assert "changed after it was sealed" in page.locator(".verdict__message").inner_text()
