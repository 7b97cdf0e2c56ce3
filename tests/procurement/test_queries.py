"""The request page (``/requests/<pk>/``) costs the same number of SQL statements however many
quotes, clarifications and objections its request has, for the buyer and for a quoting provider,
open and closed; and the page itself runs few: besides the session, the user, the header's basket
count and the header's memberships, at most six."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.conversations import services as conversations
from marketplace.procurement import services
from tests.factories import make_certified_provider, make_listing, make_quote, make_request, provider_owner

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
# The session, the user, the header's basket count and its memberships (not the page's doing).
AROUND_THE_PAGE = 4
# The request (with whether the viewer is the buyer, and the order it became), the viewer's provider,
# the clarifications; open: the provider's own quote, its qualifications and its listings' regions;
# closed: the quotes, the selection rounds and the objections.
PAGE_BUDGET = 6


def statements(user, url) -> int:
    """SQL statements of a second visit (the first may fill caches), transaction control left out."""
    client = Client()
    client.force_login(user)
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return sum(1 for query in captured if not query["sql"].upper().startswith(TRANSACTION_CONTROL))


def later(hours):
    return timezone.now() + datetime.timedelta(hours=hours)


def request_with(n, *, buyer, category, reviewer, closed: bool):
    """A request with ``n`` quotes and ``n`` clarifications (every other one answered), closed into
    its publicity period with an objection from each loser when ``closed``. Its quoting providers
    sit in Shanghai and serve Beijing, the project's region, through a listing: the eligibility
    check reads their listings' regions too. Returns the request and its quoting providers, the
    winner first."""
    enterprise, owner = buyer
    rfq = make_request(enterprise=enterprise, user=owner, category=category, hours=72)
    quoting = []
    for i in range(n):
        provider = make_certified_provider(categories=[category], reviewer=reviewer, region="310000")
        make_listing(provider, category, regions_served=("110000",))
        make_quote(rfq, provider, price=str(50000 + 1000 * i))
        question = conversations.clarification_ask(
            request=rfq, user=provider_owner(provider), question=f"Does item {i} include the access road?"
        )
        if i % 2 == 0:
            conversations.clarification_answer(clarification=question, user=owner, answer="Yes.")
        quoting.append(provider)
    if closed:
        services.request_close(request=rfq, now=later(73))
        for loser in quoting[1:]:
            services.objection_file(request=rfq, user=provider_owner(loser), reason="Forged licence.", now=later(74))
    return rfq, quoting


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_request_page_query_count_is_flat_for_the_buyer_and_a_quoting_provider(
    buyer, category, staff, closed, django_capture_on_commit_callbacks
):
    _enterprise, owner = buyer
    few, few_quoting = request_with(2, buyer=buyer, category=category, reviewer=staff, closed=closed)
    many, many_quoting = request_with(6, buyer=buyer, category=category, reviewer=staff, closed=closed)

    viewers = {
        "buyer": (owner, owner),
        "winner": (provider_owner(few_quoting[0]), provider_owner(many_quoting[0])),
        "loser": (provider_owner(few_quoting[-1]), provider_owner(many_quoting[-1])),
    }
    for role, (few_viewer, many_viewer) in viewers.items():
        count = statements(few_viewer, few.get_absolute_url())
        assert count <= AROUND_THE_PAGE + PAGE_BUDGET, role
        assert statements(many_viewer, many.get_absolute_url()) == count, role


def test_the_quoting_provider_sees_its_quote_and_questions_and_the_buyer_the_waiting_ones(
    client, buyer, category, staff
):
    """What the fewer queries read is still shown to whom it was shown: the provider's own quote and
    own unanswered question, the buyer's questions to answer, the objections once closed."""
    _enterprise, owner = buyer
    rfq, quoting = request_with(2, buyer=buyer, category=category, reviewer=staff, closed=False)
    client.force_login(provider_owner(quoting[1]))
    page = client.get(rfq.get_absolute_url()).content.decode()
    assert "Your quote: ¥51000" in page and "Does item 1 include" in page and "Does item 0 include" in page
    assert "Questions waiting for your answer" not in page
    client.force_login(owner)
    page = client.get(rfq.get_absolute_url()).content.decode()
    assert "Questions waiting for your answer" in page and "Does item 1 include" in page

    services.request_close(request=rfq, now=later(73))
    services.objection_file(request=rfq, user=provider_owner(quoting[1]), reason="Forged licence.", now=later(74))
    for viewer in (owner, provider_owner(quoting[1])):
        client.force_login(viewer)
        page = client.get(rfq.get_absolute_url()).content.decode()
        assert "Forged licence." in page and "Does item 0 include" in page
    client.force_login(provider_owner(quoting[0]))  # another provider's pending objection is not its business
    assert "Forged licence." not in client.get(rfq.get_absolute_url()).content.decode()
