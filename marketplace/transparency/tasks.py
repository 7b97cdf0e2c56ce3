from celery import shared_task

from . import services


@shared_task(name="transparency.refresh_stats")
def refresh_stats() -> str:
    return services.stats_snapshot_refresh().computed_at.isoformat()
