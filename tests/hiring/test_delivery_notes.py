"""Delivery notes: every delivery is attested by a PDF sealed with the provider's organisation seal,
listing each file's name, size and SHA-256; the verifier recognises the note and checks a file in
hand against it; a delivery whose note cannot be sealed does not happen."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from marketplace.hiring import delivery_notes
from marketplace.hiring import services as hiring
from marketplace.hiring.models import DeliveryNote, ServiceOrder, Status
from providers.models import ProviderMember
from signing import demo as signing_demo
from signing import services as signing_services
from signing import verifier
from signing.exceptions import TimestampError
from signing.models import DocumentKind, SealedDocument, SealUse
from tests.factories import (
    UserFactory,
    deliver,
    make_buyer,
    make_service_order,
    pay,
    pdf_upload,
    provider_owner,
    provider_seal,
)
from tests.signing.offline import module_mm, offline_check, printed_codes, printed_text, qr_version

pytestmark = pytest.mark.django_db

REPORT = b"%PDF-1.4\n% the EIA report, final\n%%EOF\n"
ANNEX = b"%PDF-1.4\n% annex: noise measurements\n%%EOF\n"


@pytest.fixture(autouse=True)
def _in_process_verification(settings):
    settings.VERIFY_ISOLATE = False  # isolation has its own tests


@pytest.fixture
def order(buyer, providers, category):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], category=category)
    pay(so)
    user = provider_owner(providers[0])
    hiring.deliverable_upload(service_order=so, user=user, file=pdf_upload("eia-report.pdf", REPORT))
    hiring.deliverable_upload(service_order=so, user=user, file=pdf_upload("噪声附件.pdf", ANNEX))
    return ServiceOrder.objects.get(pk=so.pk)


def test_delivering_seals_a_note_that_lists_every_file_and_verifies_as_the_providers(order):
    deliver(order)
    order.refresh_from_db()
    assert order.order.status == Status.DELIVERED
    note = order.delivery_notes.get()
    assert note.number == f"JF-{order.order.number}-1" and note.document.kind == DocumentKind.DELIVERY_NOTE
    assert [(f["name"], f["size"], f["sha256"]) for f in note.files] == [
        ("eia-report.pdf", len(REPORT), hashlib.sha256(REPORT).hexdigest()),
        ("噪声附件.pdf", len(ANNEX), hashlib.sha256(ANNEX).hexdigest()),
    ]
    # Printed: the order, each file's name and digest (the CJK name too).
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(note.document.pdf))).pages).replace("\n", "")
    assert order.order.number in text and "噪声附件.pdf" in text and hashlib.sha256(ANNEX).hexdigest() in text

    report = verifier.verify_document(bytes(note.document.pdf))
    assert report.verdict == "valid", report.reason
    assert report.permit.kind == "delivery_note" and report.permit.issuer == order.provider.display_name
    assert [f["sha256"] for f in report.permit.files] == [f["sha256"] for f in note.files]
    assert [s.organisation for s in report.signatures if s.kind == "seal"] == [order.provider.name]
    # The seal-use log and the order's history both name the note.
    use = SealUse.objects.get(document_kind=DocumentKind.DELIVERY_NOTE)
    assert use.outcome == "sealed" and use.document_number == note.number and use.document_sha256 == note.sha256
    assert order.events.get(kind="delivered").data["note"] == note.number


def test_a_changed_note_is_caught_by_the_verifier(order):
    deliver(order)
    pdf = bytes(order.delivery_notes.get().document.pdf)
    digest = hashlib.sha256(REPORT).hexdigest()
    forged = pdf.replace(digest.encode(), hashlib.sha256(b"another report").hexdigest().encode())
    if forged == pdf:  # the digest sits in a compressed stream: change a byte under the seal instead
        position = pdf.index(b"stream") + 20
        forged = pdf[:position] + bytes([pdf[position] ^ 1]) + pdf[position + 1 :]
    assert verifier.verify_document(forged).verdict == "tampered"


def test_no_seal_no_delivery(order):
    """A provider without an electronic seal cannot deliver: the note could not be sealed."""
    with pytest.raises(ValidationError, match="has none yet"):
        hiring.service_order_deliver(service_order=order, user=provider_owner(order.provider))
    order.refresh_from_db()
    assert order.order.status == Status.IN_SERVICE and order.delivered_at is None
    assert not DeliveryNote.objects.exists()


def test_a_member_without_a_grant_is_refused_and_the_refusal_is_logged(order):
    provider_seal(order.provider)
    member = UserFactory()
    ProviderMember.objects.create(provider=order.provider, user=member, role=ProviderMember.Role.MEMBER)
    with pytest.raises(ValidationError, match="no grant"):
        hiring.service_order_deliver(service_order=order, user=member)
    order.refresh_from_db()
    assert order.order.status == Status.IN_SERVICE and not DeliveryNote.objects.exists()
    refusal = SealUse.objects.get(document_kind=DocumentKind.DELIVERY_NOTE)
    assert refusal.outcome == "refused" and refusal.actor == member


def assert_not_delivered(order):
    order.refresh_from_db()
    assert order.order.status == Status.IN_SERVICE and order.delivered_at is None
    assert not order.events.filter(kind="delivered").exists()
    assert not SealedDocument.objects.filter(kind=DocumentKind.DELIVERY_NOTE).exists()
    assert not SealUse.objects.filter(document_kind=DocumentKind.DELIVERY_NOTE, outcome="sealed").exists()


def test_a_timestamp_authority_failure_leaves_the_order_undelivered(order, monkeypatch):
    """Fault injected where the note is sealed (the TSA does not answer): the provider is told, and
    nothing of the delivery remains."""
    provider_seal(order.provider)

    def tsa_down(*args, **kwargs):
        raise TimestampError("the timestamp authority did not answer")

    monkeypatch.setattr(delivery_notes.signing_services, "seal_apply", tsa_down)
    with pytest.raises(ValidationError, match="could not be sealed, so nothing was delivered"):
        hiring.service_order_deliver(service_order=order, user=provider_owner(order.provider))
    assert_not_delivered(order)


def test_a_crash_after_the_seal_leaves_no_half_delivery(order, monkeypatch):
    """Fault injected after the note was sealed and its seal-use entry written, before it is kept:
    the status change, the sealed bytes and the log entry roll back together."""
    provider_seal(order.provider)

    def crash(**kwargs):
        raise RuntimeError("the database went away after sealing")

    monkeypatch.setattr(delivery_notes.signing_services, "sealed_document_record", crash)
    with pytest.raises(RuntimeError):
        hiring.service_order_deliver(service_order=order, user=provider_owner(order.provider))
    assert_not_delivered(order)
    monkeypatch.undo()
    deliver(order)  # and delivering again works
    assert order.delivery_notes.get().sequence == 1


def test_the_buyer_accepts_the_latest_note(order, buyer):
    deliver(order)
    hiring.service_order_request_revision(service_order=order, user=buyer[1], reason="The annex is missing a page.")
    user = provider_owner(order.provider)
    hiring.deliverable_upload(service_order=order, user=user, file=pdf_upload("annex-v2.pdf", ANNEX + b"% page 2\n"))
    deliver(order)
    hiring.service_order_accept(service_order=order, user=buyer[1])
    first, second = order.delivery_notes.order_by("sequence")
    assert second.number.endswith("-2") and len(second.files) == 3
    assert first.accepted_at is None and second.accepted_at is not None
    assert order.events.get(kind="accepted").data == {"note": second.number, "sha256": second.sha256}


def test_the_notes_page_checks_a_file_in_hand(client, order):
    deliver(order)
    note = order.delivery_notes.get()
    landing = reverse("signing:permit-public", args=[note.token])
    page = client.get(landing).content.decode()
    assert note.number in page and "eia-report.pdf" in page and hashlib.sha256(REPORT).hexdigest() in page

    same = client.post(landing, {"file": SimpleUploadedFile("x.pdf", REPORT)}).content.decode()
    assert 'data-note-check="match"' in same and "eia-report.pdf" in same
    changed = client.post(landing, {"file": SimpleUploadedFile("x.pdf", REPORT + b" ")}).content.decode()
    assert 'data-note-check="no-match"' in changed
    assert client.post(landing, {}).status_code == 400  # no file: the form says so
    assert client.post(reverse("signing:permit-public", args=["no-such-token"]), {}).status_code == 404


def test_only_the_parties_and_staff_download_a_note(client, order, buyer, staff):
    deliver(order)
    note = order.delivery_notes.get()
    url = reverse("hiring:delivery-note", args=[order.pk, note.pk])
    for user in (buyer[1], provider_owner(order.provider), staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response.content == bytes(note.document.pdf)
    _enterprise, outsider = make_buyer()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(buyer[1])
    assert note.number in client.get(order.get_absolute_url()).content.decode()


def test_the_note_carries_a_platform_signed_code_checked_offline(order, tmp_path):
    """The platform's signed statement of the note (who delivered, for which service, when) is printed
    beside the seal and checks offline; without the platform's keys a note is still delivered, without it."""
    signing_services.authority_ensure(**signing_demo.PLATFORM)
    deliver(order)
    note = order.delivery_notes.get()
    (code,) = printed_codes(bytes(note.document.pdf), tmp_path)
    assert qr_version(code.text) <= 15 and module_mm(code) >= 0.4  # scannable at print size
    verdict = offline_check(code.text)
    assert verdict.verdict == "valid" and verdict.signer.authority_code == "onewindow"
    claims = verdict.claims
    assert (claims.kind, claims.number) == ("delivery_note", note.number)
    assert claims.credit_code == order.provider.credit_code and claims.matter == order.title
    assert claims.valid_from == timezone.localdate(note.sealed_at).isoformat()
    text = printed_text(bytes(note.document.pdf), tmp_path)  # both ways to check, explained
    assert "Offline check" in text and "Online check" in text and "在线核验" in text
