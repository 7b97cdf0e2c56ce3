"""Search backends behind one interface; ``get_backend()`` picks the one ``SEARCH_BACKEND`` names."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import SearchBackend

BACKENDS = {
    "database": "search.backends.database.DatabaseBackend",
    "elasticsearch": "search.backends.elasticsearch.ElasticsearchBackend",
}


def get_backend(name: str | None = None) -> SearchBackend:
    """A backend instance for ``name`` (default: the configured one); cheap to call per request."""
    return import_string(BACKENDS[name or settings.SEARCH_BACKEND])()


__all__ = ["BACKENDS", "SearchBackend", "get_backend"]
