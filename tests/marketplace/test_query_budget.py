"""No key page runs more than 12 SQL statements, whoever looks at it.

Every key page a newcomer meets (tests/e2e/key_pages.py, in the demo data), as the role that meets
it, counted on its second visit (the first fills what is cached across requests: the statistics
snapshot, the trust list, the session). Transaction control (BEGIN, COMMIT, savepoints) is not
counted: ``ATOMIC_REQUESTS`` wraps every view and the test's own transaction turns it into
savepoints. That each page's count stays flat as data grows is pinned by the per-page tests
(tests/providers/test_queries.py, tests/hiring, tests/approvals, ...).
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.e2e.key_pages import LOGINS, key_pages

BUDGET = 12
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].upper().startswith(TRANSACTION_CONTROL)]


@pytest.mark.django_db
def test_no_key_page_runs_more_than_twelve_statements(settings):
    call_command("load_demo", quiet_logins=True)
    clients: dict[str | None, Client] = {}
    over = []
    pages = key_pages()
    assert len(pages) >= 40
    for role, path in pages:
        if role not in clients:
            clients[role] = Client()
            if role:
                clients[role].force_login(get_user_model().objects.get(email=LOGINS[role]))
        client = clients[role]
        assert client.get(path).status_code == 200, path
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, path
        run = statements(captured)
        if len(run) > BUDGET:
            over.append(f"{role or 'visitor'} {path}: {len(run)}\n    " + "\n    ".join(s[:160] for s in run))
    summary = "\n".join(over)
    assert not over, f"pages over the budget of {BUDGET} statements:\n{summary}"
