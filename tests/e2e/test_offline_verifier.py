"""The offline verifier in a browser: the page is opened once online, then the network is cut
(Playwright's offline mode, and every request that would leave the browser refused); the page
reloads from its service worker and checks the signed code on a permit rendered from the issued
PDF (pdftoppm), decoded by the vendored zxing-wasm and verified with WebCrypto. A revocation reaches
the page with the next list it fetches online; Chinese works offline too.

Sealing runs before the browser starts (pyHanko runs its own event loop; see conftest.chromium), and
the test reads the database only while the browser is idle: the live server answers on another
thread over the same SQLite connection."""

import shutil
import subprocess

import pytest
from django.core.cache import cache

from signing import demo, qr_payload, services
from signing.services import document_signers
from tests.e2e.conftest import chromium
from tests.e2e.test_hiring_journey import log_in
from tests.signing.test_offline_qr import foreign_signer, resigned_payload, screen_code_shown_later

pytestmark = pytest.mark.django_db(transaction=True)


def permit_picture(permit, tmp_path, dpi=200):
    """The permit's first page as a scanner would give it."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("needs poppler's pdftoppm (Debian poppler-utils)")
    (tmp_path / "permit.pdf").write_bytes(bytes(permit.document.pdf))
    subprocess.run(  # noqa: S603 - fixed arguments
        [pdftoppm, "-r", str(dpi), "-png", "-f", "1", "-l", "1", str(tmp_path / "permit.pdf"), str(tmp_path / "page")],
        check=True,
    )
    return next(tmp_path.glob("page*.png"))


def go_offline(context):
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


def open_ready(page, url):
    """Open the page online and wait until its service worker controls it and its list is loaded."""
    page.goto(url)
    page.wait_for_selector("[data-offline-ready]")
    page.wait_for_function("navigator.serviceWorker.controller !== null")  # clients.claim() on activation
    page.wait_for_selector("[data-list-made]")


def verdict_of(page):
    page.wait_for_selector("[data-scan-result]:not([hidden])")
    page.wait_for_function("!['reading'].includes(document.querySelector('[data-scan-result]').dataset.verdictValue)")
    return page.get_attribute("[data-scan-result]", "data-verdict-value")


def test_a_printed_permit_checks_offline_and_its_revocation_arrives_online(
    live_server, issued_permit, granted_officer, tmp_path
):
    services.authority_ensure(**demo.PLATFORM)
    cache.delete(document_signers.TRUST_LIST_CACHE_KEY)
    picture = permit_picture(issued_permit, tmp_path)
    # The validity stretched to 2099, the signature kept: what a forger can do.
    forged = resigned_payload(
        document_signers.permit_signed_code(permit=issued_permit), lambda d: d.update(u="2099-12-31")
    )

    with chromium() as browser:
        context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        open_ready(page, live_server.url + "/verify/scan/")
        assert "Trust list made" in page.text_content("[data-list-status]")

        go_offline(context)
        response = page.reload()
        assert response.from_service_worker  # the network is gone: the service worker served the page
        page.wait_for_selector("[data-list-made]")
        page.set_input_files("#scan-file", str(picture))
        assert verdict_of(page) == "valid"
        assert page.text_content("[data-claim=number]") == issued_permit.number
        assert page.text_content("[data-claim=credit_code]") == issued_permit.holder.credit_code
        assert page.text_content("[data-claim=authority]").startswith(issued_permit.authority.name)
        assert "does not carry the file's SHA-256" in page.text_content("[data-verdict-detail]")

        page.fill("#scan-text", forged)
        page.get_by_role("button", name="Check").click()
        page.wait_for_function("document.querySelector('[data-scan-result]').dataset.verdictValue === 'tampered'")
        page.fill("#scan-text", "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH")
        page.get_by_role("button", name="Check").click()
        page.wait_for_function("document.querySelector('[data-scan-result]').dataset.verdictValue === 'unreadable'")

        # The permit is revoked (by its officer, in another browser); offline the page cannot know and
        # still reads its old list. Online once, it fetches the new list; offline again: "revoked".
        desk = browser.new_context(locale="en-US")
        officer = desk.new_page()
        log_in(officer, live_server, granted_officer.email)
        officer.goto(live_server.url + f"/authority/permits/{issued_permit.pk}/")
        officer.fill("#id_reason", "Obtained by fraud.")
        with officer.expect_navigation():
            officer.click("button[value=revoke]")
        officer.wait_for_load_state("networkidle")
        desk.close()
        page.set_input_files("#scan-file", str(picture))
        page.wait_for_function("document.querySelector('[data-scan-result]').dataset.verdictValue === 'valid'")
        go_online(context)
        open_ready(page, live_server.url + "/verify/scan/")
        go_offline(context)
        assert page.reload().from_service_worker
        page.wait_for_selector("[data-list-made]")
        page.set_input_files("#scan-file", str(picture))
        assert verdict_of(page) == "revoked"
        assert "since" in page.text_content("[data-verdict-detail]")
        assert errors == []
        context.close()
    # Only now, with no request in flight (the live server shares this thread's database connection).
    issued_permit.refresh_from_db()
    assert issued_permit.status == "revoked"


def test_in_chinese_an_old_screen_code_reads_expired_an_unknown_key_unknown_and_base45_decodes(
    live_server, issued_permit, tmp_path
):
    services.authority_ensure(**demo.PLATFORM)
    cache.delete(document_signers.TRUST_LIST_CACHE_KEY)
    # A screenshot of the holder's screen shown five minutes later, and a code signed by a key the
    # platform never certified (naming the same bureau).
    old_screen_code = screen_code_shown_later(issued_permit)
    key, certificate = foreign_signer(issued_permit.authority.code)
    unknown_key_code = qr_payload.encode(
        document_signers.permit_claims(issued_permit), private_key=key, certificate=certificate
    )
    fresh_screen_code = document_signers.permit_signed_code(permit=issued_permit, dynamic=True)

    with chromium() as browser:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        open_ready(page, live_server.url + "/zh-hans/verify/scan/")
        assert "离线核验" in page.text_content("h1")
        # RFC 9285's examples, through the page's own decoder.
        decoded = page.evaluate(
            "['BB8', '%69 VD92EX0', 'UJCLQE7W581'].map(t => new TextDecoder().decode("
            "window.OneWindowOffline.base45Decode(t)))"
        )
        assert decoded == ["AB", "Hello!!", "base-45"]

        go_offline(context)
        assert page.reload().from_service_worker
        page.wait_for_selector("[data-list-made]")
        page.fill("#scan-text", old_screen_code)
        page.locator("[data-scan-text-form] button").click()
        page.wait_for_function("document.querySelector('[data-scan-result]').dataset.verdictValue === 'code_expired'")
        assert "已过期" in page.text_content("[data-verdict]")
        page.fill("#scan-text", unknown_key_code)
        page.locator("[data-scan-text-form] button").click()
        page.wait_for_function("document.querySelector('[data-scan-result]').dataset.verdictValue === 'unknown_key'")
        assert "信任列表" in page.text_content("[data-verdict]")
        page.fill("#scan-text", fresh_screen_code)
        page.locator("[data-scan-text-form] button").click()
        page.wait_for_function("document.querySelector('[data-scan-result]').dataset.verdictValue === 'valid'")
        assert page.text_content("[data-claim=sha256]") == issued_permit.sha256
        context.close()
