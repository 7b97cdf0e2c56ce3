"""A read replica that lags forever, on PostgreSQL: visitors may see the copy, a writer never does.

The replica is a real second database, copied from the test database before a change and never
updated again (the worst lag a replica can have). The site runs in a subprocess with
``DATABASE_URL`` on the primary and ``DATABASE_REPLICA_URL`` on the copy, as production would.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from marketplace.approvals.models import ApprovalMatter
from signing.models import IssuingAuthority
from tests.concurrency import POSTGRES_ONLY

pytestmark = POSTGRES_ONLY

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
seen = {}
seen["visitor"] = Client().get("/approvals/").content.decode()
writer = Client()
writer.post("/i18n/setlang/", {"language": "en", "next": "/approvals/"})
seen["writer_pinned"] = "ow_primary" in writer.cookies
seen["writer"] = writer.get("/approvals/").content.decode()
seen["health"] = Client().get("/healthz").json()["checks"]["database"]
print(json.dumps(seen))
"""


def database_url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def freeze():
    """Call to copy the test database as it is now into a new database; dropped afterwards."""
    made = []
    s = connection.settings_dict
    admin_params = {
        "dbname": "postgres",
        "user": s["USER"] or "postgres",
        "host": s["HOST"] or "127.0.0.1",
        "port": s["PORT"] or 5432,
        "autocommit": True,
    }

    def copy() -> str:
        name = f"replica_{uuid.uuid4().hex[:12]}"
        connection.close()  # CREATE DATABASE ... TEMPLATE wants no other session on its source
        with psycopg.connect(**admin_params) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{s["NAME"]}"')
        made.append(name)
        return database_url(name)

    yield copy
    with psycopg.connect(**admin_params) as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_lagging_replica_serves_visitors_but_never_the_browser_that_just_wrote(freeze):
    authority = IssuingAuthority.objects.create(name="Lag Bureau", code="lag-bureau", number_prefix="LAG")
    matter = ApprovalMatter.objects.create(
        code="lag-matter", name="Matter as the replica has it", authority=authority, time_limit_days=20
    )
    replica_url = freeze()
    ApprovalMatter.objects.filter(pk=matter.pk).update(name="Matter as renamed on the primary")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
        "DATABASE_REPLICA_URL": replica_url,
    }
    run = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    # A visitor's page view reads the replica: proof the router is in use, and what lag looks like.
    assert "Matter as the replica has it" in seen["visitor"]
    # The browser that has just posted is pinned to the primary and sees what is written.
    assert seen["writer_pinned"]
    assert "Matter as renamed on the primary" in seen["writer"]
    assert "Matter as the replica has it" not in seen["writer"]
    # The load balancer's health check asks the replica too.
    assert seen["health"]["ok"] and "replica: postgresql" in seen["health"]["detail"]
