"""CreditAppeal moved from providers to credit with its table: rows filed before the move are the
credit app's afterwards, with their one-open-appeal constraint (state-only migrations)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.factories import make_provider

BEFORE = [("providers", "0003_credit_appeal"), ("credit", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1]]).apps


@pytest.mark.django_db(transaction=True)
def test_appeals_filed_before_the_move_survive_it():
    provider = make_provider()
    old_apps = migrate(BEFORE)
    OldAppeal = old_apps.get_model("providers", "CreditAppeal")
    assert OldAppeal._meta.db_table == "providers_creditappeal"
    OldAppeal.objects.create(provider_id=provider.pk, source="delivery", source_id=7, entry_summary="x", reason="y")

    executor = MigrationExecutor(connection)
    new_apps = migrate(executor.loader.graph.leaf_nodes())
    Appeal = new_apps.get_model("credit", "CreditAppeal")
    appeal = Appeal.objects.get()
    assert (appeal.provider_id, appeal.source, appeal.source_id, appeal.status) == (
        provider.pk,
        "delivery",
        7,
        "pending",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(provider_id=provider.pk, source="delivery", source_id=7, entry_summary="x", reason="z")
