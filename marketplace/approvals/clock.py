"""Statutory clocks count working days: Monday to Friday (public holidays are not modelled yet)."""

import datetime

from django.utils import timezone


def working_days_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Whole working days from ``start``'s local date (exclusive) to ``end``'s (inclusive)."""
    first, last = timezone.localdate(start), timezone.localdate(end)
    days, day = 0, first
    while day < last:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days
