"""A draw nobody can steer: candidates identified by credit codes, a drand round fixed at publication
and mixed into the seed at the close, verified offline with its BLS signature against the chain key
(real published quicknet rounds in drand_rounds.json), and tools/recompute_draw.py rerunning a result
from its public JSON alone."""

import datetime
import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.procurement import drand, methods, services
from marketplace.procurement.models import RequestForQuotes
from tests.factories import make_addressed_request, make_certified_provider, make_listing, make_quote, make_request
from tests.tools import load_tool

R = RequestForQuotes.Status
ROUNDS = json.loads((Path(__file__).parent / "drand_rounds.json").read_text())["rounds"]
REAL = ROUNDS[1]  # quicknet round 657413

recompute_draw = load_tool("recompute_draw")


@pytest.mark.parametrize("published", ROUNDS, ids=lambda r: str(r["round"]))
def test_real_published_rounds_verify_and_give_their_randomness(published):
    assert drand.verify_round(drand.QUICKNET, published["round"], published["signature"]) == published["randomness"]


def test_a_forged_or_misplaced_round_is_refused():
    signature = bytearray.fromhex(REAL["signature"])
    signature[20] ^= 1
    with pytest.raises(drand.BeaconError):
        drand.verify_round(drand.QUICKNET, REAL["round"], signature.hex())
    with pytest.raises(drand.BeaconError):  # a real signature, but of another round
        drand.verify_round(drand.QUICKNET, REAL["round"] + 1, REAL["signature"])
    with pytest.raises(drand.BeaconError):
        drand.verify_round(drand.QUICKNET, REAL["round"], "abcd")


def test_the_round_is_the_first_at_or_after_a_time():
    chain = drand.QUICKNET
    at = drand.round_time(chain, 1000)
    assert at == chain.genesis_time + 999 * 3
    assert drand.round_at(chain, at) == 1000 and drand.round_at(chain, at + 0.5) == 1001


@pytest.fixture
def beacon_on(settings, monkeypatch):
    """The beacon's HTTP API cannot be reached from here: ``fetch_round`` is replaced by one that
    answers with the real published round (or, until ``available`` is set, that it is not out yet)."""
    settings.PROCUREMENT_DRAND = "quicknet"
    answers = {"available": False, "signature": REAL["signature"]}

    def fetch(chain, number, timeout=10):
        if not answers["available"]:
            raise drand.BeaconPending("not yet")
        return answers["signature"]

    monkeypatch.setattr(drand, "fetch_round", fetch)
    return answers


def pin_to_real_round(request):
    """Publication fixed the first round after the deadline; for the test, the real published one."""
    assert request.beacon["round"] == drand.round_at(drand.QUICKNET, request.deadline.timestamp())
    RequestForQuotes.objects.filter(pk=request.pk).update(beacon={**request.beacon, "round": REAL["round"]})
    request.refresh_from_db()
    return request


@pytest.mark.django_db
def test_the_close_waits_for_the_round_then_mixes_it_in_and_anyone_recomputes(
    client, buyer, category, providers, beacon_on, tmp_path
):
    enterprise, owner = buyer
    request = pin_to_real_round(
        make_request(enterprise=enterprise, user=owner, category=category, method="random_draw")
    )
    for provider in providers:
        make_quote(request, provider, price="100")
    after = timezone.now() + datetime.timedelta(hours=49)
    assert services.request_close(request=request, now=after).status == R.OPEN  # the round is not out yet
    assert not RequestForQuotes.objects.get(pk=request.pk).seed_revealed_at

    beacon_on["signature"] = ROUNDS[0]["signature"]  # a genuine signature, but of round 1000
    assert services.request_close(request=request, now=after).status == R.OPEN  # refused, never used

    beacon_on.update(available=True, signature=REAL["signature"])
    request = services.request_close(request=request, now=after)
    assert request.status == R.PUBLICITY and request.beacon["randomness"] == REAL["randomness"]
    seed = drand.mixed_seed(request.seed, REAL["randomness"])
    assert (
        methods.draw_seed(request)
        == seed
        == hashlib.sha256(bytes.fromhex(request.seed + REAL["randomness"])).hexdigest()
    )
    # Identified by credit codes, not by ids the platform assigns.
    codes = sorted(p.credit_code for p in providers)
    digest = hmac.new(bytes.fromhex(seed), ",".join(codes).encode(), hashlib.sha256).digest()
    winner_code = codes[int.from_bytes(digest, "big") % len(codes)]
    assert request.selections.get().winner.provider.credit_code == winner_code

    document = client.get(reverse("procurement:result-json", args=[request.pk])).json()
    assert document["beacon"]["round"] == REAL["round"] and document["draw_seed"] == seed
    saved = tmp_path / "result.json"
    saved.write_text(json.dumps(document))
    assert recompute_draw.main([str(saved)]) == 0
    page = client.get(request.get_absolute_url()).content.decode()
    assert REAL["randomness"] in page and "rfq-no-beacon" not in page

    tampered = json.loads(saved.read_text())
    tampered["beacon"]["signature"] = ROUNDS[0]["signature"]
    saved.write_text(json.dumps(tampered))
    assert recompute_draw.main([str(saved)]) == 1
    tampered = {**document, "selections": [{**document["selections"][0], "winner_quote_id": -1}]}
    saved.write_text(json.dumps(tampered))
    assert recompute_draw.main([str(saved)]) == 1


@pytest.mark.django_db
def test_an_extension_moves_the_round_past_the_new_deadline(buyer, category, providers, beacon_on, settings):
    settings.PROCUREMENT_MIN_VALID_QUOTES = 3
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="random_draw")
    first_round = request.beacon["round"]
    make_quote(request, providers[0], price="100")
    request = services.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
    assert request.status == R.OPEN and request.beacon["round"] > first_round
    assert request.beacon["round"] == drand.round_at(drand.QUICKNET, request.deadline.timestamp())


@pytest.mark.django_db
def test_without_a_beacon_the_page_says_the_draw_is_commit_reveal_only(client, buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="random_draw")
    assert request.beacon == {}
    page = client.get(request.get_absolute_url()).content.decode()
    assert "rfq-no-beacon" in page and "commit-reveal only" in page


@pytest.mark.django_db
def test_the_tool_recomputes_every_method_and_refuses_an_open_request(client, buyer, category, tmp_path):
    enterprise, owner = buyer
    quoters = [make_certified_provider(categories=[category], name=f"Tool {n}") for n in range(4)]
    for method in ("lowest_price", "scored", "credit_shortlist", "reasonable_price"):
        request = make_request(enterprise=enterprise, user=owner, category=category, method=method, budget="200000")
        for provider, price in zip(quoters, ["90000", "95000", "99000", "95000"], strict=True):
            make_quote(request, provider, price=price)
        saved = tmp_path / f"{method}.json"
        saved.write_text(json.dumps(client.get(reverse("procurement:result-json", args=[request.pk])).json()))
        assert recompute_draw.main([str(saved)]) == 1  # not closed: nothing to recompute yet
        services.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
        saved.write_text(json.dumps(client.get(reverse("procurement:result-json", args=[request.pk])).json()))
        assert recompute_draw.main([str(saved)]) == 0, method


@pytest.mark.django_db
def test_the_buyers_own_choice_draws_nothing_so_waits_for_no_round(buyer, category, providers, beacon_on):
    """A ``direct`` request (and a request addressed to one provider, which is direct) fixes no round:
    the addressed one opens as soon as its provider quotes, though no beacon round is out."""
    enterprise, owner = buyer
    direct = make_request(enterprise=enterprise, user=owner, category=category, method="direct")
    assert direct.beacon == {}
    listing = make_listing(providers[0], category, price=Decimal("68000"), pricing_mode="from")
    asked = make_addressed_request(enterprise, owner, listing)
    assert asked.beacon == {}
    make_quote(asked, providers[0], price="70000")
    asked.refresh_from_db()
    assert asked.status == R.CHOOSING
