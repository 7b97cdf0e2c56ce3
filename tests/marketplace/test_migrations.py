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
# Where each counted model lives before and after the moves.
MODELS = {
    "contracts": (("signing", "Contract"), ("hiring", "Contract")),
    "contract seals": (("signing", "ContractSeal"), ("hiring", "ContractSeal")),
    "provider certificates": (("signing", "ProviderCertificate"), ("providers", "ProviderCertificate")),
    "service orders": (("hiring", "ServiceOrder"), ("hiring", "ServiceOrder")),
    "orders": (("order", "Order"), ("order", "Order")),
    "seal uses": (("signing", "SealUse"), ("signing", "SealUse")),
    "sealed documents": (("signing", "SealedDocument"), ("signing", "SealedDocument")),
    "ledger entries": (("payments", "PaymentRecord"), ("payments", "PaymentRecord")),
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1]]).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _snapshot(apps, side: int) -> dict:
    counts = {}
    for label, places in MODELS.items():
        model = apps.get_model(*places[side])
        counts[label] = (model.objects.count(), sorted(model.objects.values_list("pk", flat=True))[:50])
    return counts


@pytest.mark.django_db(transaction=True)
def test_the_demo_data_survives_the_moves_in_both_directions():
    call_command("load_demo", quiet_logins=True, verbosity=0)
    after = _snapshot(_migrate(_leaves()), side=1)
    assert all(count for count, _pks in after.values()), after  # the demo holds some of everything

    before = _snapshot(_migrate(BEFORE), side=0)
    assert before == after

    again = _snapshot(_migrate(_leaves()), side=1)
    assert again == after

    # The moved models still reach their rows' relations (foreign keys resolved in the new apps).
    apps = _migrate(_leaves())
    Contract = apps.get_model("hiring", "Contract")
    contract = Contract.objects.select_related("service_order", "document").first()
    assert contract.document.sha256 and contract.service_order.pk
    Certificate = apps.get_model("providers", "ProviderCertificate")
    assert all(c.document_id and c.provider_id for c in Certificate.objects.all())
