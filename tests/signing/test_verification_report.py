"""The sealed verification report: sealed once per check, rate limited, and readable in Chinese.

Real parts throughout: the test PKI, the platform seal made by ``pki_init``, permits issued through
``permit_issue`` and verified through the portal; the sealed report's text is read back with pypdf.
"""

import io
import re
import threading

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from signing import portal, services, verifier
from signing.demo import pki_init
from signing.models import DocumentKind, SealedDocument, SealUse
from signing.report_pdf import render_verification_report

pytestmark = pytest.mark.django_db

ISO_WITH_MICROSECONDS = re.compile(r"T\d\d:\d\d:\d\d\.\d{6}")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.VERIFY_ISOLATE = False  # isolation has its own tests; keep these fast
    cache.clear()


@pytest.fixture
def platform_seal(db):
    pki_init()


def url(name: str, *args, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


def verify_on_portal(client, pdf: bytes, language: str = "en") -> str:
    """Check ``pdf`` on the portal; return the report id its result page offers for download."""
    upload = SimpleUploadedFile("permit.pdf", pdf, content_type="application/pdf")
    html = client.post(url("signing:verify", language=language), {"file": upload}).content.decode()
    marker = "/verify/report/"
    start = html.index(marker) + len(marker)
    return html[start : html.index("/", start)]


def download(client, report_id: str, language: str = "en"):
    return client.post(url("signing:verify-report", report_id, language=language))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def reports_sealed(report_id: str) -> tuple[int, int]:
    """(SealedDocument rows, seal-use entries) for this report id."""
    documents = SealedDocument.objects.filter(kind=DocumentKind.VERIFICATION_REPORT, number=report_id).count()
    uses = SealUse.objects.filter(document_kind=DocumentKind.VERIFICATION_REPORT, document_number=report_id).count()
    return documents, uses


# --- one sealed report per check -----------------------------------------------------------------


def test_a_second_download_in_another_language_returns_the_same_sealed_report(client, issued_permit, platform_seal):
    report_id = verify_on_portal(client, bytes(issued_permit.document.pdf))

    first = download(client, report_id, language="en")
    second = download(client, report_id, language="zh-hans")

    assert first.status_code == 200 and second.status_code == 200
    assert second["Content-Type"] == "application/pdf"
    assert second.content == first.content  # the report sealed at the first download, in English
    assert "Verification report" in text_of(second.content)
    assert reports_sealed(report_id) == (1, 1)  # one platform seal for the check, not one per request
    assert services.seal_log_verify().ok


def test_a_concurrent_first_download_answers_with_the_copy_that_won(client, issued_permit, platform_seal, monkeypatch):
    """Another request seals the same report between this request's lookup and its insert.

    The race is staged, not mocked: the report renderer is wrapped so that, at the moment it is
    called (after the lookup), the competing request's real sealing runs and commits first."""
    report_id = verify_on_portal(client, bytes(issued_permit.document.pdf))
    winner = {}

    def render_while_another_request_seals(**kwargs):
        pdf = render_verification_report(**kwargs)
        winner["document"] = services.platform_seal_document(
            document_kind=DocumentKind.VERIFICATION_REPORT, document_number=report_id, pdf=pdf, reason="race"
        )
        return pdf

    monkeypatch.setattr(portal, "render_verification_report", render_while_another_request_seals)
    response = download(client, report_id)

    assert response.status_code == 200
    assert response.content == bytes(winner["document"].pdf)
    assert reports_sealed(report_id) == (1, 1)  # the loser's copy and its log entry rolled back
    assert services.seal_log_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_requests_at_once_seal_one_report(issued_permit):
    """Two threads, each with its own connection, both past the lookup before either inserts."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL); SQLite serialises every writer anyway")
    pki_init()
    report_id = "f" * 32
    pdf = render_verification_report(
        report=verifier.verify_document(bytes(issued_permit.document.pdf)), reference=report_id, language="en"
    )
    both_looked_up = threading.Barrier(2)
    results, errors = [], []

    def render():
        both_looked_up.wait(timeout=30)
        return pdf

    def work():
        try:
            document = services.platform_seal_document_once(
                document_kind=DocumentKind.VERIFICATION_REPORT, document_number=report_id, render=render, reason="race"
            )
            results.append(document.pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert reports_sealed(report_id) == (1, 1)
    assert services.seal_log_verify().ok


def test_without_a_platform_seal_the_result_page_explains_and_keeps_the_download(client, issued_permit):
    report_id = verify_on_portal(client, bytes(issued_permit.document.pdf))
    response = download(client, report_id)
    assert response.status_code == 503
    html = response.content.decode()
    assert "could not be produced" in html and "init_pki" in html
    assert f"/verify/report/{report_id}/" in html
    assert reports_sealed(report_id) == (0, 0)


# --- rate limit ----------------------------------------------------------------------------------


@pytest.fixture
def frozen_window(monkeypatch):
    """The limiter counts per clock minute; a test that crossed a minute boundary would see its
    counter reset. The clock is pinned mid-minute (the only thing replaced)."""
    monkeypatch.setattr("signing.ratelimit.time.time", lambda: 1_790_000_030.0)


def test_report_downloads_are_rate_limited_per_address_with_a_clear_429(
    client, issued_permit, platform_seal, settings, frozen_window
):
    settings.VERIFY_RATE_LIMIT_PER_MINUTE = 2
    report_id = verify_on_portal(client, bytes(issued_permit.document.pdf))
    for _ in range(2):
        assert download(client, report_id).status_code == 200

    limited = download(client, report_id)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    html = limited.content.decode()
    assert "Too many report downloads from your address" in html
    assert 'data-verdict="valid"' in html and f"/verify/report/{report_id}/" in html  # the result stays

    unknown = download(client, "0" * 32)  # limited before anything is looked up: a page, not a 500
    assert unknown.status_code == 429 and "Too many report downloads" in unknown.content.decode()

    # Downloads have their own allowance: the address can still check a document.
    assert verify_on_portal(client, bytes(issued_permit.document.pdf))
    other = client.post(url("signing:verify-report", report_id), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200  # another address has its own allowance


def test_a_rate_limited_download_is_explained_in_chinese(client, issued_permit, platform_seal, settings, frozen_window):
    settings.VERIFY_RATE_LIMIT_PER_MINUTE = 1
    report_id = verify_on_portal(client, bytes(issued_permit.document.pdf), language="zh-hans")
    download(client, report_id, language="zh-hans")
    limited = download(client, report_id, language="zh-hans")
    assert limited.status_code == 429
    assert "报告下载请求过于频繁" in limited.content.decode()


# --- the report in Chinese -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status_label", "verdict_label"),
    [(None, "有效", "真实有效"), (services.permit_suspend, "已暂停", "印章真实，但证照已暂停")],
)
def test_the_chinese_report_prints_status_and_times_as_the_page_does(
    client, issued_permit, granted_officer, platform_seal, change, status_label, verdict_label
):
    if change is not None:
        change(permit=issued_permit, actor=granted_officer, reason="现场检查发现违规")
    report_id = verify_on_portal(client, bytes(issued_permit.document.pdf), language="zh-hans")
    report = cache.get(f"verification-report:{report_id}")

    response = download(client, report_id, language="zh-hans")
    assert response.status_code == 200
    text = text_of(response.content)

    assert "核验报告" in text
    assert f"登记状态\n{status_label}\n" in text  # the label the page shows, not the raw code
    if change is not None:
        assert "现场检查发现违规" in text  # the registry's reason, as the page shows it
    assert verdict_label in text
    assert not ISO_WITH_MICROSECONDS.search(text)
    checked_at = timezone.localtime(report.checked_at).strftime("%Y-%m-%d %H:%M:%S")
    assert f"{checked_at} (UTC+08:00)" in text  # settings.TIME_ZONE is Asia/Shanghai
    assert "UTC+08:00" in text.split("时间戳", 1)[1]  # the seal's timestamp, local too
    assert f"({report.verdict.value} / {report.reason})" in text  # the codes stay, on a second line


# --- expiry --------------------------------------------------------------------------------------


def test_an_expired_report_id_answers_410_even_after_its_report_was_sealed(client, issued_permit, platform_seal):
    report_id = verify_on_portal(client, bytes(issued_permit.document.pdf))
    assert download(client, report_id).status_code == 200
    cache.delete(f"verification-report:{report_id}")  # the hour is over

    response = download(client, report_id)
    assert response.status_code == 410
    assert "That verification has expired" in response.content.decode()
    unknown = download(client, "0" * 32, language="zh-hans")
    assert unknown.status_code == 410
    assert "该次核验结果已过期" in unknown.content.decode()
