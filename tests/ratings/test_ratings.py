"""Rating rules (who, when, once), the one public reply, aggregates and the Bayesian ranking."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder as ServiceOrderModel
from marketplace.ratings import selectors, services
from marketplace.ratings.models import Rating
from tests.factories import UserFactory, deliver, make_service_order, pay, pdf_upload, provider_owner

pytestmark = pytest.mark.django_db
STARS = {"quality": 5, "timeliness": 4, "communication": 4, "price_fairness": 3}


def completed_order(buyer, provider):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(so)
    hiring.deliverable_upload(service_order=so, user=provider_owner(provider), file=pdf_upload())
    deliver(so, provider_owner(provider))
    hiring.service_order_accept(service_order=so, user=owner)
    return so


def test_only_the_buyer_of_a_completed_order_rates_it_once(buyer, providers):
    enterprise, owner = buyer
    open_order = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    with pytest.raises(ValidationError):
        services.rating_create(service_order=open_order, user=owner, **STARS)
    so = completed_order(buyer, providers[0])
    with pytest.raises(services.NotPermitted):
        services.rating_create(service_order=so, user=provider_owner(providers[0]), **STARS)
    with pytest.raises(services.NotPermitted):
        services.rating_create(service_order=so, user=UserFactory(), **STARS)
    with pytest.raises(ValidationError) as error:
        services.rating_create(service_order=so, user=owner, **{**STARS, "quality": 6, "timeliness": "x"})
    assert {"quality", "timeliness"} <= set(error.value.message_dict)
    rating = services.rating_create(service_order=so, user=owner, comment="Solid work.", **STARS)
    assert rating.overall == Decimal("4.00") and rating.provider == providers[0]
    with pytest.raises(ValidationError):
        services.rating_create(service_order=so, user=owner, **STARS)


def test_provider_replies_once_publicly(buyer, providers):
    so = completed_order(buyer, providers[0])
    rating = services.rating_create(service_order=so, user=buyer[1], **STARS)
    with pytest.raises(services.NotPermitted):
        services.rating_reply(rating=rating, user=provider_owner(providers[1]), reply="Hi")
    with pytest.raises(ValidationError):
        services.rating_reply(rating=rating, user=provider_owner(providers[0]), reply=" ")
    services.rating_reply(rating=rating, user=provider_owner(providers[0]), reply="Thank you.")
    with pytest.raises(ValidationError):
        services.rating_reply(rating=rating, user=provider_owner(providers[0]), reply="Again")


def test_bayesian_average_puts_many_good_ratings_above_a_few_perfect_ones(settings):
    settings.RATING_PRIOR_MEAN = 4.0
    settings.RATING_PRIOR_WEIGHT = 10
    few_perfect = selectors.bayesian_average(total=Decimal("15"), count=3)
    many_good = selectors.bayesian_average(total=Decimal("4.8") * 300, count=300)
    assert few_perfect == Decimal("4.23")
    assert many_good == Decimal("4.77")
    assert many_good > few_perfect
    assert selectors.bayesian_average(total=Decimal("0"), count=0) == Decimal("4.00")


def test_summary_has_dimensions_distribution_and_count(buyer, providers, django_assert_num_queries):
    for stars in (5, 5, 3):
        so = completed_order(buyer, providers[0])
        services.rating_create(
            service_order=so, user=buyer[1], quality=stars, timeliness=stars, communication=stars, price_fairness=stars
        )
    with django_assert_num_queries(1):
        summary = selectors.provider_summary(provider=providers[0])
    assert summary.count == 3
    assert summary.dimensions["quality"] == Decimal("4.33")
    assert dict((s, n) for s, n, _p in summary.distribution) == {5: 2, 4: 0, 3: 1, 2: 0, 1: 0}
    assert selectors.bayesian_by_provider(provider_ids=[providers[0].pk, providers[1].pk]) == {
        providers[0].pk: summary.bayesian,
        providers[1].pk: Decimal("4.00"),
    }
    assert Rating.objects.count() == 3


def rate_with(buyer, provider, stars, *, product=None):
    so = completed_order(buyer, provider)
    if product is not None:
        ServiceOrderModel.objects.filter(pk=so.pk).update(product=product)
        so.refresh_from_db()
    quality, timeliness, communication, price_fairness = stars
    return services.rating_create(
        service_order=so,
        user=buyer[1],
        quality=quality,
        timeliness=timeliness,
        communication=communication,
        price_fairness=price_fairness,
    )


def test_the_provider_overview_is_the_summary_and_the_latest_ratings_in_one_query(
    buyer, providers, django_assert_num_queries
):
    """The profile page's one read gives what ``provider_summary`` and ``recent_ratings`` give apart,
    however many ratings there are beyond the latest five; and the empty summary with none."""
    for stars in ((5, 5, 5, 4), (3, 4, 2, 5), (1, 2, 1, 1), (4, 4, 4, 4), (5, 3, 4, 2), (2, 5, 5, 3), (4, 5, 3, 4)):
        rate_with(buyer, providers[0], stars)
    with django_assert_num_queries(1):
        summary, latest = selectors.provider_overview(provider=providers[0])
    assert summary == selectors.provider_summary(provider=providers[0])
    assert summary.count == 7
    assert [r.pk for r in latest] == [r.pk for r in selectors.recent_ratings(provider=providers[0])]
    assert len(latest) == 5
    with django_assert_num_queries(1):
        unrated = selectors.provider_overview(provider=providers[1])
    assert unrated == (selectors.provider_summary(provider=providers[1]), [])


def test_listings_with_ratings_read_in_the_listings_query_match_attach_product_ratings(
    category, buyer, providers, django_assert_num_queries
):
    from providers import selectors as provider_selectors
    from tests.factories import make_listing

    rated = make_listing(providers[0], category, title="Rated")
    make_listing(providers[0], category, title="Unrated")
    for stars in ((5, 5, 5, 4), (3, 4, 4, 5), (4, 2, 5, 3)):
        rate_with(buyer, providers[0], stars, product=rated)
    listings = provider_selectors.provider_public_listings(provider=providers[0])
    # The listings and their three prefetches (stock records, categories, attributes); no more for ratings.
    with django_assert_num_queries(4):
        annotated = selectors.listings_with_ratings(listings)
    attached = list(listings)
    selectors.attach_product_ratings(attached)
    assert [(p.pk, p.rating_bayesian, p.rating_count) for p in annotated] == [
        (p.pk, p.rating_bayesian, p.rating_count) for p in attached
    ]
    assert [p.rating_count for p in annotated] == [3, 0]
    assert annotated[1].rating_bayesian is None


def test_category_page_ranks_by_bayesian_average(client, category, buyer, providers):
    """Three perfect ratings (raw 5.00) rank below twenty ratings averaging 4.75."""
    from tests.factories import make_listing

    few = make_listing(providers[0], category, title="Few perfect")
    many = make_listing(providers[1], category, title="Many good")
    for product, stars, times in ((few, (5, 5, 5, 5), 3), (many, (5, 5, 5, 4), 20)):
        for _ in range(times):
            rate_with(buyer, product.stockrecords.get().partner.provider, stars, product=product)
    html = client.get(category.get_absolute_url() + "?sort=rating").content.decode()
    # (4.0 × 10 + 15) / 13 = 4.23 against (4.0 × 10 + 95) / 30 = 4.50
    assert "★ 4.23 (3)" in html and "★ 4.50 (20)" in html
    assert html.index("Many good") < html.index("Few perfect")
    by_price = client.get(category.get_absolute_url()).content.decode()
    assert "Sort by" in by_price


def test_the_rating_form_chooses_no_score_for_the_buyer(client, buyer, providers):
    """Nothing is preselected: a dimension left alone is an error on the page, and nothing is saved."""
    so = completed_order(buyer, providers[0])
    client.force_login(buyer[1])
    page = client.get(so.get_absolute_url()).content.decode()
    assert 'value="5" selected' not in page and "Choose…" in page
    response = client.post(reverse("hiring:rate", args=[so.pk]), {**STARS, "timeliness": ""}, follow=True)
    assert not Rating.objects.exists()
    assert "Give 1 to 5 stars for each of the four aspects." in response.content.decode()
