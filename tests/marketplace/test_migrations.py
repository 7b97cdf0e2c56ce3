"""Issue 14 moved models between apps (contracts to hiring, provider certificates to providers,
credit appeals to credit) with state-only migrations: the tables keep their names and their rows.

This test holds a database with the demo data, migrates it back to the schema before the moves
and forward again, and checks that every order, contract, contract seal, provider certificate,
seal use, sealed document and ledger entry is still there and readable through the models of
either schema. (The credit appeal's own before/after test is tests/credit/test_migrations.py.)
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The schema before issue 14's moves (the last migration of each app that existed then).
BEFORE = [
    ("signing", "0004_organisation_seals_and_contracts"),
    ("hiring", "0002_initial"),
    ("providers", "0003_credit_appeal"),
    ("credit", None),
]
# Where each moved model lives before and after the moves.
MOVED = {
    "contracts": (("signing", "Contract"), ("hiring", "Contract")),
    "contract seals": (("signing", "ContractSeal"), ("hiring", "ContractSeal")),
    "provider certificates": (("signing", "ProviderCertificate"), ("providers", "ProviderCertificate")),
}
# Every table the moves must not touch, and the moved ones: rows counted straight from the tables.
TABLES = {
    "orders": "order_order",
    "service orders": "hiring_serviceorder",
    "contracts": "signing_contract",
    "contract seals": "signing_contractseal",
    "provider certificates": "signing_providercertificate",
    "credit appeals": "providers_creditappeal",
    "seal uses": "signing_sealuse",
    "sealed documents": "signing_sealeddocument",
    "ledger entries": "payments_paymentrecord",
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1]]).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _tables() -> dict:
    rows = {}
    with connection.cursor() as cursor:
        for label, table in TABLES.items():
            cursor.execute(f"SELECT id FROM {table} ORDER BY id")  # noqa: S608 - names from the constant above
            rows[label] = [row[0] for row in cursor.fetchall()]
    return rows


def _through_models(apps, side: int) -> dict:
    return {
        label: sorted(apps.get_model(*places[side]).objects.values_list("pk", flat=True))
        for label, places in MOVED.items()
    }


@pytest.mark.django_db(transaction=True)
def test_the_demo_data_survives_the_moves_in_both_directions():
    call_command("load_demo", quiet_logins=True, verbosity=0)
    tables = _tables()
    assert all(tables[label] for label in TABLES if label != "credit appeals"), tables  # some of everything
    after = _through_models(_migrate(_leaves()), side=1)
    assert after == {label: tables[label] for label in MOVED}

    # Back to the schema before the moves: the same rows, read through the old apps' models.
    before = _through_models(_migrate(BEFORE), side=0)
    assert before == after
    assert _tables() == tables

    # And forward again: nothing lost, nothing doubled.
    apps = _migrate(_leaves())
    assert _through_models(apps, side=1) == after
    assert _tables() == tables
    # The moved models still reach their relations from their new apps.
    contract = apps.get_model("hiring", "Contract").objects.select_related("service_order", "document").first()
    assert contract.document.sha256 and contract.service_order.pk
    certificates = apps.get_model("providers", "ProviderCertificate").objects.all()
    assert all(c.document_id and c.provider_id for c in certificates)
