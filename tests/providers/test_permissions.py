"""The permission matrix: provider A never reaches provider B's objects, whatever the id.

Other organisations' objects answer 404 (not 403) so ids reveal nothing; anonymous visitors are
sent to log in; people who are not staff get no review page.
"""

import pytest
from django.urls import reverse

from providers import services
from providers.models import Provider
from tests.factories import UserFactory, add_qualification, make_certified_provider, make_listing, staff_user
from tests.providers.test_views import listing_post, qualification_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalogue):
    eia = catalogue.get(code="eia")
    a = make_certified_provider(categories=[eia])
    b = make_certified_provider(categories=[eia])
    b_owner = b.memberships.get().user
    b_member = services.member_add(provider=b, actor=b_owner, email=UserFactory().email)
    return {
        "eia": eia,
        "a": a,
        "a_owner": a.memberships.get().user,
        "b": b,
        "b_owner": b_owner,
        "b_member": b_member,
        "b_listing": make_listing(b, eia, published=False),
        "b_qualification": add_qualification(b, eia),
    }


CONSOLE_PAGES = [
    "providers:console",
    "providers:console-profile",
    "providers:console-qualifications",
    "providers:console-listings",
    "providers:console-listing-create",
    "providers:console-team",
]


@pytest.mark.parametrize("name", CONSOLE_PAGES)
def test_console_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("customer:login") in response.url


def test_object_urls_need_login(client, world):
    urls = [
        ("get", reverse("providers:console-listing-edit", args=[world["b_listing"].pk])),
        ("post", reverse("providers:console-listing-publish", args=[world["b_listing"].pk])),
        ("post", reverse("providers:console-team-remove", args=[world["b_member"].pk])),
        ("post", reverse("providers:console-team-role", args=[world["b_member"].pk])),
        ("get", reverse("providers:qualification-scan", args=[world["b_qualification"].pk])),
        ("get", reverse("providers:review")),
        ("get", reverse("providers:review-provider", args=[world["b"].pk])),
        ("post", reverse("providers:review-provider-action", args=[world["b"].pk, "suspend"])),
        ("post", reverse("providers:review-qualification-action", args=[world["b_qualification"].pk, "approve"])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and reverse("customer:login") in response.url, url


def test_console_pages_show_only_my_own_organisation(client, world):
    client.force_login(world["a_owner"])
    for name in CONSOLE_PAGES:
        html = client.get(reverse(name)).content.decode()
        assert world["b"].name not in html, name
        assert world["b"].credit_code not in html, name
        assert world["b_owner"].email not in html, name
        assert world["b_qualification"].certificate_number not in html, name


def test_provider_a_cannot_open_or_change_provider_bs_listing(client, world):
    client.force_login(world["a_owner"])
    listing = world["b_listing"]
    assert client.get(reverse("providers:console-listing-edit", args=[listing.pk])).status_code == 404
    response = client.post(reverse("providers:console-listing-edit", args=[listing.pk]), listing_post(world["eia"]))
    assert response.status_code == 404
    response = client.post(reverse("providers:console-listing-publish", args=[listing.pk]), {"published": "1"})
    assert response.status_code == 404
    listing.refresh_from_db()
    assert not listing.is_public and listing.title != listing_post(world["eia"])["title"]
    # The unpublished listing's public page is no preview for another provider either.
    assert client.get(listing.get_absolute_url()).status_code == 404


def test_provider_a_cannot_download_provider_bs_scan(client, world):
    client.force_login(world["a_owner"])
    url = reverse("providers:qualification-scan", args=[world["b_qualification"].pk])
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())  # a person with no organisation at all
    assert client.get(url).status_code == 404


def test_provider_a_cannot_remove_provider_bs_team_member(client, world):
    client.force_login(world["a_owner"])
    response = client.post(reverse("providers:console-team-remove", args=[world["b_member"].pk]))
    assert response.status_code == 404
    assert world["b"].memberships.count() == 2


def test_provider_a_cannot_change_roles_in_provider_bs_team(client, world):
    client.force_login(world["a_owner"])
    response = client.post(reverse("providers:console-team-role", args=[world["b_member"].pk]), {"role": "owner"})
    assert response.status_code == 404
    world["b_member"].refresh_from_db()
    assert world["b_member"].role == "member"


def test_provider_a_cannot_act_on_b_through_form_fields(client, world):
    """Forms never take an organisation id: the console always acts for the signed-in person's."""
    client.force_login(world["a_owner"])
    data = qualification_post(world["eia"], provider=world["b"].pk)
    b_before, a_before = world["b"].qualifications.count(), world["a"].qualifications.count()
    client.post(reverse("providers:console-qualifications"), data)
    assert world["b"].qualifications.count() == b_before
    assert world["a"].qualifications.count() == a_before + 1
    client.post(
        reverse("providers:console-team"), {"email": UserFactory().email, "role": "owner", "provider": world["b"].pk}
    )
    assert world["b"].memberships.count() == 2
    client.post(reverse("providers:console-profile"), {"name": "Hijacked", "provider": world["b"].pk})
    world["b"].refresh_from_db()
    assert world["b"].name != "Hijacked"


def test_a_plain_member_cannot_manage_the_team(client, world):
    client.force_login(world["b_member"].user)
    owner_membership = world["b"].memberships.get(user=world["b_owner"])
    response = client.post(reverse("providers:console-team-remove", args=[owner_membership.pk]), follow=True)
    assert "Only an owner" in response.content.decode()
    assert world["b"].memberships.count() == 2


@pytest.mark.parametrize("who", ["a_owner", "plain_user"])
def test_non_staff_get_no_review_pages(client, world, who):
    client.force_login(world["a_owner"] if who == "a_owner" else UserFactory())
    b = world["b"]
    assert client.get(reverse("providers:review")).status_code == 403
    assert client.get(reverse("providers:review-provider", args=[b.pk])).status_code == 403
    response = client.post(reverse("providers:review-provider-action", args=[b.pk, "suspend"]), {"reason": "x"})
    assert response.status_code == 403
    qualification = world["b_qualification"]
    response = client.post(reverse("providers:review-qualification-action", args=[qualification.pk, "approve"]))
    assert response.status_code == 403
    b.refresh_from_db()
    qualification.refresh_from_db()
    assert b.status == Provider.Status.CERTIFIED and qualification.status == "pending"


def test_staff_see_any_provider_and_unknown_ids_are_404(client, world):
    client.force_login(staff_user())
    assert client.get(reverse("providers:review-provider", args=[world["b"].pk])).status_code == 200
    assert client.get(reverse("providers:review-provider", args=[999999])).status_code == 404
    assert client.get(reverse("providers:qualification-scan", args=[999999])).status_code == 404
    assert client.post(reverse("providers:review-qualification-action", args=[999999, "approve"])).status_code == 404
