#!/usr/bin/env python3
"""Audit a OneWindow transparency log from its public endpoints alone.

    python tools/log_audit.py --url https://onewindow.example [--state audit.json] [--root-sha256 HEX]

What it checks, exiting 1 with the first problem found (2 when the instance cannot be reached):

1. The log key chain (/transparency/log/key.pem) chains to a root; the root's SHA-256 fingerprint
   is pinned in the state file on the first run (or given with --root-sha256) and must not change.
2. Every signed tree head (/transparency/log/heads.json): the checkpoint says its size and root,
   the log key signed it, and an RFC 3161 token from a TSA under the same root covers the signature.
3. Every record (/transparency/log/entries.json) hashes to its leaf hash, and the leaves rebuild
   every head's root: a record changed, removed or reordered anywhere shows here.
4. Each head extends the previous one (a consistency proof from /proof/consistency.json), and every
   head seen on an earlier run (kept in the state file) is still a prefix of today's tree: a log
   rewritten and re-signed after an audit, or shown differently to different people, is a fork.
5. The seal-use chain's links, as logged: each entry's prev_hash is the previous entry's hash.

Needs only the standard library and this repository's ``translog`` package (its pure modules
``merkle`` and ``checks``, which use ``cryptography`` and ``pyhanko`` from requirements.txt).
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from translog import checks, merkle  # noqa: E402 - after the path above

PAGE = 1000
# The public API allows each address so many requests a minute (429 with Retry-After past it); an
# audit makes one request per head, so it waits as told and carries on, this many times at most.
RATE_LIMIT_RETRIES = 1000


class AuditFailure(Exception):
    pass


class Unreachable(Exception):
    pass


def _wait_seconds(error: urllib.error.HTTPError) -> int:
    try:
        return min(max(int(error.headers.get("Retry-After", "1")), 1), 60)
    except ValueError:
        return 1


def fetch(base: str, path: str, **params) -> bytes:
    url = f"{base.rstrip('/')}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    for _attempt in range(RATE_LIMIT_RETRIES):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - an http(s) URL the user gave
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise Unreachable(f"{url}: HTTP {error.code} {error.read()[:200]!r}") from None
            time.sleep(_wait_seconds(error))
        except (urllib.error.URLError, OSError) as error:
            raise Unreachable(f"{url}: {error}") from None
    raise Unreachable(f"{url}: still rate-limited after {RATE_LIMIT_RETRIES} waits")


def fetch_json(base: str, path: str, **params) -> dict:
    return json.loads(fetch(base, path, **params))


def all_heads(base: str) -> list[dict]:
    heads, start = [], 0
    while True:
        page = fetch_json(base, "/transparency/log/heads.json", start=start)["heads"]
        heads += page
        if len(page) < 500:
            return heads
        start = page[-1]["id"] + 1


def all_entries(base: str, size: int) -> list[dict]:
    entries = []
    while len(entries) < size:
        page = fetch_json(
            base, "/transparency/log/entries.json", start=len(entries), end=min(size, len(entries) + PAGE)
        )["entries"]
        if not page:
            raise AuditFailure(f"the log serves {len(entries)} records but a head claims {size}")
        entries += page
    return entries


def audit(base: str, state: dict, root_pin: str = "") -> list[str]:
    """Run every check; returns what it verified (for the report). Updates ``state`` in place."""
    done = []
    chain = checks.load_chain(fetch(base, "/transparency/log/key.pem"))
    fingerprint = checks.root_fingerprint(chain)
    pinned = root_pin or state.get("root_sha256")
    if pinned and pinned != fingerprint:
        raise AuditFailure(f"the log's root certificate changed: pinned {pinned}, served {fingerprint}")
    state["root_sha256"] = fingerprint
    heads = all_heads(base)
    if not heads:
        return ["no tree head signed yet"]
    for head in heads:
        try:
            checks.verify_head(head, chain)
        except checks.HeadError as error:
            raise AuditFailure(f"tree head {head['id']} (size {head['tree_size']}): {error}") from None
    done.append(f"{len(heads)} tree heads: signatures and timestamps")

    largest = max(head["tree_size"] for head in heads)
    entries = all_entries(base, largest)
    hashes = []
    for index, entry in enumerate(entries[:largest]):
        if entry["index"] != index:
            raise AuditFailure(f"record {index} is served as record {entry['index']}")
        if merkle.leaf_hash(entry["data"].encode("utf-8")).hex() != entry["leaf_hash"]:
            raise AuditFailure(f"record {index} does not hash to its leaf hash: it was rewritten")
        hashes.append(bytes.fromhex(entry["leaf_hash"]))
    seen = {int(size): root for size, root in state.get("heads", {}).items()}
    for head in heads:
        root = merkle.root(hashes[: head["tree_size"]]).hex()
        if root != head["root_hash"]:
            raise AuditFailure(
                f"the records no longer give the root of tree head {head['id']} (size {head['tree_size']}): "
                "a record was changed, removed or reordered"
            )
        if seen.get(head["tree_size"], root) != root:
            raise AuditFailure(f"fork: two different trees of size {head['tree_size']} were signed")
        seen[head["tree_size"]] = root
    done.append(f"{largest} records rebuild every head")

    ordered = sorted(heads, key=lambda h: h["id"])
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later["tree_size"] < earlier["tree_size"]:
            raise AuditFailure(f"tree head {later['id']} is smaller than the earlier head {earlier['id']}: a rollback")
        proof = fetch_json(
            base, "/transparency/log/proof/consistency.json", first=earlier["tree_size"], second=later["tree_size"]
        )["consistency_path"]
        try:
            merkle.verify_consistency(
                earlier["tree_size"],
                later["tree_size"],
                bytes.fromhex(earlier["root_hash"]),
                bytes.fromhex(later["root_hash"]),
                [bytes.fromhex(p) for p in proof],
            )
        except merkle.ProofError as error:
            raise AuditFailure(f"tree head {later['id']} does not extend head {earlier['id']}: {error}") from None
    for size, root in state.get("heads", {}).items():
        if int(size) > largest:
            raise AuditFailure(f"a tree of {size} records was seen before, but the log now has only {largest}")
        if merkle.root(hashes[: int(size)]).hex() != root:
            raise AuditFailure(f"the tree of {size} records seen on an earlier audit was rewritten")
    done.append("every head extends the previous ones and those of earlier audits")

    previous = "0" * 64
    links = 0
    for entry in entries[:largest]:
        data = json.loads(entry["data"])
        if data.get("kind") != "seal_use":
            continue
        if data["prev_hash"] != previous:
            raise AuditFailure(f"the seal-use chain breaks at seal use {data['entry']}")
        previous = data["entry_hash"]
        links += 1
    done.append(f"{links} seal-use links")
    state["heads"] = {str(size): root for size, root in sorted(seen.items())}
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the instance, e.g. https://onewindow.example")
    parser.add_argument("--state", type=Path, default=Path("log-audit-state.json"), help="kept between runs")
    parser.add_argument("--root-sha256", default="", help="the platform root certificate's SHA-256 to trust")
    args = parser.parse_args(argv)
    state = json.loads(args.state.read_text()) if args.state.exists() else {}
    try:
        done = audit(args.url, state, args.root_sha256.lower())
    except Unreachable as error:
        print(f"cannot audit: {error}", file=sys.stderr)
        return 2
    except (AuditFailure, checks.HeadError) as error:
        print(f"AUDIT FAILED: {error}", file=sys.stderr)
        return 1
    args.state.write_text(json.dumps(state, indent=2, sort_keys=True))
    for line in done:
        print(f"ok: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
