"""Property: no mutation of a sealed file is ever accepted.

Random byte flips, insertions and deletions, anywhere in a sealed permit and in a fully sealed
service contract (uniformly over the file, and concentrated on the structures an attacker aims at:
each signature's /Contents and its zero padding, the /ByteRange arrays, the cross-reference
sections, the DSS and the document timestamps), never yield ``valid`` and never
``matches_issued_document``; and ``verify_pdf`` never raises. A mutation inside a signed range
that leaves the file parseable is ``tampered`` (hash mismatch); one that breaks parsing is
``unreadable``: both satisfy the property. A mutation that gives back the original file is
discarded (it is legitimately valid).

The files are built once per module (fixtures in test_attacks.py: a permit over a throw-away PKI,
and a contract made by the platform's own services). Hypothesis runs derandomized and without an
example database, so every run checks the same examples: 100 per permit test and 30 per contract
test in the normal run (about 850 in all), 1000 and 250 under the ``slow`` marker (about 7500),
which `.ci/run` runs on PostgreSQL. On failure Hypothesis prints the drawn mutation and a note
with the offset, the region and the bytes before and after.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.verification import Verdict

from .sealfactory import IssuedFile
from .test_attacks import LIMITS, permit, permit_pki, platform_files, signatures, verify  # noqa: F401 - fixtures

# The contract is made in the test database (then rolled back): pytest-django sets it up only for a
# session with tests marked django_db.
pytestmark = pytest.mark.django_db

# The function-scoped fixtures these tests see are the project's autouse settings overrides and
# pytest-django's per-test transaction: none holds state that one example could leave to the next.
# No shrinking: a mutation is one operation at one offset, already as small as it gets, and shrinking
# a contract's counterexample re-verifies it for minutes; the first failing example is reported.
NORMAL = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLOW = settings(NORMAL, max_examples=1000)
# A contract is verified seal by seal (three seals, three document timestamps): fewer examples.
CONTRACT_NORMAL = settings(NORMAL, max_examples=30)
CONTRACT_SLOW = settings(NORMAL, max_examples=250)


# --- where to mutate ---------------------------------------------------------------------------


def _object_spans(data: bytes, number: int) -> list[tuple[int, int]]:
    """Every definition of object ``number`` in the file (one per revision that wrote it)."""
    spans = []
    for match in re.finditer(rb"(?:^|[\r\n])%d 0 obj\b" % number, data):
        end = data.find(b"endobj", match.end())
        if end != -1:
            spans.append((match.start() + 1, end + len(b"endobj")))
    return spans


def _references(obj, found: set[int], depth: int = 0) -> None:
    """The numbers of the objects ``obj`` refers to, a few levels deep (a DSS's VRI dictionaries
    refer to its certificate and CRL streams)."""
    if depth > 4:
        return
    if isinstance(obj, generic.IndirectObject):
        if obj.idnum in found:
            return
        found.add(obj.idnum)
        obj = obj.get_object()
    if isinstance(obj, generic.StreamObject):
        return
    if isinstance(obj, generic.DictionaryObject):
        for key in obj:
            _references(obj.raw_get(key), found, depth + 1)
    elif isinstance(obj, generic.ArrayObject):
        for item in obj:
            _references(item, found, depth + 1)


@functools.cache
def regions(data: bytes) -> dict[str, tuple[tuple[int, int], ...]]:
    """Named byte spans of a sealed file: where the concentrated mutations land."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    spans: dict[str, list[tuple[int, int]]] = {
        "contents": [],
        "padding": [],
        "byterange": [],
        "xref": [],
        "dss": [],
        "timestamp": [],
    }
    for span in signatures(data):
        start, end = span.contents
        spans["contents"].append((start + 1, end - 1))
        digits = data[start + 1 : end - 1]
        spans["padding"].append((end - 1 - (len(digits) - len(digits.rstrip(b"0"))), end - 1))
        byte_range = re.compile(rb"/ByteRange\s*\[[^\]]*\]").search(data, end)
        spans["byterange"].append(byte_range.span())
        if span.kind == "document_timestamp":
            spans["timestamp"] += _object_spans(data, span.object_number)
    for field in reader.root["/AcroForm"]["/Fields"]:
        widget = field.get_object()
        if "/V" in widget and widget["/V"].get("/Type") == "/DocTimeStamp":
            spans["timestamp"] += _object_spans(data, field.idnum)
    for match in re.finditer(rb"(?:^|[\r\n])xref\b", data):
        eof = data.index(b"%%EOF", match.end()) + len(b"%%EOF")
        spans["xref"].append((match.start() + 1, eof))
    dss: set[int] = set()
    _references(reader.root.raw_get("/DSS"), dss)
    for number in sorted(dss):
        spans["dss"] += _object_spans(data, number)
    assert all(spans.values()), {name: len(found) for name, found in spans.items()}
    return {name: tuple(found) for name, found in spans.items()}


# --- how to mutate -----------------------------------------------------------------------------

HEX_DIGITS = b"0123456789ABCDEFabcdef"
DECIMAL_DIGITS = b"0123456789"
# The operations each region gets: byte flips, insertions and deletions everywhere; in hex strings
# and number arrays also the substitutions that keep the syntax and so reach deeper into the parser.
OPERATIONS = {
    "file": ("flip", "insert", "delete"),
    "contents": ("flip", "insert", "delete", "hex-digit"),
    "padding": ("flip", "hex-digit"),
    "byterange": ("flip", "insert", "delete", "decimal-digit"),
    "xref": ("flip", "insert", "delete", "decimal-digit"),
    "dss": ("flip", "insert", "delete"),
    "timestamp": ("flip", "insert", "delete", "hex-digit"),
}


@dataclass(frozen=True)
class Mutation:
    region: str
    operation: str
    offset: int
    detail: bytes  # the flip mask, the inserted bytes, the deleted length or the new digit

    def apply(self, data: bytes) -> bytes:
        at = self.offset
        if self.operation == "flip":
            return data[:at] + bytes([data[at] ^ self.detail[0]]) + data[at + 1 :]
        if self.operation == "insert":
            return data[:at] + self.detail + data[at:]
        if self.operation == "delete":
            return data[:at] + data[at + self.detail[0] :]
        return data[:at] + self.detail + data[at + 1 :]  # a digit substituted


@dataclass(frozen=True, repr=False)
class Target:
    """A sealed file's size and regions, with a short repr (Hypothesis prints a strategy's arguments)."""

    kind: str
    spans: dict[str, tuple[tuple[int, int], ...]]

    @classmethod
    def of(cls, issued: IssuedFile) -> Target:
        return cls(issued.kind, {"file": ((0, len(issued.pdf)),), **regions(issued.pdf)})

    def __repr__(self) -> str:
        return f"<{self.kind}, {self.spans['file'][0][1]} bytes>"


@st.composite
def mutations(draw, target: Target, focus: tuple[str, ...]) -> Mutation:
    spans = target.spans
    region = draw(st.sampled_from(focus), label="region")
    start, end = draw(st.sampled_from(spans[region]), label="span")
    offset = draw(st.integers(start, end - 1), label="offset")
    operation = draw(st.sampled_from(OPERATIONS[region]), label="operation")
    if operation == "flip":
        detail = bytes([draw(st.integers(1, 255), label="mask")])
    elif operation == "insert":
        detail = draw(st.binary(min_size=1, max_size=16), label="inserted")
    elif operation == "delete":
        detail = bytes([draw(st.integers(1, 16), label="length")])
    else:
        alphabet = HEX_DIGITS if operation == "hex-digit" else DECIMAL_DIGITS
        detail = bytes([draw(st.sampled_from(alphabet), label="digit")])
    return Mutation(region, operation, offset, detail)


def check_never_accepted(issued: IssuedFile, mutation: Mutation):
    data = mutation.apply(issued.pdf)
    at = mutation.offset
    note(
        f"{issued.kind}: {mutation.operation} in {mutation.region} at offset {at} of {len(issued.pdf)}: "
        f"{issued.pdf[max(at - 12, 0) : at + 20]!r} -> {data[max(at - 12, 0) : at + 20]!r}"
    )
    report = verify(issued, data)
    note(f"verdict {report.verdict.value}, reason {report.reason}")
    assert report.verdict is not Verdict.VALID, report.reason
    assert report.matches_issued_document is not True, (report.verdict, report.reason)
    return report


FOCUS = {
    "uniform": ("file",),
    "signature-contents": ("contents", "padding"),
    "byterange": ("byterange",),
    "xref": ("xref",),
    "dss": ("dss",),
    "document-timestamp": ("timestamp", "padding"),
}


def _draw_mutation(data_strategy, issued: IssuedFile, focus: str) -> Mutation:
    mutation = data_strategy.draw(mutations(Target.of(issued), FOCUS[focus]), label="mutation")
    # A mutation that gives back the original file is legitimately valid: not a counterexample.
    assume(mutation.apply(issued.pdf) != issued.pdf)
    return mutation


# --- the properties ------------------------------------------------------------------------------


@pytest.mark.parametrize("focus", FOCUS)
@NORMAL
@given(data=st.data())
def test_a_mutated_permit_is_never_accepted(permit, focus, data):  # noqa: F811 - a fixture
    check_never_accepted(permit, _draw_mutation(data, permit, focus))


@pytest.mark.parametrize("focus", FOCUS)
@CONTRACT_NORMAL
@given(data=st.data())
def test_a_mutated_contract_is_never_accepted(platform_files, focus, data):  # noqa: F811 - a fixture
    contract = platform_files["contract"]
    check_never_accepted(contract, _draw_mutation(data, contract, focus))


@NORMAL
@given(data=st.data())
def test_isolated_verification_agrees_on_mutated_seals(permit, data):  # noqa: F811 - a fixture
    """The isolated worker answers what inline verification answers, never ``too_complex`` for a
    seal it could not evaluate."""
    mutation = _draw_mutation(data, permit, "signature-contents")
    inline = check_never_accepted(permit, mutation)
    isolated = verify(permit, mutation.apply(permit.pdf), limits=LIMITS)
    assert (isolated.verdict, isolated.reason) == (inline.verdict, inline.reason)


@pytest.mark.slow
@pytest.mark.parametrize("focus", FOCUS)
@SLOW
@given(data=st.data())
def test_many_mutated_permits_are_never_accepted(permit, focus, data):  # noqa: F811 - a fixture
    check_never_accepted(permit, _draw_mutation(data, permit, focus))


@pytest.mark.slow
@pytest.mark.parametrize("focus", FOCUS)
@CONTRACT_SLOW
@given(data=st.data())
def test_many_mutated_contracts_are_never_accepted(platform_files, focus, data):  # noqa: F811 - a fixture
    contract = platform_files["contract"]
    check_never_accepted(contract, _draw_mutation(data, contract, focus))
