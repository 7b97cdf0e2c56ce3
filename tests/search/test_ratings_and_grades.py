"""Ratings and credit grades reach the index and shape results, whichever backend answers.

Ratings are made the real way (a completed order rated by its buyer through
``marketplace.ratings.services``). Credit grades are written on the provider directly: the credit
services that compute them belong to the transparency part; a provider save is what they do.
"""

from decimal import Decimal

import pytest

from marketplace.ratings import selectors
from providers.models import Provider
from search.backends import get_backend
from search.query import SearchQuery
from tests.factories.ratings import rate_listing

pytestmark = pytest.mark.django_db


def search(**kwargs):
    return get_backend().search(SearchQuery(**kwargs))


def ids(result):
    return [hit.document.listing_id for hit in result.hits]


def _refresh():
    from tests.search.conftest import _refresh as refresh

    refresh()


@pytest.fixture
def prior(settings):
    settings.RATING_PRIOR_MEAN = 4.0
    settings.RATING_PRIOR_WEIGHT = 1


def rate(product, *stars, capture):
    with capture(execute=True):
        made = [rate_listing(product, n) for n in stars]
    _refresh()
    return made


def grade(partner_name, value, capture):
    with capture(execute=True):
        provider = Provider.objects.get(name=partner_name)
        provider.credit_grade = value
        provider.save()
    _refresh()


def test_ratings_are_indexed_and_drive_filter_facets_and_sort(
    backend_name, listing, prior, django_capture_on_commit_callbacks
):
    loved = listing(title="Loved survey", partner_name="Loved Surveys")
    middling = listing(title="Middling survey", partner_name="Middling Surveys")
    unrated = listing(title="New survey", partner_name="New Surveys")
    rate(loved, 5, 5, capture=django_capture_on_commit_callbacks)  # (4 + 10) / 3 = 4.67
    rate(middling, 3, capture=django_capture_on_commit_callbacks)  # (4 + 3) / 2 = 3.50
    documents = {hit.document.listing_id: hit.document for hit in search().hits}
    # The same Bayesian average and count the listing pages show.
    for product in (loved, middling):
        summary = selectors.listing_summary(product=product)
        assert Decimal(str(documents[product.pk].rating)) == summary.bayesian
        assert documents[product.pk].rating_count == summary.count
    assert documents[loved.pk].rating == pytest.approx(4.67) and documents[loved.pk].rating_count == 2
    assert documents[unrated.pk].rating is None and documents[unrated.pk].rating_count == 0
    assert ids(search(rating_min=Decimal("4"))) == [loved.pk]
    assert set(ids(search(rating_min=Decimal("3.5")))) == {loved.pk, middling.pk}
    assert {v.value: v.count for v in search().facets["rating"].values} == {"4.5": 1, "4": 1, "3.5": 2, "3": 2}
    assert ids(search(sort="rating")) == [loved.pk, middling.pk, unrated.pk]
    assert ids(search(q="survey", sort="rating")) == [loved.pk, middling.pk, unrated.pk]


def test_the_index_follows_a_rating_changed_or_deleted(
    backend_name, listing, prior, django_capture_on_commit_callbacks
):
    product = listing(title="Rated once")
    (rating,) = rate(product, 5, capture=django_capture_on_commit_callbacks)  # (4 + 5) / 2 = 4.5
    assert ids(search(rating_min=Decimal("4.5"))) == [product.pk]
    with django_capture_on_commit_callbacks(execute=True):
        rating.overall = Decimal("2.00")
        rating.save()
    _refresh()
    assert ids(search(rating_min=Decimal("4.5"))) == []
    assert search().hits[0].document.rating == pytest.approx(3.0)
    with django_capture_on_commit_callbacks(execute=True):
        rating.delete()
    _refresh()
    document = search().hits[0].document
    assert (document.rating, document.rating_count) == (None, 0)
    assert ids(search(rating_min=Decimal("0"))) == []  # unrated listings have no rating to pass


def test_higher_credit_grade_ranks_first_among_equal_matches(backend_name, listing, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    fair = listing(title="Topographic survey", partner_name="Fair Credit Surveys", price=1000)
    top = listing(title="Topographic survey", partner_name="Top Credit Surveys", price=9000)
    grade("Fair Credit Surveys", 3, capture)
    grade("Top Credit Surveys", 5, capture)
    assert search(q="topographic").hits[0].document.credit_grade == 5
    assert ids(search(q="topographic")) == [top.pk, fair.pk]
    assert ids(search()) == [top.pk, fair.pk]  # best match without a query too
    # Explicit sorts are what the buyer asked for: the grade does not override them.
    assert ids(search(q="topographic", sort="price_asc")) == [fair.pk, top.pk]
    rate(fair, 5, capture=capture)
    assert ids(search(q="topographic", sort="rating")) == [fair.pk, top.pk]


def test_ungraded_providers_rank_between_good_and_poor_grades(
    backend_name, listing, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    poor = listing(title="Cadastral survey", partner_name="Poor Credit Surveys")
    ungraded = listing(title="Cadastral survey", partner_name="Ungraded Surveys")
    good = listing(title="Cadastral survey", partner_name="Good Credit Surveys")
    grade("Poor Credit Surveys", 1, capture)
    grade("Good Credit Surveys", 4, capture)
    assert ids(search(q="cadastral")) == [good.pk, ungraded.pk, poor.pk]


def test_the_named_service_item_still_comes_before_the_grade(backend_name, listing, django_capture_on_commit_callbacks):
    mentions = listing(title="Mapping for 环评 projects", category="surveying", partner_name="Top Mappers")
    eia = listing(title="Report preparation", title_zh="报告书编制", category="eia", partner_name="Plain EIA")
    grade("Top Mappers", 5, django_capture_on_commit_callbacks)
    assert ids(search(q="环评")) == [eia.pk, mentions.pk]


def _index_updates(callbacks) -> set[int]:
    from search.services import _send_index_update

    return {
        pk for callback in callbacks if getattr(callback, "send", None) is _send_index_update for pk in callback.ids
    }


def test_only_changes_the_index_shows_queue_a_re_index(backend_name, listing, django_capture_on_commit_callbacks):
    """A provider's reply to a rating, and a credit score that moves without changing the grade,
    change nothing a listing document carries: no re-index is queued. A new grade is."""
    from marketplace.ratings import services as ratings

    product = listing(title="Quiet survey", partner_name="Quiet Surveys")
    (rating,) = rate(product, 4, capture=django_capture_on_commit_callbacks)
    provider = Provider.objects.get(name="Quiet Surveys")
    member = provider.memberships.first().user
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ratings.rating_reply(rating=rating, user=member, reply="Thank you.")
    assert _index_updates(callbacks) == set()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        provider.credit_score = Decimal("71.00")
        provider.save(update_fields=["credit_score", "credit_computed_at", "updated_at"])
    assert _index_updates(callbacks) == set()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        provider.credit_grade = 4
        provider.save(update_fields=["credit_score", "credit_grade", "credit_computed_at", "updated_at"])
    assert _index_updates(callbacks) == {product.pk}
