"""Pages: sealed quotes never leak, every lookup is scoped (404 for others), flat query counts,
bad input gives a message and never a 500, and the basket checkout places an order."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import services as procurement
from marketplace.procurement.models import RequestForQuotes
from tests.factories import (
    UserFactory,
    make_buyer,
    make_listing,
    make_quote,
    make_request,
    make_service_order,
    pay,
    pdf_upload,
    provider_owner,
    provider_seal,
)

pytestmark = pytest.mark.django_db
SECRET_PRICE = "43210.77"
SECRET_NOTE = "sealed-note-7f3a"


@pytest.fixture
def sealed(buyer, category, providers):
    """An open request with a quote carrying a recognisable price, note and attachment."""
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="random_draw")
    quote = make_quote(request, providers[0], price=SECRET_PRICE, note=SECRET_NOTE, attachment=pdf_upload("offer.pdf"))
    return request, quote


def test_no_page_shows_a_sealed_quote_to_buyer_competitor_staff_or_public(client, sealed, buyer, providers, staff):
    request, quote = sealed
    pages = [
        request.get_absolute_url(),
        reverse("procurement:list"),
        reverse("procurement:mine"),
        reverse("procurement:my-quotes"),
        reverse("zh-hans" and "procurement:detail", kwargs={"pk": request.pk}),
    ]
    for user in (None, buyer[1], provider_owner(providers[1]), staff):
        client.logout()
        if user:
            client.force_login(user)
        for url in pages:
            html = client.get(url).content.decode()
            assert "43210" not in html and "43,210" not in html, (user, url)
            assert SECRET_NOTE not in html and "offer.pdf" not in html
            assert f"#{quote.pk}" not in html
        attachment = reverse("procurement:attachment", kwargs={"pk": request.pk, "quote_pk": quote.pk})
        assert client.get(attachment).status_code in (302, 404)
    # The quoting provider sees its own quote, and the commitment (not the seed) is public.
    client.force_login(provider_owner(providers[0]))
    html = client.get(request.get_absolute_url()).content.decode()
    assert "43210.77" in html
    assert request.seed_commitment in html and request.seed not in html
    assert client.get(attachment).status_code == 200


def test_a_refused_quote_says_why_without_revealing_others(client, sealed, providers):
    request, _quote = sealed
    RequestForQuotes.objects.filter(pk=request.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(provider_owner(providers[1]))
    response = client.post(
        reverse("procurement:quote", kwargs={"pk": request.pk}), {"price": "100", "service_days": "10"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "deadline has passed" in html
    assert "43210" not in html and SECRET_NOTE not in html


def test_bad_quote_input_is_a_form_error_not_a_500(client, sealed, providers):
    request, _quote = sealed
    client.force_login(provider_owner(providers[1]))
    url = reverse("procurement:quote", kwargs={"pk": request.pk})
    assert client.post(url, {"price": "abc", "service_days": "-1"}).status_code == 400
    bad_file = SimpleUploadedFile("offer.pdf", b"MZ\x90\x00not a pdf")
    response = client.post(url, {"price": "100", "service_days": "10", "attachment": bad_file})
    assert response.status_code == 400 and "program" in response.content.decode()
    assert client.post(reverse("procurement:quote", kwargs={"pk": 999999}), {}).status_code == 404


def test_random_draw_result_page_shows_commitment_seed_candidates_and_algorithm(client, sealed, providers):
    request, quote = sealed
    other = make_quote(request, providers[1], price="50000")
    procurement.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
    request.refresh_from_db()
    html = client.get(request.get_absolute_url()).content.decode()
    for text in (request.seed_commitment, request.seed, "HMAC-SHA256", f"#{quote.pk}", f"#{other.pk}"):
        assert text in html
    assert SECRET_NOTE not in html  # notes are for the buyer only, even after the close


def test_buyer_actions_are_scoped_to_their_enterprise(client, buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="direct")
    quote = make_quote(request, providers[0])
    procurement.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
    _other_enterprise, stranger = make_buyer()
    client.force_login(stranger)
    assert client.post(reverse("procurement:choose", kwargs={"pk": request.pk}), {"quote": quote.pk}).status_code == 404
    assert client.post(reverse("procurement:republish", kwargs={"pk": request.pk}), {}).status_code == 404
    client.force_login(owner)
    response = client.post(reverse("procurement:choose", kwargs={"pk": request.pk}), {"quote": "nonsense"})
    assert response.status_code == 302
    response = client.post(reverse("procurement:choose", kwargs={"pk": request.pk}), {"quote": quote.pk})
    request.refresh_from_db()
    assert request.status == "publicity"


def test_order_pages_are_scoped_to_the_parties(client, buyer, providers, staff):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    pay(so)
    deliverable = hiring.deliverable_upload(service_order=so, user=provider_owner(providers[0]), file=pdf_upload())
    ext = hiring.extension_request(service_order=so, user=provider_owner(providers[0]), days=2, reason="Rain")
    urls = [
        reverse("hiring:detail", kwargs={"pk": so.pk}),
        reverse("hiring:deliverable", kwargs={"pk": so.pk, "file_pk": deliverable.pk}),
    ]
    posts = [
        reverse("hiring:action", kwargs={"pk": so.pk, "action": "deliver"}),
        reverse("hiring:extension", kwargs={"pk": so.pk, "ext_pk": ext.pk, "decision": "grant"}),
        reverse("hiring:rate", kwargs={"pk": so.pk}),
        reverse("hiring:reply", kwargs={"pk": so.pk}),
    ]
    for outsider in (make_buyer()[1], provider_owner(providers[1]), UserFactory()):
        client.force_login(outsider)
        for url in urls:
            assert client.get(url).status_code == 404, url
        for url in posts:
            assert client.post(url, {}).status_code == 404, url
        assert so.order.number not in client.get(reverse("hiring:list")).content.decode()
    for party in (owner, provider_owner(providers[0]), staff):
        client.force_login(party)
        assert client.get(urls[0]).status_code == 200
    client.force_login(owner)
    assert client.get(urls[1]).status_code == 200
    # The buyer cannot take the provider's step: a message, the status unchanged.
    client.post(posts[0])
    assert ServiceOrder.objects.get(pk=so.pk).order.status == "in_service"
    assert client.post(reverse("hiring:action", kwargs={"pk": so.pk, "action": "nonsense"})).status_code == 404


def test_full_order_walk_through_the_pages(client, buyer, providers):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    pay(so)
    client.force_login(provider_owner(providers[0]))
    client.post(reverse("hiring:action", kwargs={"pk": so.pk, "action": "upload"}), {"file": pdf_upload("report.pdf")})
    # Delivering seals a delivery note with the provider's seal: without one the page says how to get it.
    refused = client.post(reverse("hiring:action", kwargs={"pk": so.pk, "action": "deliver"}), follow=True)
    assert "has none yet" in refused.content.decode()
    assert ServiceOrder.objects.get(pk=so.pk).order.status == "in_service"
    client.post(reverse("hiring:contract", kwargs={"pk": so.pk, "step": "own-seal"}))
    delivered = client.post(reverse("hiring:action", kwargs={"pk": so.pk, "action": "deliver"}), follow=True)
    assert f"JF-{so.order.number}-1" in delivered.content.decode()  # the note is listed on the order
    client.force_login(owner)
    client.post(reverse("hiring:action", kwargs={"pk": so.pk, "action": "accept"}), {"confirm": "yes"})
    client.post(
        reverse("hiring:rate", kwargs={"pk": so.pk}),
        {"quality": 5, "timeliness": 4, "communication": 5, "price_fairness": 4, "comment": "Great"},
    )
    so.refresh_from_db()
    assert so.order.status == "completed" and so.rating.overall == 4.5
    client.force_login(provider_owner(providers[0]))
    client.post(reverse("hiring:reply", kwargs={"pk": so.pk}), {"reply": "Thanks!"})
    html = client.get(providers[0].get_absolute_url()).content.decode()
    assert "Thanks!" in html and "Great" in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_list_pages_have_flat_query_counts(client, buyer, category, providers):
    enterprise, owner = buyer
    for _ in range(2):
        request = make_request(enterprise=enterprise, user=owner, category=category)
        make_quote(request, providers[0])
        make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    client.force_login(owner)
    pages = [reverse("procurement:list"), reverse("procurement:mine"), reverse("hiring:list")]
    few = {url: _queries(client, url) for url in pages}
    client.force_login(provider_owner(providers[0]))
    few_quotes = _queries(client, reverse("procurement:my-quotes"))
    for _ in range(5):
        request = make_request(enterprise=enterprise, user=owner, category=category)
        make_quote(request, providers[0])
        make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    assert _queries(client, reverse("procurement:my-quotes")) == few_quotes
    client.force_login(owner)
    assert {url: _queries(client, url) for url in pages} == few


def test_publish_form_creates_a_request_and_rejects_bad_input(client, buyer, category):
    enterprise, owner = buyer
    client.force_login(owner)
    url = reverse("procurement:create")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"title": "", "budget": "-5", "deadline": "yesterday"})
    assert bad.status_code == 200 and RequestForQuotes.objects.count() == 0
    deadline = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url,
        {
            "enterprise": enterprise.pk,
            "category": category.pk,
            "title": "Survey",
            "description": "Topographic survey.",
            "region": "110000",
            "budget": "30000",
            "deadline": deadline,
            "required_grade": "",
            "method": "lowest_price",
        },
    )
    assert response.status_code == 302
    assert RequestForQuotes.objects.get().enterprise == enterprise
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_direct_order_through_basket_and_checkout(client, buyer, category, providers):
    enterprise, owner = buyer
    listing = make_listing(providers[0], category, price=Decimal("48000"), service_days=20)
    quote_only = make_listing(providers[1], category, pricing_mode="quote", title="Quote only")
    client.force_login(owner)
    client.post(reverse("basket:add", kwargs={"pk": quote_only.pk}), {"quantity": 1})
    client.post(reverse("basket:add", kwargs={"pk": listing.pk}), {"quantity": 1})
    empty = client.post(reverse("checkout:index"), {"enterprise": enterprise.pk, "project_name": ""})
    assert empty.status_code == 400
    response = client.post(
        reverse("checkout:index"),
        {"enterprise": enterprise.pk, "project_name": "Plant B", "site_location": "Daxing", "notes": "Gate 3"},
    )
    so = ServiceOrder.objects.get()
    assert response.status_code == 302 and response.url == so.get_absolute_url()
    assert (so.order.status, so.price, so.service_days, so.provider) == ("awaiting_payment", 48000, 20, providers[0])
    assert (so.project_name, so.site_location, so.notes) == ("Plant B", "Daxing", "Gate 3")
    # The basket was submitted: a second checkout has nothing to place.
    assert client.post(reverse("checkout:index"), {"enterprise": enterprise.pk, "project_name": "X"}).status_code == 400


def test_chinese_pages_render(client, sealed, buyer):
    request, _quote = sealed
    client.force_login(buyer[1])
    for url in (request.get_absolute_url(), reverse("procurement:list"), reverse("hiring:list")):
        assert client.get("/zh-hans" + url).status_code == 200


def test_only_staff_record_a_manual_payment(client, buyer, providers, staff):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    url = reverse("hiring:action", kwargs={"pk": so.pk, "action": "record-payment"})
    client.force_login(owner)
    client.post(url, {"reference": "BANK-1"})
    assert ServiceOrder.objects.get(pk=so.pk).order.status == "awaiting_payment"
    client.force_login(staff)
    client.post(url, {"reference": ""})
    assert ServiceOrder.objects.get(pk=so.pk).order.status == "awaiting_payment"
    client.post(url, {"reference": "BANK-1"})
    so = ServiceOrder.objects.get(pk=so.pk)
    assert so.order.status == "in_service" and so.payments.get().reference == "manual:BANK-1"


def test_accepting_needs_the_confirmation_and_then_says_what_was_released(client, buyer, providers):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], price="68000")
    pay(so)
    client.force_login(provider_owner(providers[0]))
    client.post(reverse("hiring:action", kwargs={"pk": so.pk, "action": "upload"}), {"file": pdf_upload("report.pdf")})
    provider_seal(providers[0])
    delivered = client.post(reverse("hiring:action", kwargs={"pk": so.pk, "action": "deliver"}), follow=True)
    assert "Marked as delivered" in delivered.content.decode()
    client.force_login(owner)
    url = reverse("hiring:action", kwargs={"pk": so.pk, "action": "accept"})
    refused = client.post(url, follow=True).content.decode()
    so.refresh_from_db()
    assert "Tick the box to confirm" in refused and so.order.status == "delivered"
    accepted = client.post(url, {"confirm": "yes"}, follow=True).content.decode()
    so.refresh_from_db()
    payout = so.order_payouts.get()
    assert so.order.status == "completed"
    assert f"Delivery accepted; ¥{payout.amount} released to {providers[0].name}." in accepted


def test_cancelling_needs_the_confirmation(client, buyer, providers):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    client.force_login(owner)
    url = reverse("hiring:action", kwargs={"pk": so.pk, "action": "cancel"})
    client.post(url, {"reason": "Changed plans"})
    so.refresh_from_db()
    assert so.order.status == "awaiting_payment"
    page = client.post(url, {"reason": "Changed plans", "confirm": "yes"}, follow=True).content.decode()
    so.refresh_from_db()
    assert so.order.status == "cancelled" and "The order is cancelled." in page
