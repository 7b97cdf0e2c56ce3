"""A case's page costs the same few queries however many orders, files, requests and submissions the
case gathers, for each party who sees it; so does the new-case page whatever the user may choose from.

Counted on a second visit, outside ``ATOMIC_REQUESTS``' savepoints' cost: the budgets below are the
whole request as the test client runs it (user, savepoint pair, the header's cart count and roles,
then the page's own queries).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.approvals import services
from marketplace.approvals.models import ApprovalMatter
from tests.factories import make_buyer, make_request
from tests.factories.hiring import make_service_order

from .test_cases import accepted_order

pytestmark = pytest.mark.django_db

# The page's own: the case (with its part), its submissions, the matter's service items, its orders
# (and the enterprise's attachable ones), their files, their delivery notes, its requests (and the
# attachable ones). Plus user, savepoint pair, cart count and roles.
CASE_PAGE_BUDGET = 12
# The page's own: the matter asked for (``?matter=``), the user's enterprises, the published matters.
NEW_CASE_BUDGET = 8


def queries(client, url) -> int:
    assert client.get(url).status_code == 200  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def gather(buyer, case, provider, eia, n):
    """``n`` accepted orders (each with a file and a sealed note) and ``n`` requests in ``case``, and as
    many of each the enterprise could still add to it."""
    enterprise, owner = buyer
    for _ in range(n):
        so = accepted_order(buyer, provider, eia)
        services.case_attach_order(case=case, user=owner, service_order_id=so.pk)
        request = make_request(enterprise=enterprise, user=owner, category=eia)
        services.case_attach_request(case=case, user=owner, request_id=request.pk)
        make_service_order(enterprise=enterprise, buyer=owner, provider=provider, category=eia)
        make_request(enterprise=enterprise, user=owner, category=eia)


def test_the_members_page_costs_the_same_for_one_order_as_for_four(
    client, buyer, eia_matter, providers, catalogue, django_assert_max_num_queries
):
    eia = catalogue.get(code="eia")
    case = services.case_open(
        enterprise=buyer[0], user=buyer[1], matter=eia_matter, project_name="P", site="S", region=""
    )
    gather(buyer, case, providers[0], eia, 1)
    client.force_login(buyer[1])
    one = queries(client, case.get_absolute_url())
    gather(buyer, case, providers[1], eia, 3)
    with django_assert_max_num_queries(min(one, CASE_PAGE_BUDGET)):
        page = client.get(case.get_absolute_url()).content.decode()
    assert page.count('class="case-note"') == 1  # the step shows its latest live order's note
    assert page.count('<option value="') == 2 + 4 + 4  # "—" in each list, four orders and four requests to add
    assert queries(client, case.get_absolute_url()) == one


def test_the_officers_and_staffs_pages_cost_the_same_for_one_order_as_for_four(
    client, buyer, eia_matter, providers, catalogue, officer, staff, django_assert_max_num_queries
):
    eia = catalogue.get(code="eia")
    small, large = (
        services.case_open(
            enterprise=buyer[0], user=buyer[1], matter=eia_matter, project_name=name, site="S", region=""
        )
        for name in ("Small", "Large")
    )
    gather(buyer, small, providers[0], eia, 1)
    gather(buyer, large, providers[1], eia, 4)
    for case in (small, large):
        services.case_submit(case=case, user=buyer[1])
    for viewer in (officer, staff):
        client.force_login(viewer)
        one = queries(client, small.get_absolute_url())
        assert one <= CASE_PAGE_BUDGET
        with django_assert_max_num_queries(one):
            assert client.get(large.get_absolute_url()).status_code == 200


def test_the_new_case_page_costs_the_same_whatever_there_is_to_choose(
    client, buyer, eia_matter, authority, catalogue, django_assert_max_num_queries
):
    enterprise, owner = buyer
    client.force_login(owner)
    url = reverse("approvals:case-open") + f"?matter={eia_matter.code}"
    one = queries(client, url)
    assert one <= NEW_CASE_BUDGET
    for n in range(3):
        other, _other_owner = make_buyer()
        other.memberships.create(user=owner, role="owner")
        ApprovalMatter.objects.create(code=f"matter-{n}", name=f"Matter {n}", authority=authority, time_limit_days=5)
    with django_assert_max_num_queries(one):
        page = client.get(url).content.decode()
    assert page.count('name="enterprise"') == 1 and page.count("<option") >= 4 + 4
