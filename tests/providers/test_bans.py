"""Fixed-term bans: their dates, what they stop (quoting, being listed), lifting, appeals, who may act,
and the public list of bans and penalties in both languages and as CSV."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from marketplace.partner.strategy import Selector
from marketplace.procurement.models import Quote
from providers import selectors, services
from providers.models import ProviderBan, ProviderEvent
from search.backends import get_backend
from search.query import SearchQuery
from tests.factories import make_certified_provider, make_listing, make_request, provider_owner

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 15)


@pytest.fixture
def provider(category):
    return make_certified_provider(categories=[category], name="Banned Consulting")


def impose(provider, staff, term="3", starts_on=TODAY, reason="Colluded on a quote."):
    return services.provider_ban_impose(
        provider=provider, reviewer=staff, term=term, reason=reason, starts_on=starts_on
    )


def in_force(provider, today):
    return selectors.provider_ban_in_force(provider=provider, today=today)


def test_a_ban_is_in_force_from_its_first_day_and_ends_by_itself_on_its_end_date(provider, staff):
    ban = impose(provider, staff, term="3")
    assert ban.ends_on == datetime.date(2026, 6, 15)
    assert in_force(provider, TODAY - datetime.timedelta(days=1)) is None
    assert in_force(provider, TODAY) == ban
    assert in_force(provider, datetime.date(2026, 6, 14)) == ban
    assert in_force(provider, datetime.date(2026, 6, 15)) is None  # free again, no job needed
    assert [b.pk for b in selectors.bans_in_force(today=datetime.date(2026, 6, 15))] == []


@pytest.mark.parametrize(("term", "ends_on"), [("6", datetime.date(2026, 9, 15)), ("12", datetime.date(2027, 3, 15))])
def test_six_and_twelve_month_terms(provider, staff, term, ends_on):
    assert impose(provider, staff, term=term).ends_on == ends_on


def test_of_overlapping_bans_the_one_ending_last_is_in_force_a_permanent_one_first(
    provider, staff, django_assert_num_queries
):
    ProviderBan.objects.create(provider=provider, term="3", starts_on=TODAY, ends_on=TODAY + datetime.timedelta(90))
    longest = ProviderBan.objects.create(
        provider=provider, term="12", starts_on=TODAY - datetime.timedelta(30), ends_on=TODAY + datetime.timedelta(300)
    )
    ProviderBan.objects.create(provider=provider, term="6", starts_on=TODAY, ends_on=TODAY + datetime.timedelta(180))
    with django_assert_num_queries(1):
        assert in_force(provider, TODAY) == longest
    permanent = ProviderBan.objects.create(provider=provider, term="permanent", starts_on=TODAY - datetime.timedelta(9))
    assert in_force(provider, TODAY) == permanent
    assert in_force(provider, TODAY - datetime.timedelta(10)) == longest


def test_a_permanent_ban_never_ends(provider, staff):
    ban = impose(provider, staff, term="permanent", reason="Forged qualification certificate.")
    assert ban.ends_on is None and ban.is_permanent
    assert in_force(provider, datetime.date(2099, 1, 1)) == ban
    assert "permanently" in ban.refusal


def test_imposing_tells_the_team_and_records_the_event(provider, staff, committed):
    ban = committed(
        services.provider_ban_impose, provider=provider, reviewer=staff, term="6", reason="Fraud.", starts_on=TODAY
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert provider_owner(provider).email in message.to
    assert "banned" in message.subject and "2026-09-15" in message.body and "Fraud." in message.body
    event = provider.events.get(kind=ProviderEvent.Kind.BANNED)
    assert event.actor == staff and event.data["ban"] == ban.pk and event.data["ends_on"] == "2026-09-15"


def test_bad_input_is_refused_with_a_message(provider, staff):
    with pytest.raises(ValidationError) as error:
        impose(provider, staff, term="7")
    assert "months" in str(error.value)
    with pytest.raises(ValidationError, match="reason"):
        impose(provider, staff, reason="  ")
    with pytest.raises(ValidationError, match="staff"):
        impose(provider, provider_owner(provider))
    assert not ProviderBan.objects.exists()


def test_a_banned_provider_cannot_quote_through_the_view_and_is_told_until_when(
    client, provider, staff, buyer, category
):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    impose(provider, staff, term="3", starts_on=timezone.localdate())
    client.force_login(provider_owner(provider))
    response = client.post(
        reverse("procurement:quote", kwargs={"pk": request.pk}), {"price": "50000", "service_days": "30"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "banned from quoting until" in html
    assert ProviderBan.objects.get().ends_on.isoformat() in html
    assert not Quote.objects.exists()


def test_a_ban_that_has_ended_lets_the_provider_quote_again(client, provider, staff, buyer, category):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    today = timezone.localdate()
    impose(provider, staff, term="3", starts_on=today - datetime.timedelta(days=200))  # ended about 110 days ago
    client.force_login(provider_owner(provider))
    response = client.post(
        reverse("procurement:quote", kwargs={"pk": request.pk}), {"price": "50000", "service_days": "30"}
    )
    assert response.status_code == 302 and Quote.objects.filter(provider=provider).exists()


def test_a_banned_providers_listing_is_neither_shown_nor_purchasable_and_returns_when_the_ban_ends(
    client, provider, staff, category
):
    product = make_listing(provider, category)
    today = timezone.localdate()
    assert Selector().strategy().fetch_for_product(product).availability.is_available_to_buy
    ban = impose(provider, staff, term="3", starts_on=today)
    assert not selectors.listing_is_purchasable(product=product)
    assert not Selector().strategy().fetch_for_product(product).availability.is_available_to_buy
    assert product not in selectors.category_listings(category=category)
    assert not selectors.provider_public_listings(provider=provider).exists()
    assert client.get(product.get_absolute_url()).status_code == 404
    assert selectors.listing_is_purchasable(product=product, today=ban.ends_on)  # listed again on its end date
    profile = client.get(reverse("providers:profile", args=[provider.pk])).content.decode()
    assert f"until {ban.ends_on.isoformat()}" in profile and "Colluded on a quote." in profile


def test_staff_lift_a_ban_early_with_a_reason(provider, staff, committed, client, category):
    product = make_listing(provider, category)
    ban = impose(provider, staff, starts_on=timezone.localdate())
    with pytest.raises(ValidationError, match="reason"):
        services.provider_ban_lift(ban=ban, reviewer=staff, reason="")
    with pytest.raises(ValidationError, match="staff"):
        services.provider_ban_lift(ban=ban, reviewer=provider_owner(provider), reason="Mine.")
    committed(services.provider_ban_lift, ban=ban, reviewer=staff, reason="Imposed on the wrong provider.")
    ban.refresh_from_db()
    assert ban.lifted_by == staff and ban.lift_reason == "Imposed on the wrong provider."
    assert in_force(provider, timezone.localdate()) is None and selectors.listing_is_purchasable(product=product)
    assert "lifted" in mail.outbox[-1].subject
    with pytest.raises(ValidationError, match="already been lifted"):
        services.provider_ban_lift(ban=ban, reviewer=staff, reason="Again.")


def test_staff_impose_and_lift_through_the_review_page_with_clear_errors(client, provider, staff):
    client.force_login(staff)
    page = reverse("providers:review-provider", args=[provider.pk])
    url = reverse("providers:review-ban-impose", args=[provider.pk])
    response = client.post(url, {"term": "3", "reason": ""}, follow=True)
    assert "required" in response.content.decode() and not ProviderBan.objects.exists()
    response = client.post(url, {"term": "12", "reason": "Bid rigging.", "starts_on": "2026-01-10"}, follow=True)
    assert response.redirect_chain[-1][0] == page
    ban = ProviderBan.objects.get()
    assert (ban.starts_on, ban.ends_on, ban.imposed_by) == (
        datetime.date(2026, 1, 10),
        datetime.date(2027, 1, 10),
        staff,
    )
    html = response.content.decode()
    assert "Ban imposed until 2027-01-10" in html and "Bid rigging." in html
    response = client.post(reverse("providers:review-ban-lift", args=[ban.pk]), {"reason": ""}, follow=True)
    assert "Please give a reason" in response.content.decode()
    client.post(reverse("providers:review-ban-lift", args=[ban.pk]), {"reason": "Court overturned it."})
    ban.refresh_from_db()
    assert ban.lifted_at is not None


def test_non_staff_are_refused_every_ban_action(client, provider, staff):
    ban = impose(provider, staff, starts_on=timezone.localdate())
    urls = [
        reverse("providers:review-ban-impose", args=[provider.pk]),
        reverse("providers:review-ban-lift", args=[ban.pk]),
        reverse("providers:review-ban-appeal-decide", args=[ban.pk, "uphold"]),
    ]
    for url in urls:
        assert client.post(url, {"term": "3", "reason": "x", "decision": "x"}).status_code == 302  # to log in
    client.force_login(provider_owner(provider))
    for url in urls:
        assert client.post(url, {"term": "3", "reason": "x", "decision": "x"}).status_code == 403
    ban.refresh_from_db()
    assert ban.lifted_at is None and ProviderBan.objects.count() == 1


def test_an_upheld_appeal_lifts_the_ban(client, provider, staff, committed):
    ban = impose(provider, staff, starts_on=timezone.localdate())
    owner = provider_owner(provider)
    client.force_login(owner)
    page = client.get(reverse("providers:console-bans")).content.decode()
    assert "Colluded on a quote." in page and "In force" in page
    url = reverse("providers:console-ban-appeal", args=[ban.pk])
    assert "Explain why" in client.post(url, {"reason": ""}, follow=True).content.decode()
    client.post(url, {"reason": "The quotes were independent; see the attached emails."})
    ban.refresh_from_db()
    assert ban.appeal_status == ProviderBan.AppealStatus.PENDING and ban.appeal_filed_by == owner
    assert "already been appealed" in client.post(url, {"reason": "Again."}, follow=True).content.decode()
    client.force_login(staff)
    decide = reverse("providers:review-ban-appeal-decide", args=[ban.pk, "uphold"])
    assert "Write the decision" in client.post(decide, {"decision": ""}, follow=True).content.decode()
    client.post(decide, {"decision": "The evidence shows independent quotes."})
    ban.refresh_from_db()
    assert ban.appeal_status == ProviderBan.AppealStatus.UPHELD and ban.lifted_at is not None
    assert ban.lift_reason == "The evidence shows independent quotes."
    assert in_force(provider, timezone.localdate()) is None


def test_a_rejected_appeal_leaves_the_ban_and_tells_the_team(provider, staff, committed):
    ban = impose(provider, staff, starts_on=timezone.localdate())
    services.provider_ban_appeal_file(ban=ban, user=provider_owner(provider), reason="Unfair.")
    committed(services.provider_ban_appeal_decide, ban=ban, reviewer=staff, uphold=False, decision="Evidence holds.")
    ban.refresh_from_db()
    assert ban.appeal_status == ProviderBan.AppealStatus.REJECTED and ban.lifted_at is None
    assert in_force(provider, timezone.localdate()) == ban
    assert "rejected" in mail.outbox[-1].subject and "Evidence holds." in mail.outbox[-1].body
    with pytest.raises(ValidationError, match="no pending appeal"):
        services.provider_ban_appeal_decide(ban=ban, reviewer=staff, uphold=True, decision="Changed my mind.")


def test_only_the_banned_providers_team_may_appeal_its_ban(client, provider, staff, category):
    ban = impose(provider, staff, starts_on=timezone.localdate())
    other = make_certified_provider(categories=[category], name="Other Consulting")
    client.force_login(provider_owner(other))
    assert client.post(reverse("providers:console-ban-appeal", args=[ban.pk]), {"reason": "x"}).status_code == 404
    with pytest.raises(ValidationError, match="not a member"):
        services.provider_ban_appeal_file(ban=ban, user=provider_owner(other), reason="x")
    assert "Colluded" not in client.get(reverse("providers:console-bans")).content.decode()


# --- The public list ------------------------------------------------------------------------------


def test_the_public_page_lists_bans_in_force_in_both_languages_without_personal_data(client, provider, staff, category):
    impose(provider, staff, term="6", starts_on=timezone.localdate(), reason="Colluded on a quote.")
    permanent = make_certified_provider(categories=[category])
    ban = impose(permanent, staff, term="permanent", starts_on=timezone.localdate(), reason="Forged certificate.")
    ended = make_certified_provider(categories=[category], name="Reformed Consulting")
    impose(ended, staff, term="3", starts_on=timezone.localdate() - datetime.timedelta(days=200), reason="Old.")
    url = reverse("providers:penalties")
    html = client.get(url).content.decode()
    assert "Banned Consulting" in html and provider.credit_code in html and "Colluded on a quote." in html
    assert "Forged certificate." in html and "permanent" in html and ban.starts_on.isoformat() in html
    assert "Reformed Consulting" not in html and "Old." not in html
    assert staff.email not in html and provider_owner(provider).email not in html and "Zhang San" not in html
    zh = client.get("/zh-hans" + url)
    assert zh.status_code == 200
    zh_html = zh.content.decode()
    assert "统一社会信用代码" in zh_html and provider.name_zh in zh_html


def test_the_public_list_as_csv_in_both_languages(client, provider, staff):
    impose(provider, staff, term="permanent", starts_on=timezone.localdate(), reason="Forged certificate.")
    for prefix, code_heading, name in (
        ("", "Unified social credit code", provider.name),
        ("/zh-hans", "统一社会信用代码", provider.name_zh),
    ):
        response = client.get(prefix + reverse("providers:penalties"), {"format": "csv"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert code_heading in rows[0]
        (row,) = [r for r in rows[1:] if provider.credit_code in r]
        assert name in row and "Forged certificate." in row and timezone.localdate().isoformat() in row
        assert staff.email not in response.content.decode()


def test_search_drops_a_banned_providers_listings_and_finds_them_again_when_the_ban_ends(
    provider, staff, category, settings, django_capture_on_commit_callbacks
):
    """The database search backend: the index is a copy, so it must follow bans, including by date."""
    settings.SEARCH_BACKEND = "database"

    def found():
        return {hit.document.listing_id for hit in get_backend().search(SearchQuery()).hits}

    with django_capture_on_commit_callbacks(execute=True):
        product = make_listing(provider, category)
    assert product.pk in found()
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        ban = impose(provider, staff, starts_on=today)
    assert product.pk not in found()
    # The ban reaches its end date today: no row changes, so only the daily boundary run re-indexes.
    ProviderBan.objects.filter(pk=ban.pk).update(starts_on=today - datetime.timedelta(days=90), ends_on=today)
    assert product.pk not in found()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.provider_bans_boundary_notify() == [provider.pk]
    assert product.pk in found()
