from celery import shared_task

from . import services
from .ocds import daily


@shared_task(name="transparency.refresh_stats")
def refresh_stats() -> str:
    return services.stats_snapshot_refresh().computed_at.isoformat()


@shared_task(name="transparency.ocds_daily_packages")
def ocds_daily_packages() -> list[str]:
    """Write the OCDS release package of each finished day still missing (``ocds_daily_packages``)."""
    return [day.isoformat() for day in daily.daily_packages_write_due()]
