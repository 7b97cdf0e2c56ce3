"""Attacks on sealed PDFs: the PDF-Insecurity classes (pdf-insecurity.org) and every other change
the verifier must refuse.

The rule: ``matches_issued_document`` is true only for the issued file byte for byte, or the issued
file followed only by signature maintenance (DSS/VRI updates, document timestamps with their fields
and widgets, the catalog's ``/Extensions``) that the verifier parsed and accounted for object by
object. Every other byte is a change: the verdict is ``tampered`` and the reason says where. Nothing
escapes ``verify_pdf``, inline or isolated.

Every file is real. The permit is sealed with pyHanko over a throw-away PKI (sealfactory.py); the
service contract (certified at DocMDP 2, then sealed by the buyer and the provider), the provider
certificate and the verification report are made by the platform's own services and PKI. Attacks
are built the way an attacker would build them: incremental updates with pypdf (another writer
than the one that sealed), with pyHanko's incremental writer, or by byte surgery where neither can
express the attack. Nothing is mocked; the one stand-in is an attacker's signer that ignores DocMDP
(pyHanko refuses to sign a document whose certification forbids changes; an attacker's tool does not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject

from signing.isolation import ResourceLimits
from signing.verification import REASONS, Verdict, verify_pdf

from .pkifactory import TestPKI
from .sealfactory import IssuedFile, VersionRegistry, archival_refresh, issued_permit, platform_issued_files

MAX_BYTES = 5 * 1024 * 1024
TODAY = dt.date(2026, 11, 30)
LIMITS = ResourceLimits(seconds=20, memory_bytes=1024 * 1024 * 1024)

KINDS = ("permit", "contract", "provider_certificate", "verification_report")
# The platform's files are made in the test database (then rolled back): pytest-django sets it up
# only for a session with tests marked django_db.
pytestmark = pytest.mark.django_db

FORGED = b"BT /F1 36 Tf 72 500 Td (VALID UNTIL 2099) Tj ET"


# --- the issued files --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def permit_pki():
    return TestPKI()


@pytest.fixture(scope="module")
def permit(permit_pki) -> IssuedFile:
    return issued_permit(permit_pki)


@pytest.fixture(scope="module")
def platform_files(django_db_setup, django_db_blocker, pki_dir, contract_materials, tmp_path_factory):
    """Made once per module through the real services; the database writes are rolled back."""
    with django_db_blocker.unblock():
        return platform_issued_files(
            pki_dir=pki_dir, materials=contract_materials, media_dir=tmp_path_factory.mktemp("media")
        )


@pytest.fixture(params=KINDS)
def issued(request) -> IssuedFile:
    if request.param == "permit":
        return request.getfixturevalue("permit")
    return request.getfixturevalue("platform_files")[request.param]


def verify(issued: IssuedFile, data: bytes, *, limits: ResourceLimits | None = None):
    try:
        return verify_pdf(
            data,
            trust=issued.trust,
            registry=VersionRegistry(*issued.records),
            max_bytes=MAX_BYTES,
            today=TODAY,
            limits=limits,
        )
    # The rule under test: nothing escapes verify_pdf. Report any exception as the failure it is.
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"verify_pdf raised {type(exc).__name__}: {exc}")


def assert_refused(report, *, reason: str | None = None, unreadable_ok: bool = False) -> None:
    """``tampered`` (or, where the file cannot be parsed, ``unreadable``), never the issued document,
    with a stable reason code and a sentence for people."""
    allowed = {Verdict.TAMPERED, Verdict.UNREADABLE} if unreadable_ok else {Verdict.TAMPERED}
    assert report.verdict in allowed, (report.verdict, report.reason)
    assert report.matches_issued_document is not True
    assert re.fullmatch(r"[a-z][a-z0-9_]*", report.reason), report.reason
    assert report.reason in REASONS, f"{report.reason!r} is not one of the documented reason codes"
    message = str(report.message).strip()
    assert message and message[0].isupper() and message.endswith("."), message
    if reason is not None:
        assert report.reason == reason, (report.verdict, report.reason)


# --- how attacks are written ---------------------------------------------------------------------


def pypdf_update(data: bytes, change: Callable[[PdfWriter], None]) -> bytes:
    """An incremental update written by pypdf."""
    writer = PdfWriter(PdfReader(io.BytesIO(data)), incremental=True)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    assert updated.startswith(data) and len(updated) > len(data)
    return updated


def pyhanko_update(data: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    """An incremental update written by pyHanko (which also refreshes /Info's /ModDate)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    assert updated.startswith(data) and len(updated) > len(data)
    return updated


def reader_of(data: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(data), strict=False)


def last_startxref(data: bytes) -> int:
    return int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def revision_ends(data: bytes) -> list[int]:
    """The offset just past each ``%%EOF`` marker (and the end-of-line that follows it)."""
    ends = []
    for match in re.finditer(rb"%%EOF(\r\n|\r|\n)?", data):
        ends.append(match.end())
    return ends


def object_body(data: bytes, number: int) -> bytes:
    """The text between ``N 0 obj`` and ``endobj`` of the last definition of object ``N`` in ``data``."""
    starts = [m.end() for m in re.finditer(rb"(?:^|[\r\n])%d 0 obj" % number, data)]
    assert starts, f"object {number} is not defined"
    start = starts[-1]
    return data[start : data.index(b"endobj", start)].strip()


def stream_body(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(content), extra, content)


def append_update(
    data: bytes,
    objects: dict[int, bytes],
    *,
    free: tuple[int, ...] = (),
    root: int | None = None,
    xref: bool = True,
) -> bytes:
    """An incremental update written by hand: the object bodies, then (unless ``xref`` is false) a
    classic cross-reference section and a trailer whose /Prev is the previous section."""
    trailer = data[last_startxref(data) :]
    root = root if root is not None else int(re.search(rb"/Root (\d+) 0 R", trailer).group(1))
    info = re.search(rb"/Info (\d+) 0 R", trailer)
    ids = re.search(rb"/ID\s*\[[^\]]*\]", trailer)
    size = int(re.search(rb"/Size (\d+)", trailer).group(1))
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    if not xref:
        return bytes(out)
    section = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for number in sorted({*offsets, *free}):
        entry = b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 00001 f \n"
        out += b"%d 1\n%s" % (number, entry)
    out += b"trailer\n<< /Size %d /Root %d 0 R " % (max(size, *(n + 1 for n in [*offsets, *free])), root)
    if info:
        out += b"/Info %s 0 R " % info.group(1)
    if ids:
        out += ids.group(0) + b" "
    out += b"/Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (last_startxref(data), section)
    return bytes(out)


def next_object_number(data: bytes) -> int:
    return int(re.findall(rb"/Size (\d+)", data)[-1])


def first_page(data: bytes) -> generic.DictionaryObject:
    return reader_of(data).root["/Pages"]["/Kids"][0].get_object()


def first_page_content_number(data: bytes) -> int:
    contents = first_page(data).raw_get("/Contents")
    if isinstance(contents, generic.ArrayObject):
        contents = contents[0]
    return contents.idnum


@dataclass(frozen=True)
class SignatureSpan:
    field_name: str
    kind: str  # "seal" or "document_timestamp"
    contents: tuple[int, int]  # the hex string, '<' and '>' included: data[start:end]
    object_number: int


def signatures(data: bytes) -> list[SignatureSpan]:
    reader = reader_of(data)
    spans = []
    for embedded in reader.embedded_signatures:
        _, length1, start2, _ = (int(n) for n in embedded.byte_range)
        kind = "document_timestamp" if embedded.sig_object_type == "/DocTimeStamp" else "seal"
        number = embedded.sig_field.raw_get("/V").idnum
        spans.append(SignatureSpan(embedded.field_name, kind, (length1, start2), number))
    return spans


def seals(data: bytes) -> list[SignatureSpan]:
    return [span for span in signatures(data) if span.kind == "seal"]


def replace_same_length(data: bytes, start: int, end: int, replacement: bytes) -> bytes:
    """``data[start:end]`` replaced in place, padded with spaces: every offset in the file stays right."""
    assert len(replacement) <= end - start, (replacement, end - start)
    return data[:start] + replacement.ljust(end - start) + data[end:]


def byte_range_span(data: bytes, span: SignatureSpan) -> tuple[int, int]:
    """The ``/ByteRange [...]`` entry that follows the signature's /Contents (pyHanko writes it
    there, with room to spare)."""
    match = re.compile(rb"/ByteRange\s*\[[^\]]*\]\s*").search(data, span.contents[1])
    return match.start(), match.end()


# --- genuine files and genuine signature maintenance (the controls) ------------------------------


def test_the_issued_files_are_valid_and_match(issued):
    report = verify(issued, issued.pdf)
    assert report.verdict is Verdict.VALID, report.reason
    assert report.matches_issued_document is True


def _wait_for_the_next_second(pdf: bytes) -> None:
    """pyHanko stamps /Info's /ModDate (to the second) in every update it writes; let the clock pass
    the issued file's, so a refresh carries a /ModDate of its own, as a holder's later refresh does."""
    stamp = re.findall(rb"/ModDate \(D(?::|\\072)(\d{14})([+-])(\d\d)(?:'|\\047)(\d\d)", pdf)[-1]
    digits, sign, hours, minutes = (part.decode() for part in stamp)
    offset = dt.timedelta(hours=int(hours), minutes=int(minutes)) * (1 if sign == "+" else -1)
    modified = dt.datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone(offset))
    wait = (modified + dt.timedelta(seconds=1) - dt.datetime.now(dt.UTC)).total_seconds()
    time.sleep(min(max(wait, 0), 1.5))


def test_archival_timestamp_refresh_is_signature_maintenance(issued):
    """A holder refreshes the long-term validation data with pyHanko: a DSS/VRI update and a fresh
    document timestamp. Still the issued document, though pyHanko's writer also rewrites /Info with
    a new /ModDate in each revision it appends."""
    _wait_for_the_next_second(issued.pdf)
    refreshed = archival_refresh(issued)
    assert refreshed.startswith(issued.pdf) and len(refreshed) > len(issued.pdf)
    report = verify(issued, refreshed)
    assert report.verdict is Verdict.VALID, report.reason
    assert report.matches_issued_document is True
    twice = archival_refresh(issued, refreshed)
    report = verify(issued, twice)
    assert report.verdict is Verdict.VALID, report.reason
    assert report.matches_issued_document is True


@pytest.mark.parametrize("kind", ["permit", "contract"])
def test_archival_timestamp_refresh_is_signature_maintenance_when_isolated(request, kind):
    issued = request.getfixturevalue("permit") if kind == "permit" else request.getfixturevalue("platform_files")[kind]
    _wait_for_the_next_second(issued.pdf)
    report = verify(issued, archival_refresh(issued), limits=LIMITS)
    assert report.verdict is Verdict.VALID, report.reason
    assert report.matches_issued_document is True


# --- PDF-Insecurity: incremental saving attack (ISA) ---------------------------------------------


def isa_overlay_with_pypdf(data: bytes) -> bytes:
    """A new revision adds a content stream to the first page that draws over it."""

    def change(writer: PdfWriter) -> None:
        page = writer.pages[0]
        stream = DecodedStreamObject()
        stream.set_data(FORGED)
        ref = writer._add_object(stream)
        contents = page.raw_get("/Contents")
        existing = list(contents.get_object()) if isinstance(contents.get_object(), list) else [contents]
        page[NameObject("/Contents")] = ArrayObject([*existing, ref])

    return pypdf_update(data, change)


def isa_redefine_page_content(data: bytes) -> bytes:
    """A new revision redefines the page's content stream object under the same number."""
    return append_update(data, {first_page_content_number(data): stream_body(FORGED)})


def isa_objects_without_xref(data: bytes) -> bytes:
    """ISA without a cross-reference section: the redefined object, then a startxref that points at
    the previous section and an %%EOF. Readers that rebuild the xref show the new object."""
    body = append_update(data, {first_page_content_number(data): stream_body(FORGED)}, xref=False)
    return body + b"startxref\n%d\n%%%%EOF\n" % last_startxref(data)


ISA = {
    "overlay-content-pypdf": (isa_overlay_with_pypdf, "modified_after_sealing"),
    "redefine-content-object": (isa_redefine_page_content, "modified_after_sealing"),
    "objects-without-xref": (isa_objects_without_xref, None),
}


@pytest.mark.parametrize("variant", ISA)
def test_incremental_saving_attack_is_tampered(issued, variant):
    attack, reason = ISA[variant]
    assert_refused(verify(issued, attack(issued.pdf)), reason=reason)


# --- PDF-Insecurity: signature wrapping attack (SWA) ---------------------------------------------


def signature_wrapping(data: bytes) -> bytes:
    """The last seal's second signed part is moved further down (wrapped in a stream), its
    /ByteRange rewritten to point there, and a malicious object fills the space between: the signed
    bytes are unchanged, so the signature value still verifies; a new cross-reference section makes
    the rearranged file readable. Later revisions are dropped."""
    span = seals(data)[-1]
    reader = reader_of(data)
    embedded = next(s for s in reader.embedded_regular_signatures if s.field_name == span.field_name)
    _, length1, start2, length2 = (int(n) for n in embedded.byte_range)
    second = data[start2 : start2 + length2]
    dictionary_tail = second[: second.index(b"endobj")]
    content_number = first_page_content_number(data)
    wrapper = next_object_number(data)
    head = data[:start2]

    def assemble(moved_to: int) -> bytes:
        tail = re.sub(
            rb"/ByteRange\s*\[[^\]]*\]",
            b"/ByteRange [0 %d %010d %d]" % (length1, moved_to, length2),
            dictionary_tail,
            count=1,
        )
        return (
            head
            + tail
            + b"endobj\n%d 0 obj\n%s\nendobj\n" % (content_number, stream_body(FORGED))
            + b"%d 0 obj\n<< /Length %d >>\nstream\n" % (wrapper, length2)
        )

    moved_to = len(assemble(0))
    body = assemble(moved_to) + second + b"\nendstream\nendobj\n"
    assert body[moved_to : moved_to + length2] == second
    # One cross-reference section for the rearranged file: the last definition of each object wins.
    positions = {}
    for match in re.finditer(rb"(?:^|[\r\n])(\d+) 0 obj\b", body):
        positions[int(match.group(1))] = match.start() + (1 if body[match.start()] in b"\r\n" else 0)
    size = max(positions) + 1
    section = len(body)
    xref = bytearray(b"xref\n0 %d\n" % size)
    for number in range(size):
        xref += b"%010d 00000 n \n" % positions[number] if number in positions else b"0000000000 65535 f \n"
    trailer = data[last_startxref(data) :]
    root = re.search(rb"/Root \d+ 0 R", trailer).group(0)
    info = re.search(rb"/Info \d+ 0 R", trailer).group(0)
    return body + bytes(xref) + b"trailer\n<< /Size %d %s %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, info, section)


def test_signature_wrapping_attack_is_tampered(issued):
    assert_refused(verify(issued, signature_wrapping(issued.pdf)))


def test_content_in_the_signature_gap_is_tampered(issued):
    """The simpler wrapping: a payload written into the unsigned zero padding of /Contents."""
    span = seals(issued.pdf)[-1]
    start, end = span.contents
    padding = issued.pdf.rindex(b"00" * 64, start, end)
    payload = b">> endobj 99 0 obj (evil) endobj <<"
    wrapped = issued.pdf[:padding] + payload + issued.pdf[padding + len(payload) :]
    assert_refused(verify(issued, wrapped))


# --- PDF-Insecurity: universal signature forgery (USF) -------------------------------------------


def _contents_zeroed(data, span):
    start, end = span.contents
    return data[: start + 1] + b"0" * (end - start - 2) + data[end - 1 :]


def _contents_empty(data, span):
    return replace_same_length(data, *span.contents, b"<>")


def _contents_null(data, span):
    return replace_same_length(data, *span.contents, b"null")


def _contents_missing(data, span):
    start, end = span.contents
    key = data.rindex(b"/Contents", 0, start)
    return replace_same_length(data, key, end, b"")


def _byte_range(values: bytes | None):
    def mutate(data, span):
        start, end = byte_range_span(data, span)
        replacement = b"" if values is None else b"/ByteRange " + values
        return replace_same_length(data, start, end - 1, replacement)

    return mutate


def _byte_range_relative(make):
    def mutate(data, span):
        start, end = byte_range_span(data, span)
        numbers = [int(n) for n in re.findall(rb"-?\d+", data[start:end])]
        return replace_same_length(data, start, end - 1, b"/ByteRange [%s]" % make(numbers, len(data)))

    return mutate


USF_IN_PLACE = {
    "contents-zeroed": _contents_zeroed,
    "contents-empty": _contents_empty,
    "contents-null": _contents_null,
    "contents-missing": _contents_missing,
    "byterange-missing": _byte_range(None),
    "byterange-null": _byte_range(b"null"),
    "byterange-empty": _byte_range(b"[]"),
    "byterange-zeros": _byte_range(b"[0 0 0 0]"),
    "byterange-three-values": _byte_range_relative(lambda n, size: b"%d %d %d" % (n[0], n[1], n[2])),
    "byterange-six-values": _byte_range_relative(lambda n, size: b"%d %d %d %d %d %d" % (*n, n[0], n[1])),
    "byterange-negative": _byte_range_relative(lambda n, size: b"%d %d %d %d" % (n[0], n[1], -n[2], n[3])),
    "byterange-past-eof": _byte_range_relative(lambda n, size: b"%d %d %d %d" % (n[0], n[1], n[2], n[3] + size)),
    "byterange-whole-file": _byte_range_relative(lambda n, size: b"0 %d 0 0" % size),
}


@pytest.mark.parametrize("variant", USF_IN_PLACE)
def test_universal_signature_forgery_in_place_is_tampered(issued, variant):
    """The signature dictionary edited in place (same length: every offset stays right), in the
    certification seal and in the last seal (one and the same in all but the contract)."""
    spans = seals(issued.pdf)
    for span in dict.fromkeys([spans[0], spans[-1]]):
        report = verify(issued, USF_IN_PLACE[variant](issued.pdf, span))
        assert_refused(report)


USF_BY_UPDATE = {
    "contents-empty": lambda body: re.sub(rb"/Contents\s*<[0-9A-Fa-f]*>", b"/Contents <>", body),
    "contents-zeroed": lambda body: re.sub(rb"(?<=/Contents <)[0-9A-Fa-f]+", lambda m: b"0" * len(m.group()), body),
    "byterange-missing": lambda body: re.sub(rb"/ByteRange\s*\[[^\]]*\]", b"", body),
    "byterange-null": lambda body: re.sub(rb"/ByteRange\s*\[[^\]]*\]", b"/ByteRange null", body),
    "byterange-zeros": lambda body: re.sub(rb"/ByteRange\s*\[[^\]]*\]", b"/ByteRange [0 0 0 0]", body),
}


@pytest.mark.parametrize("variant", USF_BY_UPDATE)
def test_universal_signature_forgery_by_update_is_tampered(issued, variant):
    """A later revision redefines the last seal's signature dictionary (a validator that skips a
    broken signature still shows the field as signed) and the page content with it."""
    span = seals(issued.pdf)[-1]
    forged_signature = USF_BY_UPDATE[variant](object_body(issued.pdf, span.object_number))
    attacked = append_update(
        issued.pdf,
        {span.object_number: forged_signature, first_page_content_number(issued.pdf): stream_body(FORGED)},
    )
    assert_refused(verify(issued, attacked))


# --- PDF-Insecurity: shadow attacks --------------------------------------------------------------


def shadow_hide_by_freeing(data: bytes) -> bytes:
    """Hide: an update of nothing but a cross-reference section that marks the page content free."""
    return append_update(data, {}, free=(first_page_content_number(data),))


def shadow_hide_seal_widgets(data: bytes) -> bytes:
    """Hide: the seals' widget annotations (their visible stamps) flagged hidden."""

    def change(writer: PdfWriter) -> None:
        for field in writer.root_object["/AcroForm"]["/Fields"]:
            widget = field.get_object()
            if widget.get("/FT") == "/Sig":
                widget[NameObject("/F")] = NumberObject(2)  # Hidden

    return pypdf_update(data, change)


def shadow_replace_font(data: bytes) -> bytes:
    """Replace: the page font gets an /Encoding whose /Differences draw every '0' as a '9'."""

    def change(writer: PdfWriter) -> None:
        fonts = writer.pages[0]["/Resources"]["/Font"]
        font = fonts[next(iter(fonts))].get_object()
        font[NameObject("/Encoding")] = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Encoding"),
                NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding"),
                NameObject("/Differences"): ArrayObject([NumberObject(48), NameObject("/nine")]),
            }
        )

    return pypdf_update(data, change)


def shadow_hide_and_replace(data: bytes) -> bytes:
    """Hide-and-replace: the catalog's page tree swapped for another document's."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        old_page = writer.root["/Pages"]["/Kids"][0].get_object()
        pages = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Pages"),
                pdf_name("/Kids"): generic.ArrayObject(),
                pdf_name("/Count"): generic.NumberObject(1),
            }
        )
        pages_ref = writer.add_object(pages)
        page = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): old_page["/MediaBox"],
                pdf_name("/Resources"): old_page.raw_get("/Resources"),
                pdf_name("/Contents"): writer.add_object(generic.StreamObject(stream_data=FORGED)),
                pdf_name("/Parent"): pages_ref,
            }
        )
        pages["/Kids"].append(writer.add_object(page))
        writer.root["/Pages"] = pages_ref
        writer.update_root()

    return pyhanko_update(data, change)


SHADOW = {
    "hide-by-freeing-the-content": shadow_hide_by_freeing,
    "hide-seal-widgets": shadow_hide_seal_widgets,
    "replace-font-glyphs": shadow_replace_font,
    "hide-and-replace-page-tree": shadow_hide_and_replace,
}


@pytest.mark.parametrize("variant", SHADOW)
def test_shadow_attack_is_tampered(issued, variant):
    assert_refused(verify(issued, SHADOW[variant](issued.pdf)), reason="modified_after_sealing")


# --- PDF-Insecurity: evil annotation attack (EAA) ------------------------------------------------


def evil_free_text(data: bytes) -> bytes:
    def change(writer: PdfWriter) -> None:
        writer.add_annotation(0, FreeText(text="Valid until 2099", rect=(72, 480, 420, 520), font_size="28pt"))

    return pypdf_update(data, change)


def evil_stamp_with_appearance(data: bytes) -> bytes:
    """A Stamp annotation whose appearance stream paints over the page."""

    def change(writer: PdfWriter) -> None:
        appearance = DecodedStreamObject()
        appearance.set_data(b"1 1 1 rg 0 0 350 60 re f 0 0 0 rg " + FORGED)
        appearance.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): ArrayObject([NumberObject(n) for n in (0, 0, 350, 60)]),
            }
        )
        writer.add_annotation(
            0,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Stamp"),
                    NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 480, 422, 540)]),
                    NameObject("/F"): NumberObject(4),
                    NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)}),
                }
            ),
        )

    return pypdf_update(data, change)


@pytest.mark.parametrize("attack", [evil_free_text, evil_stamp_with_appearance], ids=["free-text", "stamp"])
def test_evil_annotation_attack_is_tampered(issued, attack):
    """Annotations are not allowed at DocMDP 1 (permits, certificates, reports) nor 2 (contracts)."""
    assert_refused(verify(issued, attack(issued.pdf)), reason="modified_after_sealing")


# --- PDF-Insecurity: sneaky signature attack (SSA) -----------------------------------------------


class DocMdpIgnoringSigner(signers.PdfSigner):
    """An attacker's signing tool: pyHanko's, without its refusal to sign a certified document
    whose DocMDP forbids changes."""

    def _enforce_certification_constraints(self, reader):
        return None


def sneaky_signature(data: bytes, signer: signers.Signer) -> bytes:
    """A new signature field whose visible appearance paints over the content, signed."""
    meta = signers.PdfSignatureMetadata(field_name="Approval", subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = DocMdpIgnoringSigner(
        meta,
        signer=signer,
        stamp_style=TextStampStyle(stamp_text="VALID UNTIL 2099", border_width=0),
        new_field_spec=fields.SigFieldSpec("Approval", on_page=0, box=(72, 460, 520, 540)),
    )
    return pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data), strict=False)).getvalue()


def simple_signer(cert, key, chain=()) -> signers.SimpleSigner:
    return signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs(list(chain))
    )


@pytest.fixture
def trusted_signer(request, issued, permit_pki):
    """A seal key the verifier trusts: the permit authority's, or, for the platform's files, the
    provider's contract seal (a party to the contract, signing once more in a field of its own)."""
    if issued.kind == "permit":
        yield simple_signer(permit_pki.seal.asn1_cert, permit_pki.seal.asn1_key, [permit_pki.root.asn1_cert])
        return
    from signing.pki import Pki, load_pem_chain

    chain_pem, key_ref = request.getfixturevalue("contract_materials")["provider"]
    chain = load_pem_chain(chain_pem)
    keys = Pki(request.getfixturevalue("pki_dir")).keys
    with keys.open_signer(key_ref=key_ref, certificate=chain[0], chain=chain[1:]) as signer:
        yield signer


def test_sneaky_signature_attack_by_an_untrusted_signer_is_tampered(issued):
    """Tampered, not merely untrusted: the change itself is not allowed, whoever signed it."""
    impostor = TestPKI(organisation="Nobody")
    signer = simple_signer(impostor.seal.asn1_cert, impostor.seal.asn1_key, [impostor.root.asn1_cert])
    assert_refused(verify(issued, sneaky_signature(issued.pdf, signer)), reason="modified_after_sealing")


def test_sneaky_signature_attack_by_a_trusted_signer_is_tampered(issued, trusted_signer):
    assert_refused(verify(issued, sneaky_signature(issued.pdf, trusted_signer)), reason="modified_after_sealing")


# --- metadata, unreferenced objects, the catalog ------------------------------------------------


def test_info_only_update_with_a_forged_title_is_tampered(issued):
    forged = pypdf_update(issued.pdf, lambda writer: writer.add_metadata({"/Title": "Permit valid until 2099"}))
    assert_refused(verify(issued, forged), reason="modified_after_sealing")


XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Permit valid until 2099</rdf:li></rdf:Alt></dc:title>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def test_xmp_metadata_stream_added_is_tampered(issued):
    def change(writer: PdfWriter) -> None:
        writer.xmp_metadata = XMP

    assert_refused(verify(issued, pypdf_update(issued.pdf, change)), reason="modified_after_sealing")


def test_update_of_only_an_unreferenced_object_is_tampered(issued):
    number = next_object_number(issued.pdf)
    attacked = append_update(issued.pdf, {number: stream_body(FORGED)})
    assert_refused(verify(issued, attacked), reason="modified_after_sealing")


def test_catalog_version_set_is_tampered(issued):
    def change(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/Version")] = NameObject("/2.0")

    assert_refused(verify(issued, pypdf_update(issued.pdf, change)), reason="modified_after_sealing")


def _pre_signing_catalog(data: bytes) -> tuple[int, bytes]:
    root = int(re.search(rb"/Root (\d+) 0 R", data[last_startxref(data) :]).group(1))
    first_revision = data[: revision_ends(data)[0]]
    body = object_body(first_revision, root)
    assert b"/AcroForm" not in body and b"/Perms" not in body
    return root, body


def catalog_object_reverted(data: bytes) -> bytes:
    """The catalog object redefined with its text from before the first seal: no form, no seals."""
    root, body = _pre_signing_catalog(data)
    return append_update(data, {root: body})


def trailer_root_to_pre_signing_catalog(data: bytes) -> bytes:
    """A copy of the pre-signing catalog under a new number, and the trailer's /Root pointed at it."""
    _root, body = _pre_signing_catalog(data)
    number = next_object_number(data)
    return append_update(data, {number: body}, root=number)


@pytest.mark.parametrize(
    "attack", [catalog_object_reverted, trailer_root_to_pre_signing_catalog], ids=["object", "trailer-root"]
)
def test_catalog_pointed_back_at_the_pre_signing_revision_is_tampered_not_unsealed(issued, attack):
    """The seals are still in the file; an update that makes the reader stop seeing them is a change
    after sealing, not an unsealed document. (The reason is not pinned: the seal's disappearance
    may well get a code of its own.)"""
    report = verify(issued, attack(issued.pdf))
    assert report.verdict is not Verdict.NOT_SEALED
    assert_refused(report)


# --- bytes outside any revision ------------------------------------------------------------------

TRAILING = {
    "spaces": b"   ",
    "newline": b"\n",
    "crlf": b"\r\n",
    "nul-bytes": b"\x00" * 16,
    "random-64-bytes": hashlib.shake_256(b"trailing-1").digest(64),
    "random-4-kib": hashlib.shake_256(b"trailing-2").digest(4096),
    "text": b"Approved: valid until 2099.\n",
    "comment": b"% edited\n",
    "forged-object-without-xref": b"7 0 obj\n" + stream_body(FORGED) + b"\nendobj\n",
}


@pytest.mark.parametrize("variant", TRAILING)
def test_bytes_appended_after_the_final_eof_are_tampered(issued, variant):
    appended = TRAILING[variant]
    assert b"%%EOF" not in appended
    assert_refused(verify(issued, issued.pdf + appended), reason="trailing_bytes")


def insert_before_last_revision(data: bytes, junk: bytes) -> bytes:
    """``junk`` between the last two revisions, with the last revision's offsets moved to match:
    the file stays well-formed."""
    boundary = revision_ends(data)[-2]
    last = data[boundary:]
    shift = len(junk)

    def moved(match: re.Match) -> bytes:
        return b"%010d %s n" % (int(match.group(1)) + shift, match.group(2))

    xref_at = last.index(b"\nxref") + 1
    body, section = last[:xref_at], last[xref_at:]
    section = re.sub(rb"(\d{10}) (\d{5}) n", moved, section)
    section = re.sub(rb"startxref\s+(\d+)", lambda m: b"startxref\n%d" % (int(m.group(1)) + shift), section)
    return data[:boundary] + junk + body + section


BETWEEN = {
    "comment": b"% inserted\n",
    "whitespace": b"\n\n  \n",
    "unreferenced-object": b"99 0 obj\n(valid until 2099)\nendobj\n",
}


@pytest.mark.parametrize("variant", BETWEEN)
def test_bytes_between_maintenance_revisions_are_tampered(issued, variant):
    """Between the two revisions of a genuine refresh (document timestamp, then DSS/VRI): the
    issued file is still a prefix, so only the bytes between revisions tell."""
    _wait_for_the_next_second(issued.pdf)
    refreshed = archival_refresh(issued)
    attacked = insert_before_last_revision(refreshed, BETWEEN[variant])
    assert reader_of(attacked).root is not None  # still well-formed
    assert_refused(verify(issued, attacked))


@pytest.mark.parametrize("variant", BETWEEN)
def test_bytes_between_the_issued_files_own_revisions_are_tampered(issued, variant):
    attacked = insert_before_last_revision(issued.pdf, BETWEEN[variant])
    assert reader_of(attacked).root is not None
    assert_refused(verify(issued, attacked))


# --- the unsigned bytes of a signature: /Contents ------------------------------------------------


def padding_byte_changed(data: bytes, span: SignatureSpan) -> bytes:
    """A '0' of the zero padding after the DER-encoded CMS turned into a '1'."""
    start, end = span.contents
    position = data.rindex(b"00" * 16, start, end) + 16
    return data[:position] + b"1" + data[position + 1 :]


def hex_case_changed(data: bytes, span: SignatureSpan) -> bytes:
    """One hex digit A-F in the CMS written in lower case: the decoded bytes are the same."""
    start, end = span.contents
    match = re.compile(rb"[A-F]").search(data, start, end)
    return data[: match.start()] + match.group().lower() + data[match.end() :]


@pytest.mark.parametrize("mutate", [padding_byte_changed, hex_case_changed], ids=["padding-0-to-1", "hex-case"])
def test_every_byte_of_every_signature_contents_counts(issued, mutate):
    """For each seal and document timestamp in the file."""
    spans = signatures(issued.pdf)
    assert {span.kind for span in spans} == {"seal", "document_timestamp"}
    for span in spans:
        attacked = mutate(issued.pdf, span)
        assert attacked != issued.pdf and len(attacked) == len(issued.pdf)
        report = verify(issued, attacked)
        assert report.verdict is Verdict.TAMPERED, (span.field_name, span.kind, report.verdict, report.reason)
        assert_refused(report)


def test_every_byte_of_a_maintenance_timestamp_contents_counts(issued):
    """The document timestamp a holder's refresh added: nothing signs its /Contents, and the issued
    file is still a prefix of the upload, so only the verifier's own reading can tell."""
    _wait_for_the_next_second(issued.pdf)
    refreshed = archival_refresh(issued)
    span = signatures(refreshed)[-1]
    assert span.kind == "document_timestamp" and span.contents[0] > len(issued.pdf)
    for mutate in (padding_byte_changed, hex_case_changed):
        report = verify(issued, mutate(refreshed, span))
        assert report.verdict is Verdict.TAMPERED, (mutate.__name__, report.verdict, report.reason)
        assert_refused(report)


# --- isolated verification refuses the same ------------------------------------------------------

ISOLATED = {
    "trailing-random-bytes": lambda data: data + TRAILING["random-64-bytes"],
    "isa-redefine-content": isa_redefine_page_content,
    "catalog-reverted": catalog_object_reverted,
    "usf-contents-zeroed": lambda data: _contents_zeroed(data, seals(data)[-1]),
    "usf-byterange-null": lambda data: _byte_range(b"null")(data, seals(data)[-1]),
    "timestamp-padding-0-to-1": lambda data: padding_byte_changed(data, signatures(data)[-1]),
    "timestamp-hex-case": lambda data: hex_case_changed(data, signatures(data)[-1]),
    "signature-wrapping": signature_wrapping,
}
ISOLATED_REASONS = {"trailing-random-bytes": "trailing_bytes", "isa-redefine-content": "modified_after_sealing"}


@pytest.mark.parametrize("kind", ["permit", "contract"])
@pytest.mark.parametrize("variant", ISOLATED)
def test_isolated_verification_refuses_like_inline(request, kind, variant):
    """The isolated worker must answer the same verdict as inline, not `unreadable`/`too_complex`
    for a seal it could not evaluate."""
    issued = request.getfixturevalue("permit") if kind == "permit" else request.getfixturevalue("platform_files")[kind]
    attacked = ISOLATED[variant](issued.pdf)
    isolated = verify(issued, attacked, limits=LIMITS)
    assert_refused(isolated, reason=ISOLATED_REASONS.get(variant))
    inline = verify(issued, attacked)
    assert (isolated.verdict, isolated.reason) == (inline.verdict, inline.reason)
