"""Celery entry points: keep the index in step with listings, after their transaction commits."""

from celery import shared_task

from . import services


@shared_task(name="search.update_listings", ignore_result=True)
def update_listings(listing_ids: list[int]) -> None:
    services.index_update_listings(listing_ids=listing_ids)
