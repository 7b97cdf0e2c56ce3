"""The approval chain through the views: a public matter, an enterprise's case gathering its required
services, submission once every service is accepted, the authority returning or accepting it, and the
permit issued from the case; each party sees only what is theirs."""

import datetime
import hashlib
import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from marketplace.approvals import selectors, services
from marketplace.approvals.models import ApprovalMatter, Case, CaseSubmission
from marketplace.core.append_only import suspended
from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from signing import services as signing_services
from signing import verifier
from signing.models import IssuingAuthority, Permit, SealedDocument
from signing.report_pdf import render_verification_report
from tests.factories import UserFactory, deliver, make_buyer, make_service_order, pay, provider_owner
from tests.factories.providers import PDF_BYTES, pdf_upload
from tests.signing.conftest import permit_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def matter(authority, catalogue):
    matter = ApprovalMatter.objects.create(
        code="eia-approval",
        name="EIA approval",
        name_zh="环评审批",
        authority=authority,
        time_limit_days=20,
        materials="Application form\nEIA report",
    )
    matter.service_items.set([catalogue.get(code="eia"), catalogue.get(code="soil-water")])
    return matter


def accepted_order(buyer, provider, category) -> ServiceOrder:
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider, category=category)
    pay(so)
    hiring.deliverable_upload(service_order=so, user=provider_owner(provider), file=pdf_upload())
    deliver(so, provider_owner(provider))
    hiring.service_order_accept(service_order=so, user=owner)
    return ServiceOrder.objects.get(pk=so.pk)


@pytest.fixture
def soil_provider(catalogue):
    from tests.factories import make_certified_provider

    return make_certified_provider(categories=[catalogue.get(code="soil-water")], name="Green Slopes")


def open_case(client, buyer, matter):
    enterprise, owner = buyer
    client.force_login(owner)
    response = client.post(
        reverse("approvals:case-open"),
        {
            "enterprise": enterprise.pk,
            "matter": matter.pk,
            "project_name": "Plant 2",
            "site": "Yizhuang",
            "region": "110000",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    return case


def test_the_matter_is_public_and_its_service_items_name_it(client, matter, catalogue):
    page = client.get(reverse("approvals:matter", args=[matter.code])).content.decode()
    assert "EIA approval" in page and "EIA report" in page and authority_name(matter) in page
    guide = client.get(catalogue.get(code="eia").get_absolute_url()).content.decode()
    assert matter.get_absolute_url() in guide
    assert client.get(reverse("approvals:matter", args=["nothing"])).status_code == 404


def authority_name(matter):
    return matter.authority.name


def test_the_whole_chain_from_case_to_permit(
    client, buyer, matter, providers, soil_provider, catalogue, granted_officer, django_capture_on_commit_callbacks
):
    case = open_case(client, buyer, matter)
    assert case.code.startswith("AC") and case.status == Case.Status.OPEN
    eia = accepted_order(buyer, providers[0], catalogue.get(code="eia"))
    page = client.get(case.get_absolute_url()).content.decode()
    assert "The case can be submitted once every required service has an accepted delivery" in page
    assert eia.order.number in page  # offered to add

    client.post(reverse("approvals:case-attach", args=[case.code]), {"order": eia.pk})
    response = client.post(reverse("approvals:case-submit", args=[case.code]), {"confirm": "yes"}, follow=True)
    assert "no accepted delivery: Soil and water conservation plan" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN

    soil = accepted_order(buyer, soil_provider, catalogue.get(code="soil-water"))
    client.post(reverse("approvals:case-attach", args=[case.code]), {"order": soil.pk})
    client.post(reverse("approvals:case-submit", args=[case.code]), {"confirm": "yes"})
    case.refresh_from_db()
    assert case.status == Case.Status.SUBMITTED
    snapshot = case.submissions.get().snapshot
    assert {row["order"] for row in snapshot} == {eia.order.number, soil.order.number}
    assert {row["provider_credit_code"] for row in snapshot} == {providers[0].credit_code, soil_provider.credit_code}
    assert all(row["files"] and len(row["files"][0]["sha256"]) == 64 for row in snapshot)

    # The officer returns it; the enterprise reads why and submits again.
    client.force_login(granted_officer)
    assert case.code in client.get(reverse("approvals:authority-cases")).content.decode()
    response = client.post(reverse("approvals:case-decide", args=[case.code]), {"decision": "return"}, follow=True)
    assert "Say what must be corrected" in response.content.decode()
    client.post(
        reverse("approvals:case-decide", args=[case.code]), {"decision": "return", "reason": "Add the night noise."}
    )
    case.refresh_from_db()
    assert case.status == Case.Status.RETURNED
    client.force_login(buyer[1])
    assert "Add the night noise." in client.get(case.get_absolute_url()).content.decode()
    client.post(reverse("approvals:case-submit", args=[case.code]), {"confirm": "yes"})

    client.force_login(granted_officer)
    client.post(reverse("approvals:case-decide", args=[case.code]), {"decision": "accept"})
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED and case.submissions.count() == 2
    form = client.get(reverse("approvals:case-permit", args=[case.code])).content.decode()
    assert buyer[0].credit_code in form and "EIA approval" in form  # prefilled from the case
    today = timezone.localdate()
    response = client.post(
        reverse("approvals:case-permit", args=[case.code]),
        {
            "holder_credit_code": buyer[0].credit_code,
            "matter": "EIA approval",
            "scope": "Plant 2 — Yizhuang",
            "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=365)).isoformat(),
            "issue_key": "form:case-test",
        },
    )
    case.refresh_from_db()
    permit = Permit.objects.get()
    assert response.status_code == 302 and case.permit == permit and case.status == Case.Status.PERMIT_ISSUED
    assert permit.holder == buyer[0]
    # The permit cites each order's sealed delivery note: recorded, printed, and in the public API.
    notes = {so.order.number: so.delivery_notes.get() for so in (eia, soil)}
    assert [c["sha256"] for c in permit.citations] == [notes[row["order"]].sha256 for row in snapshot]
    assert all(c["kind"] == "delivery_note" and c["label"].startswith(case.code) for c in permit.citations)
    labels = sorted(c["label"] for c in permit.citations)
    assert labels == sorted(
        f"{case.code} · {number} · {note.service_order.provider.name} ({note.service_order.provider.credit_code})"
        f" · 交付单 Delivery note {note.number}"
        for number, note in notes.items()
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(permit.document.pdf))).pages)
    flat = text.replace("\n", "")
    assert "Relied on" in text and all(note.sha256[:32] in flat for note in notes.values())
    again = client.get(reverse("approvals:case-permit", args=[case.code]), follow=True).content.decode()
    assert f"Permit {permit.number} was already issued from this case" in again
    api = client.get(reverse("signing:api-permit", args=[permit.token])).json()
    assert [(c["sha256"], c["check"]) for c in api["relies_on"]] == [(c["sha256"], "genuine") for c in permit.citations]


def test_a_permit_goes_only_to_the_cases_enterprise_and_only_from_an_accepted_case(
    client, buyer, matter, granted_officer
):
    case = open_case(client, buyer, matter)
    client.force_login(granted_officer)
    assert client.get(reverse("approvals:case-permit", args=[case.code])).status_code == 404  # never submitted
    CaseSubmission.objects.create(case=case, decision=CaseSubmission.Decision.ACCEPTED)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ACCEPTED)
    other, _owner = make_buyer()
    today = timezone.localdate()
    response = client.post(
        reverse("approvals:case-permit", args=[case.code]),
        {
            "holder_credit_code": other.credit_code,
            "matter": "EIA approval",
            "scope": "x",
            "valid_from": today.isoformat(),
            "valid_until": today.isoformat(),
        },
    )
    assert response.status_code == 200 and "whose case it is" in response.content.decode()
    assert not Permit.objects.exists()


def test_each_party_sees_only_its_own(client, buyer, matter, providers, catalogue, officer):
    case = open_case(client, buyer, matter)
    outsider, outsider_owner = make_buyer()
    client.force_login(outsider_owner)
    assert client.get(case.get_absolute_url()).status_code == 404
    # Someone else's order cannot be added, nor an order for a service the matter does not need.
    foreign = accepted_order((outsider, outsider_owner), providers[0], catalogue.get(code="eia"))
    client.force_login(buyer[1])
    response = client.post(reverse("approvals:case-attach", args=[case.code]), {"order": foreign.pk}, follow=True)
    assert "cannot join this case" in response.content.decode()
    client.force_login(provider_owner(providers[0]))
    assert client.get(case.get_absolute_url()).status_code == 404
    # Officers see a case only once submitted, and only their own authority's.
    client.force_login(officer)
    assert client.get(case.get_absolute_url()).status_code == 404
    CaseSubmission.objects.create(case=case)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.SUBMITTED)
    assert client.get(case.get_absolute_url()).status_code == 200
    stranger = UserFactory()
    other_authority = IssuingAuthority.objects.create(name="Water Bureau", code="water", number_prefix="WB")
    other_authority.memberships.create(user=stranger)
    client.force_login(stranger)
    assert client.get(case.get_absolute_url()).status_code == 404
    response = client.post(reverse("approvals:case-decide", args=[case.code]), {"decision": "accept"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.SUBMITTED


def test_a_case_past_the_authoritys_limit_is_flagged_for_staff(client, buyer, matter, staff):
    case = services.case_open(
        enterprise=buyer[0], user=buyer[1], matter=matter, project_name="P", site="S", region="110000"
    )
    CaseSubmission.objects.create(case=case, submitted_at=timezone.now() - datetime.timedelta(weeks=6))
    Case.objects.filter(pk=case.pk).update(status=Case.Status.SUBMITTED)
    case.refresh_from_db()
    clock = selectors.authority_clock(case)
    assert clock.days_used >= 29 and clock.over
    client.force_login(staff)
    assert case.code in client.get(reverse("approvals:overdue")).content.decode()
    client.force_login(buyer[1])
    assert client.get(reverse("approvals:overdue")).status_code == 403


def test_working_days_skip_weekends():
    from marketplace.approvals.clock import working_days_between

    friday = timezone.make_aware(datetime.datetime(2026, 12, 4, 10))  # noqa: DTZ001 - made aware at once
    assert working_days_between(friday, friday + datetime.timedelta(days=3)) == 1  # to Monday
    assert working_days_between(friday, friday + datetime.timedelta(days=7)) == 5


def test_a_file_in_hand_is_checked_against_the_cases_recorded_deliverables(client, buyer, matter, providers, catalogue):
    """The deliverable's SHA-256 is fixed at upload; the case page tells the same bytes from changed ones."""
    case = open_case(client, buyer, matter)
    eia = accepted_order(buyer, providers[0], catalogue.get(code="eia"))
    delivered = eia.deliverables.get()
    assert delivered.sha256 == hashlib.sha256(PDF_BYTES).hexdigest() and delivered.size == len(PDF_BYTES)
    client.post(reverse("approvals:case-attach", args=[case.code]), {"order": eia.pk})
    assert delivered.sha256 in client.get(case.get_absolute_url()).content.decode()

    check = reverse("approvals:case-check-file", args=[case.code])
    same = client.post(check, {"file": SimpleUploadedFile("copy.pdf", PDF_BYTES)}, follow=True).content.decode()
    assert f"delivered for order {eia.order.number}" in same and "unchanged" in same
    changed = PDF_BYTES.replace(b"%%EOF", b"% edited\n%%EOF")
    page = client.post(check, {"file": SimpleUploadedFile("copy.pdf", changed)}, follow=True).content.decode()
    assert "No deliverable of this case has these bytes" in page
    outsider = make_buyer()[1]
    client.force_login(outsider)
    assert client.post(check, {"file": SimpleUploadedFile("copy.pdf", PDF_BYTES)}).status_code == 404


def test_a_permit_is_never_left_without_its_case(client, buyer, matter, granted_officer, monkeypatch):
    """Fault injected after the seal: recording the permit on the case fails (say, the case changed in
    between). The sealed permit rolls back with it: no permit, no number used, the case still accepted."""
    case = open_case(client, buyer, matter)
    CaseSubmission.objects.create(case=case, decision=CaseSubmission.Decision.ACCEPTED)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ACCEPTED)

    def crash(**kwargs):
        raise RuntimeError("the database went away after sealing")

    monkeypatch.setattr(services, "case_permit_link", crash)
    client.force_login(granted_officer)
    today = timezone.localdate()
    data = {
        "holder_credit_code": buyer[0].credit_code,
        "matter": "EIA approval",
        "scope": "Plant 2",
        "valid_from": today.isoformat(),
        "valid_until": today.isoformat(),
        "issue_key": "form:fault",
    }
    with pytest.raises(RuntimeError):
        client.post(reverse("approvals:case-permit", args=[case.code]), data)
    case.refresh_from_db()
    assert not Permit.objects.exists() and case.status == Case.Status.ACCEPTED and case.permit is None

    monkeypatch.undo()
    client.post(reverse("approvals:case-permit", args=[case.code]), data)  # the same form, once more
    case.refresh_from_db()
    assert Permit.objects.count() == 1 and case.permit == Permit.objects.get()


def permit_from_case(buyer, matter, provider, category, officer):
    """An accepted case with one order, and its permit issued citing the order's delivery note."""
    enterprise, owner = buyer
    case = services.case_open(enterprise=enterprise, user=owner, matter=matter, project_name="P", site="S", region="")
    so = accepted_order(buyer, provider, category)
    services.case_attach_order(case=case, user=owner, service_order_id=so.pk)
    services.case_submit(case=case, user=owner)
    services.case_decide(case=case, user=officer, accept=True)
    data = permit_data(enterprise, citations=selectors.case_citations(case))
    permit = signing_services.permit_issue(authority=matter.authority, actor=officer, data=data)
    return permit, so.delivery_notes.get()


def test_a_permit_whose_cited_note_was_rewritten_is_not_confirmed(
    client, settings, buyer, eia_matter, providers, catalogue, granted_officer
):
    """Someone with database access rewrites a kept delivery note (it is not append-only: contracts grow
    by their seals). The permit's own seal is untouched, but the verifier no longer confirms the chain."""
    settings.VERIFY_ISOLATE = False
    permit, note = permit_from_case(buyer, eia_matter, providers[0], catalogue.get(code="eia"), granted_officer)
    report = verifier.verify_document(bytes(permit.document.pdf))
    assert report.verdict == "valid" and [c["check"] for c in report.permit.citations] == ["genuine"]
    sealed_report = render_verification_report(report=report, reference="R1", language="en")
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(sealed_report)).pages)
    assert all(words.replace(" ", "") in text for words in ("Relies on", note.number, "Genuine and unaltered"))

    forged = bytes(note.document.pdf).replace(b"%%EOF", b"%%EOF\n% rewritten", 1)
    SealedDocument.objects.filter(pk=note.document.pk).update(pdf=forged)
    cache.clear()  # a check is remembered for CITATION_CHECK_SECONDS; a verifier after that sees this
    report = verifier.verify_document(bytes(permit.document.pdf))
    assert report.verdict == "indeterminate" and report.reason == "citation_unconfirmed"
    api = client.get(reverse("signing:api-permit", args=[permit.token])).json()
    assert api["relies_on"][0]["check"] == "altered"
    page = client.get(reverse("signing:permit-public", args=[permit.token])).content.decode()
    assert 'data-citation-check="altered"' in page


def test_a_case_relies_only_on_deliveries_attested_by_a_note(buyer, eia_matter, providers, catalogue):
    """An order completed before delivery notes existed (none recorded) cannot carry a case to the authority."""
    enterprise, owner = buyer
    case = services.case_open(
        enterprise=enterprise, user=owner, matter=eia_matter, project_name="P", site="S", region=""
    )
    so = accepted_order(buyer, providers[0], catalogue.get(code="eia"))
    services.case_attach_order(case=case, user=owner, service_order_id=so.pk)
    with suspended(connection):
        so.delivery_notes.all().delete()
    with pytest.raises(ValidationError, match="without a sealed delivery note"):
        services.case_submit(case=case, user=owner)
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and not case.submissions.exists()


def late_case(buyer, matter, provider, category):
    """A case whose EIA order was paid 16 weeks ago and is still not delivered."""
    enterprise, owner = buyer
    case = services.case_open(enterprise=enterprise, user=owner, matter=matter, project_name="P", site="S", region="")
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider, category=category)
    pay(so)
    ServiceOrder.objects.filter(pk=so.pk).update(paid_at=timezone.now() - datetime.timedelta(weeks=16))
    services.case_attach_order(case=case, user=owner, service_order_id=so.pk)
    return case


def test_a_late_service_flags_its_case_and_the_list_costs_the_same_for_many_cases(
    client, buyer, eia_matter, providers, catalogue, staff, django_assert_max_num_queries
):
    eia = catalogue.get(code="eia")
    assert eia.time_limit_days
    first = late_case(buyer, eia_matter, providers[0], eia)
    services.case_open(enterprise=buyer[0], user=buyer[1], matter=eia_matter, project_name="Q", site="S", region="")
    [row] = selectors.cases_over_time_limit()
    assert row.case == first and not row.authority and [item.code for item in row.items] == ["eia"]

    with CaptureQueriesContext(connection) as one:
        selectors.cases_over_time_limit()
    assert len(one.captured_queries) == 4  # live cases, their submissions, matters' service items, orders
    for _ in range(5):
        late_case(make_buyer(), eia_matter, providers[0], eia)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(selectors.cases_over_time_limit()) == 6
    client.force_login(staff)
    page = client.get(reverse("approvals:overdue")).content.decode()
    assert first.code in page and eia.name in page


def test_the_deciding_officer_reads_the_delivered_files_of_a_submitted_case(
    client, buyer, eia_matter, providers, catalogue, officer
):
    enterprise, owner = buyer
    case = services.case_open(
        enterprise=enterprise, user=owner, matter=eia_matter, project_name="P", site="S", region=""
    )
    so = accepted_order(buyer, providers[0], catalogue.get(code="eia"))
    services.case_attach_order(case=case, user=owner, service_order_id=so.pk)
    url = reverse("approvals:case-file", args=[case.code, so.deliverables.get().pk])
    client.force_login(officer)
    assert client.get(url).status_code == 404  # not submitted yet: not the authority's to read
    services.case_submit(case=case, user=owner)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    other = accepted_order(make_buyer(), providers[1], catalogue.get(code="eia"))  # a file of no case of theirs
    foreign = reverse("approvals:case-file", args=[case.code, other.deliverables.get().pk])
    assert client.get(foreign).status_code == 404
    client.force_login(provider_owner(providers[1]))
    assert client.get(url).status_code == 404  # another provider never reaches it
