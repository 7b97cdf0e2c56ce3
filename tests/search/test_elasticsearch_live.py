"""Against a real cluster, when there is one: ``ELASTICSEARCH_URL=http://... pytest tests/search``.

The behaviour suite (tests/search/test_behaviour.py) runs its cases on Elasticsearch through the
``backend_name`` fixture then too; this module adds what only a live cluster can show: that it
accepts the mapping and analysers, and that a rebuild swaps the alias with no empty moment.
"""

import os
from decimal import Decimal

import pytest

from search.documents import ListingDocument
from search.query import SearchQuery

pytestmark = pytest.mark.skipif(
    not os.environ.get("ELASTICSEARCH_URL"),
    reason="ELASTICSEARCH_URL is not set: no Elasticsearch cluster to run the live suite against",
)


@pytest.fixture
def live(settings):
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
    settings.SEARCH_ES_INDEX = "onewindow-live-test"
    from search.backends.elasticsearch import ElasticsearchBackend

    backend = ElasticsearchBackend()
    yield backend
    backend.client.indices.delete(index="onewindow-live-test-*", ignore_unavailable=True)


def test_rebuild_swaps_the_alias_and_keeps_answering(live):
    first = [ListingDocument(listing_id=1, title="Topographic survey", title_zh="地形测量", price=Decimal("100"))]
    live.rebuild(first)
    assert live.search(SearchQuery(q="测量")).total == 1
    old = live._current_indices()
    live.rebuild([ListingDocument(listing_id=2, title="EIA report", title_zh="环评报告", category_code="eia")])
    assert live._current_indices() != old
    assert [h.document.listing_id for h in live.search(SearchQuery(q="环评")).hits] == [2]
    assert live.suggest("环评", "zh")
