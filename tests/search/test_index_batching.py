"""Index updates are batched per transaction, and a rolled-back transaction's ids go with it."""

import pytest
from celery.signals import task_prerun
from django.db import transaction

from search.services import listings_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    batches = []

    def record(sender=None, args=None, **kwargs):
        if sender is not None and sender.name == "search.update_listings":
            batches.append(list(args[0]))

    task_prerun.connect(record)
    yield batches
    task_prerun.disconnect(record)


def test_ids_of_a_rolled_back_transaction_do_not_leak_into_the_next(sent, django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), transaction.atomic():
        listings_changed([42])
        raise RuntimeError("the edit fails")
    with django_capture_on_commit_callbacks(execute=True):
        listings_changed([7])
        listings_changed([8, 7])
    assert sent == [[7, 8]]
