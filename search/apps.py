import oscar.apps.search.apps as apps
from django.urls import path


class SearchConfig(apps.SearchConfig):
    """The fork of Oscar's search app; it keeps the label ``search`` so Oscar's lookups find it.

    Oscar's Haystack ``FacetedSearchView`` is replaced by OneWindow's listing search.
    """

    name = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals, views

        self.search_view = views.SearchView
        signals.connect()

    def get_urls(self):
        from . import views

        urlpatterns = [
            path("", views.SearchView.as_view(), name="search"),
        ]
        return self.post_process_urls(urlpatterns)
