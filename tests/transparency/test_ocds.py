"""Open contracting data (OCDS 1.1) at /api/ocds/: every package validates against the official schema
(vendored, resolved locally), agrees with the result pages, names organisations by their credit codes
and nothing about any person; date filters, pagination, errors, daily packages written once."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.enterprises.models import Enterprise
from marketplace.hiring import contracts, milestones, payment_flow
from marketplace.hiring import services as hiring
from marketplace.procurement import services as procurement
from marketplace.procurement.models import RequestForQuotes
from marketplace.transparency import tasks
from marketplace.transparency.models import OcdsDailyPackage
from marketplace.transparency.ocds import daily, identifiers, records, validation
from providers.models import Provider
from tests.factories import (
    deliver,
    make_addressed_request,
    make_listing,
    make_quote,
    make_service_order,
    pay,
    provider_owner,
    staff_user,
)
from tests.factories.contracts import contract_materials, grant_owners, platform_with_seal, seal_from_material  # noqa: F401

pytestmark = pytest.mark.django_db

ZONE = timezone.get_default_timezone()
# Ten days ago at 09:00 (platform time): the requests' history happens in finished days.
T0 = datetime.datetime.combine(timezone.localdate() - datetime.timedelta(days=10), datetime.time(9), tzinfo=ZONE)
D0 = T0.date()


def at(hours: float) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=hours)


def publish(enterprise, owner, category, *, method="lowest_price", title="EIA report for a new workshop", **extra):
    return procurement.request_publish(
        enterprise=enterprise,
        user=owner,
        category=category,
        title=title,
        description="Environmental impact report for a 2,000 m² workshop.",
        region="110000",
        budget=Decimal("100000"),
        deadline=at(48),
        method=method,
        now=T0,
        **extra,
    )


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def releases_url(start, end, **extra):
    query = "&".join(f"{key}={value}" for key, value in {"from": start, "to": end, **extra}.items())
    return f"/api/ocds/releases/?{query}"


def assert_valid_release_package(package):
    assert validation.release_package_errors(package) == []


def assert_valid_record_package(package):
    assert validation.record_package_errors(package) == []


@pytest.fixture
def awarded(buyer, category, providers, contract_materials):  # noqa: F811 - the session fixture
    """A lowest-price request quoted by three providers, closed, awarded after its publicity period; its
    order's contract sealed by both parties, paid, and a deadline extension granted."""
    enterprise, owner = buyer
    request = publish(enterprise, owner, category)
    make_quote(request, providers[0], price="70000", now=at(1))
    make_quote(request, providers[1], price="52000.50", days=40, now=at(2))
    make_quote(request, providers[2], price="53000", now=at(3))
    procurement.request_close(request=request, now=at(49))
    order = procurement.request_award(request=request, now=at(49 + 24 * 3 + 1))
    platform_with_seal(contract_materials["platform"])
    grant_owners(seal_from_material(contract_materials["buyer"], enterprise=enterprise), enterprise)
    grant_owners(seal_from_material(contract_materials["provider"], provider=providers[1]), providers[1])
    contract = contracts.contract_issue(service_order=order)
    contract = contracts.contract_seal(contract=contract, actor=owner)
    contracts.contract_seal(contract=contract, actor=provider_owner(providers[1]))
    pay(order)
    extension = hiring.extension_request(service_order=order, user=provider_owner(providers[1]), days=5, reason="Rain")
    hiring.extension_decide(extension=extension, user=owner, grant=True)
    return RequestForQuotes.objects.get(pk=request.pk), order


@pytest.fixture
def cancelled(buyer, category, providers):
    """A request whose result an upheld objection cancelled during the publicity period."""
    enterprise, owner = buyer
    request = publish(enterprise, owner, category, title="Safety review")
    make_quote(request, providers[0], price="60000", now=at(1))
    make_quote(request, providers[2], price="61000", now=at(1))
    procurement.request_close(request=request, now=at(49))
    objection = procurement.objection_file(
        request=request, user=provider_owner(providers[2]), reason="The winner's licence lapsed", now=at(50)
    )
    procurement.objection_decide(
        objection=objection, user=staff_user(), uphold=True, decision="Upheld", outcome="cancel", now=at(51)
    )
    return RequestForQuotes.objects.get(pk=request.pk)


@pytest.fixture
def failed(buyer, category):
    """A request nobody quoted on: its deadline extended once, then failed."""
    enterprise, owner = buyer
    request = publish(enterprise, owner, category, title="Noise survey")
    procurement.request_close(request=request, now=at(49))
    procurement.request_close(request=request, now=at(49 + 24 * 3 + 1))
    return RequestForQuotes.objects.get(pk=request.pk)


@pytest.fixture
def direct(buyer, providers, category):
    """A direct hire (no request for quotes), cancelled by the buyer before payment."""
    enterprise, owner = buyer
    order = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], category=category)
    hiring.service_order_cancel(service_order=order, user=owner, reason="Changed plans")
    return order


@pytest.fixture
def everything(awarded, cancelled, failed, direct):
    return {"awarded": awarded, "cancelled": cancelled, "failed": failed, "direct": direct}


def all_releases(client):
    return get_json(client, releases_url(D0 - datetime.timedelta(days=1), timezone.localdate()))


# --- validity and content -------------------------------------------------------------------------


def test_releases_endpoint_package_is_valid_and_covers_every_kind_of_release(client, everything):
    package = all_releases(client)
    assert_valid_release_package(package)
    assert package["version"] == "1.1" and package["publisher"]["name"]
    tags = {tag for release in package["releases"] for tag in release["tag"]}
    assert {
        "tender",
        "tenderUpdate",
        "tenderCancellation",
        "award",
        "awardUpdate",
        "awardCancellation",
        "contract",
        "contractUpdate",
    } <= tags
    ids = [release["id"] for release in package["releases"]]
    assert len(ids) == len(set(ids))
    dates = [datetime.datetime.fromisoformat(release["date"]) for release in package["releases"]]
    assert all(date.tzinfo is not None for date in dates) and dates == sorted(dates)
    # Produced again, every release is the same, id for id.
    assert all_releases(client)["releases"] == package["releases"]


def test_process_record_package_is_valid_and_compiles_the_current_state(client, awarded):
    request, order = awarded
    ocid = identifiers.request_ocid(request.pk)
    package = get_json(client, f"/api/ocds/processes/{ocid}/")
    assert_valid_record_package(package)
    (record,) = package["records"]
    assert record["ocid"] == ocid
    tags = [release["tag"] for release in record["releases"]]
    assert tags[:4] == [["tender"], ["tenderUpdate"], ["award"], ["awardUpdate"]]
    assert ["contract"] in tags and ["contractUpdate"] in tags
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["ocid"] == ocid
    tender = compiled["tender"]
    assert tender["status"] == "complete" and tender["numberOfTenderers"] == 3
    assert tender["procurementMethod"] == "open" and tender["procurementMethodDetails"] == "Lowest price"
    assert tender["value"] == {"amount": 100000, "currency": "CNY"}
    assert tender["items"][0]["classification"]["id"] == request.category.code
    (award,) = compiled["awards"]
    assert award["status"] == "active" and award["value"] == {"amount": 52000.5, "currency": "CNY"}
    (contract,) = compiled["contracts"]
    assert contract["id"] == f"HT-{order.order.number}" and contract["awardID"] == award["id"]
    assert contract["status"] == "active" and contract["dateSigned"]
    assert contract["value"] == award["value"]
    # Paid, then five more days granted: the period runs 40 + 5 days from the payment.
    start = datetime.datetime.fromisoformat(contract["period"]["startDate"])
    end = datetime.datetime.fromisoformat(contract["period"]["endDate"])
    assert (end - start).days == 45 == contract["period"]["durationInDays"]
    # Roles accumulate: the winner bid, then was selected; the buyer bought.
    roles = {party["identifier"]["id"]: party["roles"] for party in compiled["parties"]}
    assert roles[order.provider.credit_code] == ["tenderer", "supplier"]
    assert roles[request.enterprise.credit_code] == ["buyer", "procuringEntity"]


def test_awarded_supplier_and_amount_are_the_ones_the_result_page_publishes(client, awarded):
    request, _order = awarded
    result = get_json(client, f"/requests/{request.pk}/result.json")
    (current,) = [round_ for round_ in result["selections"] if not round_["superseded"]]
    winner = next(row for row in current["table"] if row["quote_id"] == current["winner_quote_id"])
    record = get_json(client, f"/api/ocds/processes/{identifiers.request_ocid(request.pk)}/")["records"][0]
    (award,) = [a for a in record["compiledRelease"]["awards"] if a["status"] == "active"]
    assert award["suppliers"] == [{"id": f"CN-USCI-{winner['credit_code']}", "name": winner["provider"]}]
    assert Decimal(str(award["value"]["amount"])) == Decimal(winner["price"])
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert f"Selected: {winner['provider']}, ¥{winner['price']}," in page


def test_a_cancelled_result_cancels_the_award_and_the_tender(client, cancelled):
    record = get_json(client, f"/api/ocds/processes/{identifiers.request_ocid(cancelled.pk)}/")["records"][0]
    compiled = record["compiledRelease"]
    assert compiled["tender"]["status"] == "cancelled"
    assert [award["status"] for award in compiled["awards"]] == ["cancelled"]
    assert [release["tag"] for release in record["releases"]][-2:] == [["awardCancellation"], ["tenderCancellation"]]


def test_an_extended_then_failed_request_says_so_without_publishing_quotes(client, failed):
    record = get_json(client, f"/api/ocds/processes/{identifiers.request_ocid(failed.pk)}/")["records"][0]
    tender = record["compiledRelease"]["tender"]
    assert tender["status"] == "unsuccessful" and tender["numberOfTenderers"] == 0
    assert tender["tenderPeriod"]["endDate"] == failed.deadline.astimezone(ZONE).isoformat(timespec="seconds")
    assert "awards" not in record["compiledRelease"]


def test_an_open_request_publishes_its_tender_but_nothing_about_its_sealed_quotes(client, buyer, category, providers):
    enterprise, owner = buyer
    request = publish(enterprise, owner, category)
    make_quote(request, providers[0], price="70000", now=at(1))
    record = get_json(client, f"/api/ocds/processes/{identifiers.request_ocid(request.pk)}/")["records"][0]
    assert [release["tag"] for release in record["releases"]] == [["tender"]]
    text = json.dumps(record, ensure_ascii=False)
    assert providers[0].credit_code not in text and "70000" not in text


def test_a_direct_hire_is_a_direct_award_and_contract(client, direct):
    ocid = identifiers.order_ocid(direct.order.number)
    package = get_json(client, f"/api/ocds/processes/{ocid}/")
    assert_valid_record_package(package)
    record = package["records"][0]
    assert [release["tag"] for release in record["releases"]] == [["award", "contract"], ["contractUpdate"]]
    compiled = record["compiledRelease"]
    assert compiled["tender"]["procurementMethod"] == "direct"
    assert compiled["awards"][0]["suppliers"][0]["id"] == f"CN-USCI-{direct.provider.credit_code}"
    assert compiled["contracts"][0]["status"] == "cancelled"


def test_a_request_addressed_to_one_provider_is_a_direct_award_once_the_buyer_accepts(
    client, buyer, category, providers
):
    enterprise, owner = buyer
    listing = make_listing(providers[0], category, price=Decimal("68000"), pricing_mode="from", title="EIA report")
    request = make_addressed_request(enterprise, owner, listing)
    quote = make_quote(request, providers[0], price="66000")
    procurement.request_choose(request=request, user=owner, quote_id=quote.pk)
    package = get_json(client, f"/api/ocds/processes/{identifiers.request_ocid(request.pk)}/")
    assert_valid_record_package(package)
    compiled = package["records"][0]["compiledRelease"]
    assert compiled["tender"]["procurementMethod"] == "direct" and compiled["tender"]["status"] == "complete"
    assert [(a["status"], a["value"]["amount"]) for a in compiled["awards"]] == [("active", 66000)]
    assert compiled["contracts"][0]["awardID"] == compiled["awards"][0]["id"]


def test_a_republished_request_points_to_the_one_that_failed(client, failed, buyer):
    _enterprise, owner = buyer
    again = procurement.request_republish(
        request=failed, user=owner, deadline=timezone.now() + datetime.timedelta(days=3)
    )
    record = get_json(client, f"/api/ocds/processes/{identifiers.request_ocid(again.pk)}/")["records"][0]
    (related,) = record["compiledRelease"]["relatedProcesses"]
    assert related["relationship"] == ["unsuccessfulProcess"]
    assert related["identifier"] == identifiers.request_ocid(failed.pk)


def test_direct_hires_are_left_out_when_the_deployment_says_so(client, settings, direct):
    settings.OCDS_PUBLISH_DIRECT_ORDERS = False
    get_json(client, f"/api/ocds/processes/{identifiers.order_ocid(direct.order.number)}/", status=404)
    assert all_releases(client)["releases"] == []


def test_the_compiled_release_follows_the_ocds_merge_rules():
    """Objects merge by field, arrays of objects by id, other arrays (roles) whole; later wins."""
    first = {
        "ocid": "ocds-onewnd-rfq-1",
        "id": "a",
        "date": "2026-01-01T09:00:00+08:00",
        "tag": ["tender"],
        "initiationType": "tender",
        "parties": [{"id": "P", "roles": ["tenderer"], "name": "Old"}],
        "awards": [{"id": "award-1", "status": "pending", "value": {"amount": 5, "currency": "CNY"}}],
    }
    second = {
        "ocid": "ocds-onewnd-rfq-1",
        "id": "b",
        "date": "2026-01-02T09:00:00+08:00",
        "tag": ["awardUpdate"],
        "initiationType": "tender",
        "parties": [{"id": "P", "roles": ["supplier"]}],
        "awards": [{"id": "award-2", "status": "pending"}, {"id": "award-1", "status": "cancelled"}],
    }
    compiled = records.compiled_release([second, first])
    assert compiled["id"] == "ocds-onewnd-rfq-1-2026-01-02T09:00:00+08:00" and compiled["tag"] == ["compiled"]
    assert compiled["parties"] == [{"id": "P", "roles": ["supplier"], "name": "Old"}]
    assert compiled["awards"] == [
        {"id": "award-1", "status": "cancelled", "value": {"amount": 5, "currency": "CNY"}},
        {"id": "award-2", "status": "pending"},
    ]


# --- organisations and personal data ---------------------------------------------------------------


def test_organisations_carry_their_credit_codes_and_nothing_personal_appears(client, everything):
    package = all_releases(client)
    text = json.dumps(package, ensure_ascii=False)
    parties = [party for release in package["releases"] for party in release.get("parties", [])]
    codes = set(Provider.objects.values_list("credit_code", flat=True)) | set(
        Enterprise.objects.values_list("credit_code", flat=True)
    )
    assert parties
    for party in parties:
        assert party["identifier"]["scheme"] == "CN-USCI" and party["identifier"]["id"] in codes
        assert party["id"] == f"CN-USCI-{party['identifier']['id']}"
        assert "contactPoint" not in party
    people = set()
    for user in User.objects.all():
        people |= {user.email, user.get_full_name(), user.first_name, user.last_name}
    for provider in Provider.objects.all():
        people |= {provider.contact_name, provider.contact_phone, provider.contact_email, provider.legal_representative}
    for enterprise in Enterprise.objects.all():
        people.add(enterprise.contact_name)
    people = {value for value in people if value and len(value) > 3}
    assert people
    # User ids: no field refers to a user (an id would show as a bare number after a key).
    assert '"user' not in text.lower() and '"actor' not in text.lower()
    leaked = [value for value in people if value in text]
    assert leaked == []
    assert "Changed plans" not in text and "licence lapsed" not in text and "Rain" not in text  # free-text reasons


def test_a_misconfigured_ocid_prefix_is_refused(settings):
    settings.OCDS_OCID_PREFIX = "ocds-ONEWINDOW"
    with pytest.raises(ImproperlyConfigured):
        identifiers.request_ocid(1)


# --- dates, pages, errors -----------------------------------------------------------------------------


def test_releases_are_filtered_by_their_date(client, awarded):
    request, _order = awarded
    first_day = get_json(client, releases_url(D0, D0))
    assert_valid_release_package(first_day)
    assert [release["tag"] for release in first_day["releases"]] == [["tender"]]
    close_day = get_json(client, releases_url(D0 + datetime.timedelta(days=2), D0 + datetime.timedelta(days=2)))
    # The quotes opened and the winner was named at the same moment (releases of one second: by id).
    assert sorted(release["tag"][0] for release in close_day["releases"]) == ["award", "tenderUpdate"]
    assert all(release["date"].startswith(f"{D0 + datetime.timedelta(days=2)}") for release in close_day["releases"])
    before = get_json(client, releases_url(D0 - datetime.timedelta(days=5), D0 - datetime.timedelta(days=1)))
    assert before["releases"] == [] and "links" not in before


def test_the_releases_of_each_day_add_up_to_the_releases_of_the_whole_range(client, everything):
    """Every release is found by the date it carries: none is missed or doubled by the day filters."""
    whole = [release["id"] for release in all_releases(client)["releases"]]
    by_day, day = [], D0 - datetime.timedelta(days=1)
    while day <= timezone.localdate():
        by_day += [release["id"] for release in get_json(client, releases_url(day, day))["releases"]]
        day += datetime.timedelta(days=1)
    # awarded 8 (tender, closed, award, active, contract, signed, started, extended), cancelled 5,
    # failed 3 (tender, extended, closed unsuccessful), the direct hire 2.
    assert sorted(by_day) == sorted(whole) and len(whole) == 18


def test_pages_follow_links_next_to_the_end_without_gaps_or_repeats(client, settings, everything):
    expected = [release["id"] for release in all_releases(client)["releases"]]
    settings.OCDS_PAGE_SIZE = 3
    url, seen, pages = releases_url(D0 - datetime.timedelta(days=1), timezone.localdate()), [], 0
    while url:
        page = get_json(client, url)
        assert_valid_release_package(page)
        assert len(page["releases"]) <= 3
        seen += [release["id"] for release in page["releases"]]
        url = page.get("links", {}).get("next", "").removeprefix(settings.PUBLIC_BASE_URL)
        pages += 1
    assert seen == expected and pages == -(-len(expected) // 3)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2026-13-01&to=2026-12-31", "bad_date"),
        ("from=yesterday&to=2026-01-01", "bad_date"),
        ("from=2026-02-30&to=2026-03-01", "bad_date"),
        ("from=2026-03-02&to=2026-03-01", "bad_parameter"),
        ("from=2025-01-01&to=2026-01-01", "bad_parameter"),
        ("from=2026-01-01&to=2026-01-02&limit=0", "bad_parameter"),
        ("from=2026-01-01&to=2026-01-02&limit=5000", "bad_parameter"),
        ("from=2026-01-01&to=2026-01-02&limit=ten", "bad_limit"),
        ("from=2026-01-01&to=2026-01-02&limit=²", "bad_limit"),
        ("to=0001-01-01", "bad_date"),
        ("from=9999-12-31&to=9999-12-31", "bad_date"),
        ("from=2026-01-01&to=2026-01-02&cursor=not-a-cursor", "bad_parameter"),
    ],
)
def test_bad_parameters_are_a_400_saying_what_to_fix(client, query, code):
    error = get_json(client, f"/api/ocds/releases/?{query}", status=400)
    assert error["error"] == code and error["message"]


@pytest.mark.parametrize("ocid", ["ocds-onewnd-rfq-999999", "ocds-abcdef-rfq-1", "ocds-onewnd-order-NOPE1", "rfq-1"])
def test_an_unknown_process_is_a_404(client, ocid):
    error = get_json(client, f"/api/ocds/processes/{ocid}/", status=404)
    assert error["error"] == "unknown_process"


def test_the_releases_query_count_does_not_grow_with_the_processes(client, buyer, category, providers):
    enterprise, owner = buyer
    url = releases_url(D0 - datetime.timedelta(days=1), timezone.localdate())

    def add_processes():
        request = publish(enterprise, owner, category)
        make_quote(request, providers[0], price="50000", now=at(1))
        procurement.request_close(request=request, now=at(49))
        procurement.request_award(request=request, now=at(49 + 24 * 3 + 1))
        order = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[1], category=category)
        pay(order)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add_processes()
    few = count()
    for _ in range(3):
        add_processes()
    assert count() == few


# --- daily packages -------------------------------------------------------------------------------------


def test_daily_package_is_written_once_and_served_as_written(client, awarded):
    request, _order = awarded
    day = D0 + datetime.timedelta(days=2)
    missing = client.get(f"/api/ocds/packages/{day}.json")
    assert missing.status_code == 200 and "max-age=300" in missing["Cache-Control"]  # computed, not stored
    call_command("ocds_daily_packages", "--from", str(day), "--to", str(day))
    row = OcdsDailyPackage.objects.get(day=day)
    assert row.content == missing.content.decode() and row.releases == 2
    package = get_json(client, f"/api/ocds/packages/{day}.json")
    assert_valid_release_package(package)
    assert sorted(release["tag"][0] for release in package["releases"]) == ["award", "tenderUpdate"]
    # Idempotent: a second run leaves the day's file exactly as it was, even when the data changed since.
    RequestForQuotes.objects.filter(pk=request.pk).update(title="Renamed afterwards")
    call_command("ocds_daily_packages", "--from", str(day), "--to", str(day))
    again = OcdsDailyPackage.objects.get(day=day)
    assert (again.pk, again.content, again.sha256, again.written_at) == (
        row.pk,
        row.content,
        row.sha256,
        row.written_at,
    )
    served = client.get(f"/api/ocds/packages/{day}.json")
    assert served.content.decode() == row.content and served["ETag"] == f'"{row.sha256}"'
    assert "immutable" in served["Cache-Control"]


def test_the_daily_task_writes_each_missing_finished_day_once(awarded, settings):
    assert {"task": "transparency.ocds_daily_packages"}.items() <= next(
        entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == "transparency.ocds_daily_packages"
    ).items()
    written = tasks.ocds_daily_packages()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert written == [str(yesterday - datetime.timedelta(days=back)) for back in range(6, -1, -1)]
    assert tasks.ocds_daily_packages() == []
    for row in OcdsDailyPackage.objects.exclude(releases=0):
        assert_valid_release_package(json.loads(row.content))


def test_a_day_not_over_has_no_package_and_a_malformed_day_is_a_400(client):
    today = timezone.localdate()
    assert get_json(client, f"/api/ocds/packages/{today}.json", status=404)["error"] == "not_published"
    assert get_json(client, "/api/ocds/packages/2026-1-1.json", status=400)["error"] == "bad_date"
    with pytest.raises(daily.DayNotOver):
        daily.daily_package_write(day=today)


def test_an_order_paid_in_stages_publishes_each_stage_as_a_contract_milestone(client, buyer, providers, category):
    """Issue 23's stages in the open data: scheduled when the contract is placed, then "met" as each stage
    is accepted and released, "notMet" when the contract ends before it."""
    enterprise, owner = buyer
    order = make_service_order(
        enterprise=enterprise,
        buyer=owner,
        provider=providers[0],
        category=category,
        milestone_plan="Draft report; 40%; 10\nFinal report; 60%; 30",
    )
    due, stage = milestones.amount_due(order)
    payment_flow.service_order_pay(service_order=order, amount=due, reference="bank-stage-1")
    order.deliverables.create(file="x.pdf", name="draft.pdf")
    deliver(order)
    hiring.service_order_accept(service_order=order, user=owner)
    hiring.service_order_cancel(service_order=order, user=owner, reason="Stopped after the draft")

    package = get_json(client, f"/api/ocds/processes/{identifiers.order_ocid(order.order.number)}/")
    assert_valid_record_package(package)
    record = package["records"][0]
    placed = record["releases"][0]["contracts"][0]["milestones"]
    assert [(m["id"], m["title"], m["status"]) for m in placed] == [
        ("stage-1", "Stage 1 of 2", "scheduled"),
        ("stage-2", "Stage 2 of 2", "scheduled"),
    ]
    assert "Draft report" not in json.dumps(package)  # the provider's own words for a stage stay private
    assert "CNY 19200.00" in placed[0]["description"]
    compiled = {m["id"]: m for m in record["compiledRelease"]["contracts"][0]["milestones"]}
    assert compiled["stage-1"]["status"] == "met" and "dateMet" in compiled["stage-1"]
    assert compiled["stage-2"]["status"] == "notMet"
    assert record["compiledRelease"]["contracts"][0]["status"] == "terminated"
