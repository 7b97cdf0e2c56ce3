"""Append-only in the database: for every append-only table, an UPDATE or DELETE by raw SQL and by
the ORM's queryset fails and leaves the row as it was; Selection's two one-way transitions (the
buyer's pick, being superseded) pass and nothing else does. Runs on SQLite and PostgreSQL."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from marketplace.conversations import services as conversations
from marketplace.conversations.models import Clarification, Message
from marketplace.core.append_only import suspended
from marketplace.core.models import ConflictAttempt
from marketplace.credit.models import NegativeEvent
from marketplace.hiring import services as hiring
from marketplace.hiring.models import DeliveryNote, OrderEvent
from marketplace.payments.models import PaymentRecord
from marketplace.procurement import services as procurement
from marketplace.procurement.models import RequestEvent, Selection
from signing.models import PermitEvent, SealUse
from signing.services import tree_heads
from tests.factories import deliver, make_quote, make_request, make_service_order, pay, pdf_upload, provider_owner
from translog.models import LogLeaf, TreeHead

pytestmark = pytest.mark.django_db

APPEND_ONLY = [
    SealUse,
    PermitEvent,
    OrderEvent,
    DeliveryNote,
    RequestEvent,
    Selection,
    PaymentRecord,
    NegativeEvent,
    ConflictAttempt,
    LogLeaf,
    TreeHead,
    Message,
    Clarification,
]


def refused(action, /, *args, **kwargs) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        action(*args, **kwargs)


def raw(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def records(buyer, category, providers, issued_permit, staff):
    """At least one row in every append-only table, made through the services."""
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    pay(so)
    hiring.deliverable_upload(service_order=so, user=provider_owner(providers[0]), file=pdf_upload())
    deliver(so)
    conversations.message_post(service_order=so, user=owner, body="Thanks for the report.")
    request = make_request(enterprise=enterprise, user=owner, category=category, method="direct")
    asked = conversations.clarification_ask(request=request, user=provider_owner(providers[0]), question="Scope?")
    conversations.clarification_answer(clarification=asked, user=owner, answer="The whole plant.")
    make_quote(request, providers[0])
    procurement.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
    NegativeEvent.objects.create(
        provider=providers[0], kind="qualification_false", occurred_on=timezone.localdate(), evidence="Forged."
    )
    ConflictAttempt.objects.create(act="quote", reason="same_person", user=owner, subject="test")
    tree_heads.tree_head_sign()


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m._meta.db_table)
def test_raw_sql_and_the_orm_cannot_change_or_remove_a_row(records, model):
    row = model.objects.order_by("pk").first()
    before = model.objects.filter(pk=row.pk).values().get()
    table, pk = model._meta.db_table, model._meta.pk.column
    text = next(
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.get_internal_type() in ("CharField", "TextField")
    )
    delete_sql = f'DELETE FROM "{table}" WHERE "{pk}" = %s'  # noqa: S608 - names from the model, values bound
    update_sql = f'UPDATE "{table}" SET "{text.column}" = %s WHERE "{pk}" = %s'  # noqa: S608 - as above
    refused(raw, delete_sql, [row.pk])
    refused(raw, update_sql, ["forged", row.pk])
    refused(model.objects.filter(pk=row.pk).delete)
    refused(model.objects.filter(pk=row.pk).update, **{text.attname: "forged"})
    assert model.objects.filter(pk=row.pk).values().get() == before


def test_a_selection_takes_its_winner_and_its_supersession_once_and_nothing_else(records):
    selection = Selection.objects.get(method="direct")
    quote_id = selection.request.quotes.get().pk
    rows = Selection.objects.filter(pk=selection.pk)
    refused(rows.update, method="lowest_price")
    refused(rows.update, table=[])
    rows.update(winner_id=quote_id)  # the buyer's pick: allowed once
    refused(rows.update, winner_id=quote_id + 1)  # a second pick
    rows.update(superseded=True)  # set aside after an objection or a walk-away: allowed
    refused(rows.update, superseded=False)
    assert rows.filter(winner_id=quote_id, superseded=True).exists()


def test_suspended_lifts_the_triggers_for_the_block_only(records):
    row = OrderEvent.objects.first()
    with suspended(connection):
        OrderEvent.objects.filter(pk=row.pk).update(kind="rewritten")
    assert OrderEvent.objects.get(pk=row.pk).kind == "rewritten"
    refused(OrderEvent.objects.filter(pk=row.pk).update, kind="again")


def test_a_delivery_note_takes_its_acceptance_once_and_nothing_else(records):
    rows = DeliveryNote.objects.filter(pk=DeliveryNote.objects.get().pk)
    refused(rows.update, files=[])
    rows.update(accepted_at=timezone.now())  # the buyer's acceptance: allowed once
    refused(rows.update, accepted_at=timezone.now() + datetime.timedelta(days=1))
    assert rows.get().files
