def search_form(request):
    """The header's search box shows the current query (replaces Oscar's Haystack form)."""
    return {"header_search_q": (request.GET.get("q") or "")[:200] if request.path.endswith("/search/") else ""}
