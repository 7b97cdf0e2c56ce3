import os

import pytest

from tests.factories import make_search_listing

ES_SKIP = "ELASTICSEARCH_URL is not set: no Elasticsearch cluster to run the behaviour suite against"


@pytest.fixture(
    params=[
        "database",
        pytest.param(
            "elasticsearch",
            marks=pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason=ES_SKIP),
        ),
    ]
)
def backend_name(request, settings):
    """Every behaviour test runs against each backend available here."""
    settings.SEARCH_BACKEND = request.param
    if request.param == "elasticsearch":
        settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
        settings.SEARCH_ES_INDEX = "onewindow-test-listings"
    from search.backends import get_backend

    backend = get_backend()
    backend.clear()
    yield request.param
    backend.clear()


@pytest.fixture
def listing(catalogue, django_capture_on_commit_callbacks):
    """Create a real listing and let its index update run, as it does after a real commit."""

    def create(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            product = make_search_listing(**kwargs)
        _refresh()
        return product

    return create


def _refresh():
    from django.conf import settings

    if settings.SEARCH_BACKEND == "elasticsearch":
        from search.backends import get_backend

        get_backend().refresh()
