import oscar.apps.search.apps as apps


class SearchConfig(apps.SearchConfig):
    """The fork of Oscar's search app; it keeps the label ``search`` so Oscar's lookups find it."""

    name = "search"
