#!/usr/bin/env python3
"""Recompute a request for quotes' selection from its public result alone.

    python tools/recompute_draw.py https://onewindow.example/requests/42/result.json
    python tools/recompute_draw.py result.json            # a saved copy

It checks that SHA-256 of the revealed seed is the commitment published when the request opened;
when a drand beacon round was fixed, that the round's signature verifies against the chain's public
key and that the seed used is SHA-256(seed || randomness); then it reruns every round with the
published pure functions (marketplace/procurement/selection.py) from the published candidates and
parameters, and compares the table and the winner. Exit 0 when everything matches, 1 on the first
mismatch (printed), 2 when the result cannot be read.
"""

import hashlib
import json
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace.procurement import drand, selection  # noqa: E402 - after the path above

NAMES = {"provider", "credit_code"}  # added to the published table for readers, not by the method


def load(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - the URL the user gave
            return json.loads(response.read())
    return json.loads(Path(source).read_text())


def rerun(seed: str, rnd: dict) -> selection.Outcome:
    parameters = rnd["parameters"]
    candidates = [selection.candidate_from_json(c) for c in rnd["candidates"]]
    method = rnd["method"]
    if method == "lowest_price":
        return selection.select_lowest_price(candidates, seed)
    if method == "scored":
        return selection.select_scored(candidates, selection.Weights(**rnd["weights"]), seed)
    if method == "random_draw":
        return selection.select_random_draw(seed, candidates)
    if method == "credit_shortlist":
        return selection.select_credit_shortlist(seed, candidates, pool=parameters["pool"], size=parameters["size"])
    if method == "reasonable_price":
        low, high = parameters["factor_range"]
        return selection.select_reasonable_price(seed, candidates, low=Decimal(low), high=Decimal(high))
    return selection.select_direct(candidates, None)


def check(document: dict) -> list[str]:
    """Every check, in order; raises ``ValueError`` with the first mismatch."""
    done = []
    seed = document.get("seed")
    if not seed:
        raise ValueError("the seed is not revealed yet: the request has not closed")
    if hashlib.sha256(bytes.fromhex(seed)).hexdigest() != document["seed_commitment"]:
        raise ValueError("SHA-256 of the revealed seed is not the published commitment")
    done.append("the seed matches its commitment")
    expected_seed = seed
    beacon = document.get("beacon")
    if beacon:
        chain = drand.Chain(**beacon["chain"])
        try:
            randomness = drand.verify_round(chain, beacon["round"], beacon["signature"])
        except drand.BeaconError as error:
            raise ValueError(str(error)) from None
        if randomness != beacon["randomness"]:
            raise ValueError("the published beacon randomness is not SHA-256 of its signature")
        expected_seed = drand.mixed_seed(seed, randomness)
        done.append(f"drand round {beacon['round']} verifies against the chain key")
    if document.get("draw_seed") != expected_seed:
        raise ValueError("the published draw seed is not the committed seed mixed with the beacon")
    for rnd in document["selections"]:
        if rnd["method"] == "direct":
            continue
        if rnd["parameters"].get("set_aside") is not None:  # a walk-away: the same table, passed down
            left = [row for row in rnd["table"] if row["quote_id"] not in rnd["parameters"]["set_aside"]]
            if not left or left[0]["quote_id"] != rnd["winner_quote_id"]:
                raise ValueError(f"round {rnd['round']}: the winner is not the first row not set aside")
            done.append(f"round {rnd['round']}: passed down the table as published")
            continue
        outcome = rerun(expected_seed, rnd)
        published = [{k: v for k, v in row.items() if k not in NAMES} for row in rnd["table"]]
        if outcome.table != published:
            raise ValueError(f"round {rnd['round']}: the recomputed table differs from the published one")
        if outcome.winner_id != rnd["winner_quote_id"] and rnd["method"] != "credit_shortlist":
            raise ValueError(f"round {rnd['round']}: the recomputed winner differs")
        if {k: v for k, v in outcome.parameters.items()} != {
            k: v for k, v in rnd["parameters"].items() if k != "candidates"
        }:
            raise ValueError(f"round {rnd['round']}: the recomputed parameters differ")
        done.append(f"round {rnd['round']} ({rnd['method']}) recomputed: same table and result")
    return done


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        document = load(argv[0])
    except (OSError, ValueError) as error:
        print(f"cannot read the result: {error}", file=sys.stderr)
        return 2
    try:
        done = check(document)
    except (ValueError, KeyError) as error:
        print(f"MISMATCH: {error}", file=sys.stderr)
        return 1
    for line in done:
        print(f"ok: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
