"""devstripe (``marketplace.payments.devstripe``) holds the shapes and errors of Stripe's API reference.

Every test but one runs against the real devstripe process of ``localstripe_url``, through the real
``stripe`` SDK client the gateway uses (``gateway._client()``); each names, in its docstring, the rule
of Stripe's documentation it checks. Each fails on plain localstripe (no idempotency, no refund cap,
no disputes, no transfers, no charge filter). One process serves the whole session, so every test
uses fresh idempotency keys and its own objects.
"""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import stripe

from marketplace.payments import gateway
from marketplace.payments.devstripe.idempotency import TTL_SECONDS, IdempotencyStore

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"
DISPUTED_CARD = "4000000000000259"
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(stripe_settings):
    return gateway._client()


def key() -> str:
    return f"devstripe-{uuid.uuid4().hex}"


def card(client, number: str = GOOD_CARD) -> str:
    params = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    return client.v1.payment_methods.create(params=params).id


def paid(client, amount: int = 50_000, number: str = GOOD_CARD):
    params = {"amount": amount, "currency": "cny", "payment_method": card(client, number), "confirm": True}
    intent = client.v1.payment_intents.create(params=params)
    assert intent.status == "succeeded"
    return intent


def charge_of(client, intent) -> str:
    latest = client.v1.payment_intents.retrieve(intent.id).latest_charge
    return latest if isinstance(latest, str) else latest.id  # localstripe expands it unasked


def events(client, event_type: str, object_id: str) -> list:
    found = client.v1.events.list(params={"type": event_type, "limit": 100}).auto_paging_iter()
    return [event for event in found if event.data.object["id"] == object_id]


def dev_dispute(client, **params):
    return client.raw_request("post", "/_dev/disputes", **params).data


# --- Idempotent requests: https://docs.stripe.com/api/idempotent_requests ---------------------------


def test_a_retried_post_with_its_key_gets_the_first_answer_back(client):
    """Stripe saves the status code and body of the first request made with a key; retries with the
    same key and parameters return that saved response (marked ``Idempotent-Replayed: true``)."""
    same = key()
    params = {"amount": 1_000, "currency": "cny", "metadata": {"order": "7"}}
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": same})
    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": same})
    other = client.v1.payment_intents.create(params=params, options={"idempotency_key": key()})

    assert again.id == first.id and other.id != first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None


def test_a_failed_request_that_ran_is_replayed_not_run_again(client):
    """Stripe saves the first result "regardless of whether it succeeds or fails": a declined payment
    retried with its key answers the same decline, about the same charge, and charges nothing more."""
    same = key()
    params = {"amount": 1_000, "currency": "cny", "payment_method": card(client, DECLINED_CARD), "confirm": True}
    declines = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            client.v1.payment_intents.create(params=params, options={"idempotency_key": same})
        declines.append(declined.value)

    assert declines[0].error.charge == declines[1].error.charge
    assert declines[1].headers.get("Idempotent-Replayed") == "true"


def test_a_key_reused_with_other_parameters_is_an_idempotency_error(client):
    """The idempotency layer compares incoming parameters to those of the original request and errors
    if they're not the same: 400, type ``idempotency_error``, Stripe's message."""
    same = key()
    client.v1.payment_intents.create(params={"amount": 1_000, "currency": "cny"}, options={"idempotency_key": same})
    with pytest.raises(stripe.IdempotencyError) as reused:
        client.v1.payment_intents.create(params={"amount": 2_000, "currency": "cny"}, options={"idempotency_key": same})
    assert reused.value.http_status == 400
    assert reused.value.error.type == "idempotency_error"
    assert reused.value.user_message.startswith(
        "Keys for idempotent requests can only be used with the same parameters they were first used with."
    )


def test_a_request_that_fails_validation_is_not_saved(client):
    """Results are saved only once the endpoint begins executing: a request whose parameters fail
    validation saves nothing, so the same key then runs a corrected request."""
    same = key()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(params={"amount": -5, "currency": "cny"}, options={"idempotency_key": same})
    intent = client.v1.payment_intents.create(
        params={"amount": 1_000, "currency": "cny"}, options={"idempotency_key": same}
    )
    assert intent.amount == 1_000
    assert intent.last_response.headers.get("Idempotent-Replayed") is None
    again = client.v1.payment_intents.create(
        params={"amount": 1_000, "currency": "cny"}, options={"idempotency_key": same}
    )
    assert again.id == intent.id  # and from then on the key is the corrected request's


def test_keys_belong_to_one_secret_key(client, stripe_settings):
    """An idempotency key is the caller's: another account's secret key with the same key value makes
    its own request."""
    same = key()
    params = {"amount": 1_000, "currency": "cny"}
    mine = client.v1.payment_intents.create(params=params, options={"idempotency_key": same})
    stripe_settings.STRIPE_SECRET_KEY = "sk_test_someone_else"
    theirs = gateway._client().v1.payment_intents.create(params=params, options={"idempotency_key": same})
    assert theirs.id != mine.id
    stripe_settings.STRIPE_SECRET_KEY = "sk_test_onewindow_tests"
    assert gateway._client().v1.payment_intents.create(params=params, options={"idempotency_key": same}).id == mine.id


def _http_response(sock: socket.socket) -> tuple[int, dict]:
    raw = b""
    while chunk := sock.recv(65536):
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_a_second_request_while_the_first_with_its_key_runs_gets_409(client, localstripe_url):
    """A request that conflicts with another one executing concurrently with the same key is refused
    (409 Conflict, ``idempotency_error``, code ``idempotency_key_in_use``) and saves nothing; the first
    one completes, and its answer is what a later retry gets."""
    same = key()
    body = b"amount=1000&currency=cny"
    head = (
        "POST /v1/payment_intents HTTP/1.1\r\nHost: devstripe\r\nAuthorization: Bearer sk_test_onewindow_tests\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nIdempotency-Key: {same}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    url = urlsplit(localstripe_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as first:
        first.sendall(head + body[:6])  # the first request is running: its body is still arriving
        time.sleep(0.3)  # loopback: the server has read the headers and holds the key long before this
        with pytest.raises(stripe.APIError) as conflict:
            client.v1.payment_intents.create(
                params={"amount": 1_000, "currency": "cny"}, options={"idempotency_key": same}
            )
        first.sendall(body[6:])
        status, created = _http_response(first)

    assert conflict.value.http_status == 409
    assert (conflict.value.error.type, conflict.value.error.code) == ("idempotency_error", "idempotency_key_in_use")
    assert status == 200
    retried = client.v1.payment_intents.create(
        params={"amount": 1_000, "currency": "cny"}, options={"idempotency_key": same}
    )
    assert retried.id == created["id"]


def test_keys_are_pruned_after_24_hours():
    """Keys are removed once they are at least 24 hours old; a key reused after that starts a new request.
    Run on the store with an injected clock, not the process: a test cannot wait a day."""
    now = [1_000_000.0]
    store = IdempotencyStore(clock=lambda: now[0])
    scope = ("sk_test_x", "", "k")
    store.save(scope, fingerprint="POST /v1/refunds", status=200, body=b"{}")

    now[0] += TTL_SECONDS - 1
    assert store.lookup(scope) is not None
    now[0] += 1
    assert store.lookup(scope) is None


# --- Refunds: https://docs.stripe.com/api/refunds/create and https://docs.stripe.com/error-codes ----


def test_a_refund_beyond_what_is_left_on_the_charge_is_amount_too_large(client):
    """A refund can only be up to the remaining, unrefunded amount of the charge: beyond it Stripe answers
    400 ``invalid_request_error`` code ``amount_too_large``; once all is refunded, ``charge_already_refunded``."""
    intent = paid(client, amount=50_000)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 50_001})
    assert (too_much.value.http_status, too_much.value.code) == (400, "amount_too_large")

    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 40_000})
    with pytest.raises(stripe.InvalidRequestError) as still_too_much:
        client.v1.refunds.create(params={"charge": charge_of(client, intent), "amount": 10_001})
    assert still_too_much.value.code == "amount_too_large"

    rest = client.v1.refunds.create(params={"payment_intent": intent.id})  # amount: what is left
    assert rest.amount == 10_000
    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1})
    assert nothing_left.value.code == "charge_already_refunded"


def test_a_refund_names_its_charge_and_intent_and_the_charge_counts_it(client):
    """The refund object carries ``charge``, ``payment_intent`` and ``metadata``; the charge's
    ``amount_refunded`` grows and ``refunded`` turns true when it is fully refunded; events
    ``charge.refunded`` (the charge) and ``refund.created`` (the refund)."""
    intent = paid(client, amount=30_000)
    charge = charge_of(client, intent)
    refund = client.v1.refunds.create(params={"charge": charge, "amount": 10_000, "metadata": {"order": "42"}})

    assert (refund.charge, refund.payment_intent, refund.metadata.to_dict()) == (charge, intent.id, {"order": "42"})
    half = client.v1.charges.retrieve(charge)
    assert (half.amount_refunded, half.refunded) == (10_000, False)
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 20_000})
    assert client.v1.charges.retrieve(charge).refunded is True
    assert events(client, "refund.created", refund.id)
    refunded = events(client, "charge.refunded", charge)
    assert [e.data.object["amount_refunded"] for e in refunded] == [10_000, 30_000]


def test_refunds_are_listed_by_payment_intent(client):
    """``GET /v1/refunds?payment_intent=`` returns only the refunds of that PaymentIntent's charges, newest
    first; an intent not yet paid has none (localstripe answered 500)."""
    intent, other = paid(client, amount=10_000), paid(client, amount=10_000)
    first = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1_000})
    second = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2_000})
    client.v1.refunds.create(params={"payment_intent": other.id, "amount": 3_000})

    listed = client.v1.refunds.list(params={"payment_intent": intent.id}).data
    assert {r.id for r in listed} == {first.id, second.id}
    unpaid = client.v1.payment_intents.create(params={"amount": 1_000, "currency": "cny"})
    assert client.v1.refunds.list(params={"payment_intent": unpaid.id}).data == []


def test_charges_are_listed_by_payment_intent(client):
    """``GET /v1/charges?payment_intent=`` returns only the charges of that PaymentIntent."""
    intent, other = paid(client, amount=5_000), paid(client, amount=6_000)
    listed = client.v1.charges.list(params={"payment_intent": intent.id}).data
    assert [(c.id, c.amount, c.payment_intent) for c in listed] == [(charge_of(client, intent), 5_000, intent.id)]
    assert charge_of(client, other) not in {c.id for c in listed}


# --- Disputes: https://docs.stripe.com/api/disputes and https://docs.stripe.com/testing#disputes ----


def test_the_fraudulent_test_card_pays_then_is_disputed(client):
    """Test card 4000000000000259: the charge succeeds, then is disputed as fraudulent — a dispute for the
    full amount in ``needs_response``, event ``charge.dispute.created``, and the charge reads ``disputed``."""
    intent = paid(client, amount=48_000, number=DISPUTED_CARD)
    disputes = client.v1.disputes.list(params={"payment_intent": intent.id}).data

    assert len(disputes) == 1
    dispute = disputes[0]
    assert dispute.id.startswith("dp_") and dispute.object == "dispute"
    assert (dispute.amount, dispute.status, dispute.reason) == (48_000, "needs_response", "fraudulent")
    assert dispute.charge == charge_of(client, intent)
    assert client.v1.charges.retrieve(dispute.charge).disputed is True
    assert client.v1.disputes.retrieve(dispute.id).evidence_details.has_evidence is False
    assert events(client, "charge.dispute.created", dispute.id)


def test_a_dev_route_opens_a_dispute_on_a_chosen_charge(client):
    """Not Stripe's API (disputes come from card networks): ``POST /_dev/disputes`` opens one on a chosen
    charge, for part of it if asked; a charge has one dispute; disputes list by charge."""
    intent = paid(client, amount=20_000)
    dispute = dev_dispute(client, payment_intent=intent.id, amount=5_000)
    charge = charge_of(client, intent)

    assert (dispute["charge"], dispute["amount"], dispute["status"]) == (charge, 5_000, "needs_response")
    assert [d.id for d in client.v1.disputes.list(params={"charge": charge}).data] == [dispute["id"]]
    assert client.v1.charges.retrieve(charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError):
        dev_dispute(client, charge=charge)


@pytest.mark.parametrize(
    ("text", "outcome", "moves"),
    [("winning_evidence", "won", [-9_000, 9_000]), ("losing_evidence", "lost", [-9_000])],
)
def test_test_mode_evidence_decides_the_dispute(client, text, outcome, moves):
    """In test mode, evidence whose ``uncategorized_text`` is ``winning_evidence`` wins the dispute and
    ``losing_evidence`` loses it; events ``charge.dispute.updated`` and ``charge.dispute.closed``; a closed
    dispute takes no more evidence. ``balance_transactions``: the funds withdrawn when it opened, and
    reinstated if it is won (``charge.dispute.funds_withdrawn`` / ``funds_reinstated``)."""
    dispute = dev_dispute(client, payment_intent=paid(client, amount=9_000).id)
    decided = client.v1.disputes.update(
        dispute["id"], params={"evidence": {"uncategorized_text": text}, "metadata": {"case": "1"}}
    )

    assert decided.status == outcome
    assert decided.evidence.uncategorized_text == text and decided.evidence_details.submission_count == 1
    assert events(client, "charge.dispute.updated", dispute["id"])
    assert [e.data.object["status"] for e in events(client, "charge.dispute.closed", dispute["id"])] == [outcome]
    assert [txn.amount for txn in decided.balance_transactions] == moves
    assert {txn.type for txn in decided.balance_transactions} == {"adjustment"}
    assert events(client, "charge.dispute.funds_withdrawn", dispute["id"])
    assert bool(events(client, "charge.dispute.funds_reinstated", dispute["id"])) == (outcome == "won")
    withdrawal = client.v1.balance_transactions.retrieve(decided.balance_transactions[0].id)
    assert (withdrawal.source, withdrawal.reporting_category) == (dispute["id"], "dispute")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.update(dispute["id"], params={"evidence": {"uncategorized_text": "more"}})


def test_closing_a_dispute_accepts_it_as_lost(client):
    """Closing a dispute acknowledges it as lost: ``needs_response`` → ``lost``, irreversibly; event
    ``charge.dispute.closed``."""
    dispute = dev_dispute(client, payment_intent=paid(client, amount=7_000).id)
    closed = client.v1.disputes.close(dispute["id"])

    assert closed.status == "lost"
    assert events(client, "charge.dispute.closed", dispute["id"])
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute["id"])


def test_a_charged_back_charge_cannot_be_refunded(client):
    """Error code ``charge_disputed``: the charge being refunded has been charged back."""
    intent = paid(client, amount=8_000, number=DISPUTED_CARD)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1_000})
    assert refused.value.code == "charge_disputed"


# --- Transfers: https://docs.stripe.com/api/transfers and /api/transfer_reversals ------------------


def test_a_transfer_pays_a_connected_account_and_lists_by_group_and_destination(client):
    """A Transfer moves funds to a connected account (``destination``), in a ``transfer_group``, with
    ``metadata`` and ``description``; it can be retrieved and listed by group and destination; event
    ``transfer.created``."""
    group, account = f"order-{uuid.uuid4().hex}", f"acct_{uuid.uuid4().hex[:16]}"
    params = {"currency": "cny", "destination": account, "transfer_group": group}
    first = client.v1.transfers.create(
        params={**params, "amount": 4_000, "metadata": {"payout": "1"}, "description": "Payout 1"},
        options={"idempotency_key": key()},
    )
    second = client.v1.transfers.create(params={**params, "amount": 1_000})
    client.v1.transfers.create(params={**params, "amount": 500, "transfer_group": "another"})

    assert first.id.startswith("tr_") and first.object == "transfer"
    got = client.v1.transfers.retrieve(first.id)
    assert (got.amount, got.destination, got.transfer_group, got.description) == (4_000, account, group, "Payout 1")
    assert (got.metadata.to_dict(), got.amount_reversed, got.reversed) == ({"payout": "1"}, 0, False)
    by_group = client.v1.transfers.list(params={"transfer_group": group}).data
    assert [t.id for t in by_group] == [second.id, first.id]  # newest first
    assert len(client.v1.transfers.list(params={"destination": account}).data) == 3
    assert events(client, "transfer.created", first.id)


def test_a_destination_that_is_not_a_connected_account_is_refused(client):
    """The destination must be a connected account id (``acct_…``); anything else is 400
    ``invalid_request_error`` ``resource_missing`` on ``destination``, as for an unknown account."""
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params={"amount": 1_000, "currency": "cny", "destination": "cus_not_an_account"})
    assert (refused.value.http_status, refused.value.code, refused.value.param) == (
        400,
        "resource_missing",
        "destination",
    )


def test_reversals_add_up_to_a_reversed_transfer(client):
    """A reversal (``trr_``) returns part of a transfer, or by default the rest; the transfer's
    ``amount_reversed`` follows and ``reversed`` is true only once fully reversed; event ``transfer.reversed``."""
    transfer = client.v1.transfers.create(params={"amount": 3_000, "currency": "cny", "destination": "acct_rev"})
    part = client.v1.transfers.reversals.create(transfer.id, params={"amount": 1_000, "metadata": {"refund": "r1"}})

    assert part.id.startswith("trr_") and part.object == "transfer_reversal"
    assert (part.amount, part.transfer, part.metadata.to_dict()) == (1_000, transfer.id, {"refund": "r1"})
    half = client.v1.transfers.retrieve(transfer.id)
    assert (half.amount_reversed, half.reversed) == (1_000, False)
    rest = client.v1.transfers.reversals.create(transfer.id)
    assert rest.amount == 2_000
    done = client.v1.transfers.retrieve(transfer.id)
    assert (done.amount_reversed, done.reversed, done.reversals.total_count) == (3_000, True, 2)
    assert len(events(client, "transfer.reversed", transfer.id)) == 2


def test_reversing_more_than_is_left_is_refused(client):
    """A reversal can only reverse up to the unreversed amount left on the transfer: beyond it, and on a
    fully reversed transfer, 400 ``invalid_request_error``."""
    transfer = client.v1.transfers.create(params={"amount": 1_000, "currency": "cny", "destination": "acct_rev"})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1_001})
    assert (too_much.value.http_status, too_much.value.param) == (400, "amount")
    client.v1.transfers.reversals.create(transfer.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1})
    assert client.v1.transfers.retrieve(transfer.id).amount_reversed == 1_000


# --- Webhooks: https://docs.stripe.com/webhooks#verify-events ----------------------------------------


class _Inbox(BaseHTTPRequestHandler):
    received: list  # (payload, Stripe-Signature header)

    def do_POST(self):  # noqa: N802 - http.server's name
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((payload, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def webhooked_devstripe(stripe_settings, tmp_path):
    """A second devstripe, started as the Makefile's demo starts it (with ``--webhook-url``), posting to
    an HTTP inbox here."""
    _Inbox.received = []
    inbox = HTTPServer(("127.0.0.1", 0), _Inbox)
    threading.Thread(target=inbox.serve_forever, daemon=True).start()
    port, secret = _free_port(), "whsec_devstripe_tests"
    log = (tmp_path / "devstripe.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "marketplace.payments.devstripe", "--port", str(port)]
        + ["--webhook-url", f"http://127.0.0.1:{inbox.server_port}/", "--webhook-secret", secret],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=PROJECT,
    )
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1).read(1)  # noqa: S310 - loopback
            break
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"devstripe did not start: see {tmp_path / 'devstripe.log'}")
            time.sleep(0.1)
    stripe_settings.STRIPE_API_BASE = base
    stripe_settings.STRIPE_WEBHOOK_SECRET = secret
    stripe_settings.STRIPE_WEBHOOK_TOLERANCE = 300
    yield _Inbox.received
    process.terminate()
    process.wait(timeout=5)
    inbox.shutdown()
    log.close()


def test_new_events_reach_the_webhook_signed(webhooked_devstripe):
    """Every new event goes out through localstripe's webhook delivery, signed as Stripe signs
    (``Stripe-Signature`` ``t=…,v1=…``, HMAC-SHA256 of ``t.payload``), so the gateway accepts it."""
    client = gateway._client()
    intent = paid(client, amount=6_000, number=DISPUTED_CARD)
    transfer = client.v1.transfers.create(params={"amount": 1_000, "currency": "cny", "destination": "acct_hook"})
    client.v1.transfers.reversals.create(transfer.id, params={"amount": 100})
    other = paid(client, amount=6_000)
    client.v1.refunds.create(params={"payment_intent": other.id, "amount": 600})

    wanted = {
        "charge.dispute.created",
        "transfer.created",
        "transfer.reversed",
        "refund.created",
        "charge.refunded",
    }
    deadline, types = time.monotonic() + 10, set()
    while not wanted <= types and time.monotonic() < deadline:
        time.sleep(0.2)
        types = {
            gateway.StripeGateway().event_construct(payload=payload, signature=signature)["type"]
            for payload, signature in list(webhooked_devstripe)
        }
    assert wanted <= types
    disputed = [json.loads(p) for p, _ in webhooked_devstripe if b"charge.dispute.created" in p]
    assert disputed[0]["data"]["object"]["payment_intent"] == intent.id
