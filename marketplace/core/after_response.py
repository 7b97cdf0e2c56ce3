"""Work a person need not wait for, done after their response is sent.

With a broker, Celery tasks run in a worker and the request only queues them. In the embedded
default (no broker, tasks eager) a queued task would run inside the request — placing an order
waited 1.6 s for its contract to be sealed. ``defer`` runs such work once the response has gone:
``AfterResponseMiddleware`` hands it to the response's closers, which the WSGI server (gunicorn,
runserver, the test client) calls after the last byte is sent, before the request's database
connection is released. Outside a request (a command, a task, a test calling a service) the work
runs at once, as before. A failure is logged; the response has already gone.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable

from django.conf import settings

logger = logging.getLogger(__name__)
_pending: contextvars.ContextVar[list[Callable[[], object]] | None] = contextvars.ContextVar(
    "after_response", default=None
)


def after_response(job: Callable[[], object]) -> None:
    """Run ``job`` once this request's response is sent; at once outside a request."""
    jobs = _pending.get()
    if jobs is None:
        job()
    else:
        jobs.append(job)


def defer(task, *args) -> None:
    """Queue a Celery task: to the broker now, or (eager, no broker) after the response."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        after_response(lambda: task.delay(*args))
    else:
        task.delay(*args)


def _run(jobs: list[Callable[[], object]]) -> None:
    for job in jobs:
        try:
            job()
        except Exception:  # the response is gone: log, and let the next job run
            logger.exception("Work after the response failed")


class AfterResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        jobs: list[Callable[[], object]] = []
        token = _pending.set(jobs)
        try:
            response = self.get_response(request)
        finally:
            _pending.reset(token)
        if jobs:
            response._resource_closers.append(lambda: _run(jobs))
        return response
