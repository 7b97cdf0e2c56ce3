"""The transparency log through the platform: what issuing and revoking a permit, a selection and a
payment add, the signed heads and their timestamps, and every public endpoint checked the way an
outsider would (``translog.checks``, no access to the database)."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.procurement import services as procurement
from signing import services
from signing.services import tree_heads
from tests.factories import make_quote, make_request, make_service_order, pay
from tests.signing.conftest import permit_data
from translog import checks, merkle
from translog.models import LogLeaf, TreeHead

pytestmark = pytest.mark.django_db


def get_json(client, name, status=200, **params):
    with translation.override("en"):
        url = reverse(f"transparency:{name}")
    response = client.get(url, params)
    assert response.status_code == status, response.content
    return response.json()


def chain(client):
    with translation.override("en"):
        return checks.load_chain(client.get(reverse("transparency:log-key")).content)


def test_a_permit_is_logged_and_its_status_change_is_under_a_signed_head_at_once(
    client, authority, granted_officer, holder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        permit = services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    kinds = list(LogLeaf.objects.values_list("kind", flat=True))
    assert {"sealed_document", "seal_use", "permit_status"} <= set(kinds)
    head = get_json(client, "log-head")
    assert head["tree_size"] == len(kinds)  # signed after the issuing committed, covering it all
    when = checks.verify_head(head, chain(client))
    assert abs((when - TreeHead.objects.get().signed_at).total_seconds()) < 60

    document_leaf = LogLeaf.objects.get(kind="sealed_document")
    assert json.loads(document_leaf.data)["sha256"] == permit.document.sha256
    proof = get_json(client, "log-inclusion", leaf_hash=document_leaf.leaf_hash, tree_size=head["tree_size"])
    checks.verify_inclusion(proof, head)

    with django_capture_on_commit_callbacks(execute=True):
        services.permit_revoke(permit=permit, actor=granted_officer, reason="Obtained by fraud")
    later = get_json(client, "log-head")
    assert later["tree_size"] > head["tree_size"]
    revoked = [json.loads(d) for d in LogLeaf.objects.filter(kind="permit_status").values_list("data", flat=True)]
    assert [(r["permit"], r["to_status"]) for r in revoked] == [(permit.number, "valid"), (permit.number, "revoked")]
    consistency = get_json(client, "log-consistency", first=head["tree_size"], second=later["tree_size"])
    merkle.verify_consistency(
        head["tree_size"],
        later["tree_size"],
        bytes.fromhex(head["root_hash"]),
        bytes.fromhex(later["root_hash"]),
        [bytes.fromhex(p) for p in consistency["consistency_path"]],
    )


def test_a_forged_or_altered_head_is_refused(client, issued_permit):
    tree_heads.tree_head_sign()
    head = get_json(client, "log-head")
    keys = chain(client)
    checks.verify_head(head, keys)
    for field, value in (
        ("root_hash", "00" * 32),
        ("checkpoint", head["checkpoint"].replace(str(head["tree_size"]), str(head["tree_size"] + 1))),
        ("signature", head["signature"][:-8] + "AAAAAAA="),
        ("timestamp_token", TreeHead.objects.get().signature),
    ):
        with pytest.raises(checks.HeadError):
            checks.verify_head({**head, field: value}, keys)


def test_selections_and_ledger_entries_are_logged_without_amounts(category, providers, buyer):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")

    procurement.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
    (selection_leaf,) = LogLeaf.objects.filter(kind="selection")
    data = json.loads(selection_leaf.data)
    assert (data["request"], data["round"], data["method"]) == (request.pk, 1, "lowest_price")
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], price="48000")
    pay(so)
    (ledger_leaf,) = LogLeaf.objects.filter(kind="ledger_entry")
    assert "48000" not in ledger_leaf.data and "4800000" not in ledger_leaf.data
    assert len(json.loads(ledger_leaf.data)["entry_sha256"]) == 64


def test_the_endpoints_refuse_bad_questions_with_a_message(client, issued_permit):
    tree_heads.tree_head_sign()
    size = get_json(client, "log-head")["tree_size"]
    assert "whole number" in get_json(client, "log-entries", 400, start="x", end="2")["error"]
    assert get_json(client, "log-entries", 400, start=3, end=2)["error"]
    assert get_json(client, "log-inclusion", 400, leaf_hash="zz", tree_size=1)["error"]
    assert get_json(client, "log-inclusion", 404, leaf_hash="ab" * 32, tree_size=size)["error"]
    assert get_json(client, "log-inclusion", 404, leaf_hash="ab" * 32, tree_size=size + 50)["error"]
    assert get_json(client, "log-consistency", 400, first=size, second=1)["error"]
    entries = get_json(client, "log-entries", start=0, end=size + 10)["entries"]
    assert [e["index"] for e in entries] == list(range(size))
    assert all(merkle.leaf_hash(e["data"].encode()).hex() == e["leaf_hash"] for e in entries)


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_the_log_page_explains_it_in_both_languages(client, issued_permit, prefix):
    tree_heads.tree_head_sign()
    html = client.get(prefix + "/transparency/log/").content.decode()
    assert TreeHead.objects.get().root_hash in html
    assert ("Latest signed tree head" in html) == (prefix == "")


def test_no_head_yet_is_a_clear_404(client, db):
    assert get_json(client, "log-head", 404)["error"] == "No tree head has been signed yet."
