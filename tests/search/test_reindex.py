"""`manage.py reindex` rebuilds the index from the listings themselves."""

import pytest
from django.core.management import call_command

from search.backends import get_backend
from search.query import SearchQuery

pytestmark = pytest.mark.django_db


def test_reindex_rebuilds_from_listings_and_reports_throughput(listing, capsys):
    listing(title="One")
    listing(title="Two")
    hidden = listing(title="Draft", is_public=False)
    get_backend().clear()
    call_command("reindex")
    out, err = capsys.readouterr()
    assert "Indexed 2 of 3 listings" in out and "docs/s" in out
    assert "2/3" in err or "3/3" in err  # the progress bar
    assert get_backend().count() == 2
    assert hidden.pk not in [h.document.listing_id for h in get_backend().search(SearchQuery()).hits]
