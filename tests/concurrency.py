"""What the race tests share: real concurrent transactions need PostgreSQL (SQLite locks the
whole file), and each racer runs in its own thread with its own database connection."""

import threading

import pytest
from django.db import connection

POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="postgres: needs PostgreSQL for real concurrent row locks; SQLite locks the whole file",
    ),
]


def in_thread(target, results: dict, key) -> threading.Thread:
    """Start ``target`` in a thread; its return value (or the exception it raised) lands in ``results[key]``."""

    def run():
        try:
            results[key] = target()
        except Exception as error:  # noqa: BLE001 - the test inspects whatever the thread raised
            results[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
