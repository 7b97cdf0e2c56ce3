"""Celery entry points: keep the index in step with listings, after their transaction commits."""

from celery import shared_task

from . import services, warming


@shared_task(name="search.update_listings", ignore_result=True)
def update_listings(listing_ids: list[int]) -> None:
    services.index_update_listings(listing_ids=listing_ids)


@shared_task(name="search.warm_index", ignore_result=True)
def warm_index() -> None:
    """Compute the empty search for the index version a write just committed (``search.warming``)."""
    warming.warm()
