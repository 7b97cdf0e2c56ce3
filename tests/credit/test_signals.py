"""Recomputation has one trigger: the model events of the apps below credit (and of its appeals).

The services of hiring, ratings and procurement do not know credit exists; these tests change
inputs the way those apps do, or straight through the ORM, and check the stored score follows
after commit, and only then.
"""

import logging
from decimal import Decimal

import pytest

from marketplace.credit import services, tasks
from marketplace.ratings import services as ratings
from marketplace.ratings.models import AuthorityEvaluation, PlatformEvaluation, Rating
from tests.factories import make_certified_provider, provider_owner
from tests.factories.credit import authority_evaluate, completed_order, officer, platform_evaluate, rate

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def provider(catalogue):
    return make_certified_provider(categories=[catalogue.get(code="eia")])


def score_of(provider):
    provider.refresh_from_db()
    return provider.credit_score, provider.credit_grade


def queued(callbacks, provider) -> bool:
    """Whether a recompute of ``provider`` waits among these commit callbacks."""
    return any(getattr(c, "send", None) is services._recompute and provider.pk in c.ids for c in callbacks)


def test_nothing_is_recomputed_before_commit(buyer, provider, django_capture_on_commit_callbacks):
    so = completed_order(buyer, provider)
    services.provider_credit_recompute(provider=provider)
    before = score_of(provider)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rate(so, buyer, 1)
    assert queued(callbacks, provider)
    assert score_of(provider) == before  # the transaction never committed: the score did not move


def test_a_rating_saved_outside_the_services_still_recomputes(buyer, provider, django_capture_on_commit_callbacks):
    """The trigger is the row, not the service that wrote it (an admin edit, a data fix)."""
    rating = rate(completed_order(buyer, provider), buyer, 5)
    services.provider_credit_recompute(provider=provider)
    assert score_of(provider) == (D("100.00"), 5)
    with django_capture_on_commit_callbacks(execute=True):
        rating.overall = D("1.00")
        rating.save()
    # E = 0, T = 100 → 30
    assert score_of(provider) == (D("30.00"), 1)


def test_a_reply_to_a_rating_changes_no_input_and_queues_nothing(buyer, provider, django_capture_on_commit_callbacks):
    rating = rate(completed_order(buyer, provider), buyer, 4)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ratings.rating_reply(rating=rating, user=provider_owner(provider), reply="Thank you.")
    assert not queued(callbacks, provider)


@pytest.mark.parametrize("model", [Rating, AuthorityEvaluation, PlatformEvaluation])
def test_deleting_an_evaluation_recomputes(model, buyer, provider, django_capture_on_commit_callbacks):
    so = completed_order(buyer, provider)
    user, authority = officer()
    rate(so, buyer, 5)
    authority_evaluate(so, user=user, authority=authority, quality=3, timeliness=3)
    platform_evaluate(provider, conduct=1)  # E = (5×100 + 3×50 + 2×0) / 10; each one moves it
    services.provider_credit_recompute(provider=provider)
    before = score_of(provider)
    with django_capture_on_commit_callbacks(execute=True):
        model.objects.filter(provider=provider).get().delete()
    assert score_of(provider) != before


def test_a_failed_recompute_is_logged_and_the_input_stays(
    buyer, provider, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """The rating is committed already; a recompute that fails must not turn it into an error
    (the nightly task catches up)."""
    so = completed_order(buyer, provider)

    def broken(*, provider, now=None):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "provider_credit_recompute", broken)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        rating = rate(so, buyer, 5)
    assert Rating.objects.filter(pk=rating.pk).exists()
    assert "database went away" in caplog.text
    monkeypatch.undo()
    tasks.recompute_credit()
    assert score_of(provider) == (D("100.00"), 5)


def test_a_provider_deleted_with_its_evaluations_is_not_recomputed(
    provider, caplog, django_capture_on_commit_callbacks
):
    """Its evaluations' deletion (a cascade) asks for a recompute; the provider is gone by commit,
    which is no error."""
    platform_evaluate(provider, conduct=5)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True) as callbacks:
        type(provider).objects.filter(pk=provider.pk).delete()
    assert queued(callbacks, provider)
    assert not caplog.records
