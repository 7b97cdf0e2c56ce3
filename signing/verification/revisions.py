"""A sealed PDF's revisions, accounted for byte by byte and object by object.

A sealed PDF grows by incremental updates: each appends objects, a cross-reference section, a
trailer, ``startxref`` and ``%%EOF``. pyHanko's difference analysis grades an update's effect on
the document, and its default policy calls metadata, XMP, unreferenced objects and some catalog
entries harmless "LTA updates". The verifier needs a stricter question answered: after the file
the registry issued, is there anything but **signature maintenance**, down to the last byte?

Maintenance is what this module can name:

* the DSS (``/Certs``, ``/OCSPs``, ``/CRLs`` streams that parse as exactly one certificate, OCSP
  response or CRL each, and ``/VRI`` entries pointing at them) and the catalog entries ``/DSS``
  and ``/Extensions`` that carry it;
* document timestamps: an invisible ``/Sig`` field whose value is an ``/ETSI.RFC3161``
  ``/DocTimeStamp`` dictionary, appended to ``/AcroForm /Fields`` and its page's ``/Annots``;
* an object written again unchanged, and a new ``/ModDate`` in the document information
  dictionary (every pyHanko save writes one; no other key of it may change).

Anything else is a :class:`Change` that says where: bytes after the last ``%%EOF``, bytes in a
revision that belong to no object, a freed or unreferenced object, the document information,
XMP metadata, a catalog key such as ``/Version``, a trailer entry, a page, a form field, a seal.
The rule is one function over the revisions (:func:`issued_boundary`), the same for every kind
of sealed document.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from asn1crypto import cms as asn1_cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.pdf_utils.xref import XRefSectionType, read_object_header

from .pdfobjects import changed_keys, extends, raw, ref_key, refs_in, same

__all__ = ["Boundary", "Change", "Layout", "RevisionAccounts", "StructureError", "issued_boundary", "revision_layout"]

# Between two objects of a maintenance revision a writer puts an end of line, not more.
_SEPARATOR = re.compile(rb"[ \r\n]{0,4}")
_EOF_TAIL = re.compile(rb"[ \r\n]*startxref[ \r\n]+(\d+)[ \r\n]+%%EOF(\r\n|\r|\n)?")
_PDF_DATE = re.compile(r"D:\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2})?)?)?)?)?([Zz+\-](\d{2}'?(\d{2}'?)?)?)?")
_VRI_KEY = re.compile(r"/[0-9A-F]{40}")

_TRAILER_KEYS = {"/Size", "/Prev", "/Root", "/Info", "/ID"}
_XREF_STREAM_KEYS = {"/Type", "/W", "/Index", "/Filter", "/DecodeParms", "/Length"}
_CATALOG_MAINTENANCE_KEYS = {"/DSS", "/Extensions", "/AcroForm"}
_DSS_KEYS = {"/Type", "/Certs", "/OCSPs", "/CRLs", "/VRI"}
_VRI_ENTRY_KEYS = {"/Type", "/Cert", "/CRL", "/OCSP", "/TU", "/TS"}
_DATA_STREAM_KEYS = {"/Length", "/Filter", "/DecodeParms"}
_TIMESTAMP_FIELD_KEYS = {"/FT", "/T", "/TU", "/TM", "/Ff", "/Type", "/Subtype", "/F", "/Rect", "/P", "/V"}
_TIMESTAMP_SIG_KEYS = {"/Type", "/Filter", "/SubFilter", "/Contents", "/ByteRange", "/M", "/Prop_Build", "/Name"}
# What each DSS array holds, and how to parse one element of it strictly.
_DSS_ARRAYS = {
    "/Certs": asn1_x509.Certificate,
    "/OCSPs": asn1_ocsp.OCSPResponse,
    "/CRLs": asn1_crl.CertificateList,
}
_VRI_ARRAYS = {"/Cert": asn1_x509.Certificate, "/OCSP": asn1_ocsp.OCSPResponse, "/CRL": asn1_crl.CertificateList}
_MAX_WALK = 50_000  # objects visited when looking for references: bounded, a crafted file may be huge


@dataclass(frozen=True)
class Change:
    """Something in the file that is not signature maintenance, and where it is.

    ``code`` is stable (the API returns it): ``trailing_bytes``, ``unaccounted_bytes``,
    ``structure``, ``freed``, ``object_stream``, ``trailer``, ``catalog``, ``info``,
    ``metadata``, ``dss``, ``form``, ``page``, ``unreferenced``, ``other``, ``seal_added``.
    ``revision`` counts from 0 (the original document); ``objects`` are "number generation".
    """

    code: str
    revision: int | None = None
    objects: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    size: int = 0


class StructureError(Exception):
    """The file's revisions cannot be laid out; carries the change that says why."""

    def __init__(self, change: Change):
        super().__init__(change.code)
        self.change = change


@dataclass(frozen=True)
class Boundary:
    """The end of the revision at which the file is the one the registry issued."""

    revision: int
    end: int
    sha256: str
    # The first thing after this boundary that is not signature maintenance; None: nothing.
    change_after: Change | None


@dataclass(frozen=True)
class Layout:
    ends: tuple[int, ...]
    trailers: tuple[generic.DictionaryObject, ...]

    def first_revision_after(self, offset: int) -> int:
        """The first revision that starts at or after ``offset`` (one past the last if none)."""
        starts = (0, *self.ends[:-1])
        return next((revision for revision, start in enumerate(starts) if start >= offset), len(self.ends))


def _skip(pattern: re.Pattern, data: bytes, position: int) -> int:
    return pattern.match(data, position).end()


def _layout(reader: PdfFileReader, data: bytes) -> Layout:
    """Where each revision ends (just after its ``%%EOF`` and one end of line), and its trailer.

    Raises StructureError for bytes after the last revision or a revision whose end is not
    ``startxref`` + its own xref offset + ``%%EOF``.
    """
    xrefs = reader.xrefs
    ends: list[int] = []
    trailers: list[generic.DictionaryObject] = []
    for revision in range(xrefs.total_revisions):
        meta = xrefs.get_xref_container_info(revision)
        stream = io.BytesIO(data)
        if meta.xref_section_type is XRefSectionType.STREAM:
            stream.seek(meta.declared_startxref)
            read_object_header(stream, strict=True)
            trailer = generic.read_object(stream, generic.TrailerReference(reader))
            generic.read_non_whitespace(stream, seek_back=True)
            if stream.read(6) != b"endobj":
                raise StructureError(Change("structure", revision=revision))
        else:
            stream.seek(meta.end_location)
            trailer = generic.read_object(stream, generic.TrailerReference(reader))
        if not isinstance(trailer, generic.DictionaryObject):
            raise StructureError(Change("structure", revision=revision))
        tail = _EOF_TAIL.match(data, stream.tell())
        if tail is None or int(tail.group(1)) != meta.declared_startxref:
            raise StructureError(Change("unaccounted_bytes", revision=revision))
        end = tail.end()
        if ends and (end <= ends[-1] or meta.declared_startxref < ends[-1]):
            raise StructureError(Change("structure", revision=revision))
        ends.append(end)
        trailers.append(trailer)
    if ends[-1] != len(data):
        raise StructureError(Change("trailing_bytes", size=len(data) - ends[-1]))
    return Layout(ends=tuple(ends), trailers=tuple(trailers))


# --- one revision ------------------------------------------------------------------------------


class _Accountant:
    """Names every object a revision writes, or says the first one it cannot name."""

    def __init__(self, reader: PdfFileReader, layout: Layout, revision: int):
        self.reader = reader
        self.revision = revision
        self.old: HistoricalResolver = reader.get_historical_resolver(revision - 1)
        self.new: HistoricalResolver = reader.get_historical_resolver(revision)
        self.old_trailer = layout.trailers[revision - 1]
        self.trailer = layout.trailers[revision]
        self.written = {(ref.idnum, ref.generation): ref for ref in reader.xrefs.explicit_refs_in_revision(revision)}
        self.named: set[tuple[int, int]] = set()

    def change(self, code: str, refs=(), keys=()) -> Change:
        objects = tuple(sorted(ref_key(ref) for ref in refs))
        return Change(code, revision=self.revision, objects=objects, keys=tuple(sorted(keys)))

    def name(self, raw) -> None:
        if isinstance(raw, generic.IndirectObject):
            self.named.add((raw.idnum, raw.generation))

    def written_refs(self, raw) -> list:
        """``raw``'s reference if this revision writes it: the objects a change names."""
        return [raw.reference] if self.is_written(raw) else []

    def is_written(self, raw) -> bool:
        return isinstance(raw, generic.IndirectObject) and (raw.idnum, raw.generation) in self.written

    def existed(self, ref) -> bool:
        return self.reader.xrefs.get_historical_ref(ref, self.revision - 1) is not None

    def resolve(self, raw, resolver=None):
        resolver = resolver or self.new
        return resolver(raw.reference) if isinstance(raw, generic.IndirectObject) else raw

    # Each check returns a Change, or None when what it looked at is maintenance.

    def trailer_change(self) -> Change | None:
        allowed = _TRAILER_KEYS | (_XREF_STREAM_KEYS if isinstance(self.trailer, generic.StreamObject) else set())
        extra = set(self.trailer) - allowed
        if extra:
            return self.change("trailer", keys=extra)
        moved = {key for key in ("/Root", "/Info") if not same(raw(self.trailer, key), raw(self.old_trailer, key))}
        old_id, new_id = raw(self.old_trailer, "/ID"), raw(self.trailer, "/ID")
        if old_id is not None and (
            not isinstance(new_id, generic.ArrayObject) or not new_id or not same(new_id[0], old_id[0])
        ):
            moved.add("/ID")
        return self.change("trailer", keys=moved) if moved else None

    def catalog_change(self) -> Change | None:
        root_raw = raw(self.trailer, "/Root")
        self.name(root_raw)
        if not self.is_written(root_raw):
            return None
        changed = changed_keys(self.old.root, self.new.root) - _CATALOG_MAINTENANCE_KEYS
        if not changed:
            return None
        return self.change("metadata" if "/Metadata" in changed else "catalog", [root_raw.reference], changed)

    def info_change(self) -> Change | None:
        info_raw = raw(self.trailer, "/Info")
        if not self.is_written(info_raw):
            return None
        self.name(info_raw)
        old, new = self.old(info_raw.reference), self.new(info_raw.reference)
        if not (isinstance(old, generic.DictionaryObject) and isinstance(new, generic.DictionaryObject)):
            return self.change("info", [info_raw.reference])
        changed = changed_keys(old, new)
        mod_date = new.get("/ModDate") if "/ModDate" in changed and "/ModDate" in old else None
        if isinstance(mod_date, generic.TextStringObject) and _PDF_DATE.fullmatch(str(mod_date)):
            changed.discard("/ModDate")
        return self.change("info", [info_raw.reference], changed) if changed else None

    def dss_change(self) -> Change | None:
        dss_raw = raw(self.new.root, "/DSS")
        if dss_raw is None:
            return None
        self.name(dss_raw)
        dss = self.resolve(dss_raw)
        if not isinstance(dss, generic.DictionaryObject) or set(dss) - _DSS_KEYS:
            return self.change("dss", self.written_refs(dss_raw))
        for key, spec in _DSS_ARRAYS.items():
            problem = self._data_array(raw(dss, key), spec)
            if problem:
                return problem
        vri_raw = raw(dss, "/VRI")
        if vri_raw is None:
            return None
        self.name(vri_raw)
        vri = self.resolve(vri_raw)
        if not isinstance(vri, generic.DictionaryObject) or not all(_VRI_KEY.fullmatch(k) for k in vri):
            return self.change("dss", self.written_refs(vri_raw))
        for key in vri:
            entry_raw = raw(vri, key)
            self.name(entry_raw)
            entry = self.resolve(entry_raw)
            if not isinstance(entry, generic.DictionaryObject) or set(entry) - _VRI_ENTRY_KEYS:
                return self.change("dss", self.written_refs(entry_raw))
            for array_key, spec in _VRI_ARRAYS.items():
                problem = self._data_array(raw(entry, array_key), spec)
                if problem:
                    return problem
            ts_raw = raw(entry, "/TS")
            if ts_raw is not None:
                problem = self._data_stream(ts_raw, asn1_cms.ContentInfo)
                if problem:
                    return problem
        return None

    def _data_array(self, array_raw, spec) -> Change | None:
        if array_raw is None:
            return None
        self.name(array_raw)
        refs = refs_in(self.resolve(array_raw))
        if refs is None:
            return self.change("dss", self.written_refs(array_raw))
        for ref in refs:
            problem = self._data_stream(generic.IndirectObject(ref.idnum, ref.generation, self.new), spec)
            if problem:
                return problem
        return None

    def _data_stream(self, raw, spec) -> Change | None:
        """A DSS stream holds exactly one DER object of its kind; only new ones need parsing."""
        if not isinstance(raw, generic.IndirectObject):
            return self.change("dss")
        self.name(raw)
        if not self.is_written(raw):
            return None
        stream = self.new(raw.reference)
        if not isinstance(stream, generic.StreamObject) or set(stream) - _DATA_STREAM_KEYS:
            return self.change("dss", [raw.reference])
        try:
            parsed = spec.load(stream.data, strict=True)
            parsed.native  # noqa: B018 - parse every field, not only the outer envelope
        except (ValueError, TypeError, KeyError, OverflowError):
            return self.change("dss", [raw.reference])
        return None

    def form_change(self) -> Change | None:
        """New fields must be document timestamps; the AcroForm may only gain them."""
        old_form_raw, new_form_raw = raw(self.old.root, "/AcroForm"), raw(self.new.root, "/AcroForm")
        if new_form_raw is None:
            return None if old_form_raw is None else self.change("catalog", keys=["/AcroForm"])
        self.name(new_form_raw)
        new_form = self.resolve(new_form_raw)
        old_form = self.resolve(old_form_raw, self.old) if old_form_raw is not None else generic.DictionaryObject()
        if not isinstance(new_form, generic.DictionaryObject) or not isinstance(old_form, generic.DictionaryObject):
            return self.change("form")
        changed = changed_keys(old_form, new_form) - {"/Fields", "/SigFlags"}
        if changed:
            return self.change("form", self.written_refs(new_form_raw), changed)
        old_fields_raw, new_fields_raw = raw(old_form, "/Fields"), raw(new_form, "/Fields")
        self.name(new_fields_raw)
        old_fields = refs_in(self.resolve(old_fields_raw, self.old)) if old_fields_raw is not None else []
        added = extends(old_fields, refs_in(self.resolve(new_fields_raw)) if new_fields_raw is not None else [])
        if added is None:
            return self.change("form", keys=["/Fields"])
        for field_ref in added:
            problem = self._timestamp_field(field_ref)
            if problem:
                return problem
        return None

    def _timestamp_field(self, ref) -> Change | None:
        field = self.new(ref)
        if (
            self.existed(ref)
            or not isinstance(field, generic.DictionaryObject)
            or set(field) - _TIMESTAMP_FIELD_KEYS
            or field.get("/FT") != "/Sig"
            or field.get("/Subtype", "/Widget") != "/Widget"
        ):
            return self.change("form", [ref])
        rect = field.get("/Rect")
        if rect is not None and (len(rect) != 4 or rect[0] != rect[2] and rect[1] != rect[3]):
            return self.change("form", [ref], ["/Rect"])  # a timestamp has no visible widget
        value_raw = raw(field, "/V")
        value = self.resolve(value_raw) if value_raw is not None else None
        if (
            not isinstance(value_raw, generic.IndirectObject)
            or self.existed(value_raw.reference)
            or not isinstance(value, generic.DictionaryObject)
            or set(value) - _TIMESTAMP_SIG_KEYS
            or value.get("/Type") != "/DocTimeStamp"
            or value.get("/SubFilter") != "/ETSI.RFC3161"
        ):
            return self.change("seal_added" if value_raw is not None else "form", [ref])
        self.named.update({(ref.idnum, ref.generation), (value_raw.idnum, value_raw.generation)})
        return None

    def page_changes(self) -> Change | None:
        """A page may only gain the widgets of the timestamp fields named above."""
        for key, ref in self.written.items():
            if key in self.named or not self.existed(ref):
                continue
            old, new = self.old(ref), self.new(ref)
            if not (isinstance(old, generic.DictionaryObject) and old.get("/Type") == "/Page"):
                continue
            if not isinstance(new, generic.DictionaryObject):
                return self.change("page", [ref])
            changed = changed_keys(old, new)
            if changed - {"/Annots"}:
                return self.change("page", [ref], changed - {"/Annots"})
            old_annots_raw, new_annots_raw = raw(old, "/Annots"), raw(new, "/Annots")
            self.name(new_annots_raw)
            old_annots = refs_in(self.resolve(old_annots_raw, self.old)) if old_annots_raw is not None else []
            added = extends(old_annots, refs_in(self.resolve(new_annots_raw)) if new_annots_raw is not None else [])
            if added is None or any((r.idnum, r.generation) not in self.named for r in added):
                return self.change("page", [ref], ["/Annots"])
            self.named.add(key)
        return None

    def unnamed_change(self) -> Change | None:
        """Whatever is left: an unchanged copy is harmless; anything else is named as best we can."""
        left = []
        for key, ref in sorted(self.written.items()):
            if key in self.named:
                continue
            if self.existed(ref) and same(self.old(ref), self.new(ref)):
                continue
            left.append(ref)
        if not left:
            return None
        metadata = raw(self.new.root, "/Metadata")
        if isinstance(metadata, generic.IndirectObject) and any(
            (r.idnum, r.generation) == (metadata.idnum, metadata.generation) for r in left
        ):
            return self.change("metadata", [metadata.reference])
        reachable = self._reachable()
        unreferenced = [r for r in left if (r.idnum, r.generation) not in reachable]
        if unreferenced:
            return self.change("unreferenced", unreferenced)
        return self.change("other", left)

    def _reachable(self) -> set[tuple[int, int]]:
        seen: set[tuple[int, int]] = set()
        pending = [raw(self.trailer, "/Root"), raw(self.trailer, "/Info")]
        while pending and len(seen) < _MAX_WALK:
            item = pending.pop()
            if isinstance(item, generic.IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                try:
                    item = self.new(item.reference)
                except (PdfError, KeyError, TypeError, ValueError):  # noqa: S112
                    continue  # a dangling or broken reference only ends this branch of the walk
            if isinstance(item, generic.DictionaryObject):
                pending.extend(raw(item, k) for k in item)
            elif isinstance(item, generic.ArrayObject):
                pending.extend(item.iterate())
        return seen

    def first_change(self) -> Change | None:
        xref_data = self.reader.xrefs.get_xref_data(self.revision)
        if xref_data.hybrid is not None:
            return self.change("structure")
        if xref_data.xrefs_in_objstm or xref_data.obj_streams_used:
            refs = [generic.Reference(idnum, 0) for idnum in xref_data.xrefs_in_objstm]
            return self.change("object_stream", refs)
        freed = self.reader.xrefs.refs_freed_in_revision(self.revision)
        if freed:
            return self.change("freed", freed)
        for check in (
            self.trailer_change,
            self.catalog_change,
            self.info_change,
            self.dss_change,
            self.form_change,
            self.page_changes,
            self.unnamed_change,
        ):
            found = check()
            if found:
                return found
        return None


def _bytes_change(reader: PdfFileReader, data: bytes, layout: Layout, revision: int) -> Change | None:
    """Every byte of the revision is an object its xref lists, the xref, the trailer or a line end."""
    start, end = layout.ends[revision - 1], layout.ends[revision]
    meta = reader.xrefs.get_xref_container_info(revision)
    if meta.xref_section_type is XRefSectionType.STANDARD and data[meta.declared_startxref :][:4] != b"xref":
        return Change("structure", revision=revision)
    xref_data = reader.xrefs.get_xref_data(revision)
    offsets = sorted((offset, idnum, gen) for idnum, (gen, offset) in xref_data.standard_xrefs.items())
    stream = io.BytesIO(data)
    position = start
    for offset, idnum, gen in offsets:
        if offset == meta.declared_startxref and meta.xref_section_type is XRefSectionType.STREAM:
            continue  # the xref stream itself, laid out with the trailer
        if not start <= offset < meta.declared_startxref or _skip(_SEPARATOR, data, position) != offset:
            return Change("unaccounted_bytes", revision=revision, objects=(f"{idnum} {gen}",))
        stream.seek(offset)
        if read_object_header(stream, strict=True) != (idnum, gen):
            return Change("structure", revision=revision, objects=(f"{idnum} {gen}",))
        generic.read_object(stream, generic.Reference(idnum, gen, reader))
        generic.read_non_whitespace(stream, seek_back=True)
        if stream.read(6) != b"endobj":
            return Change("unaccounted_bytes", revision=revision, objects=(f"{idnum} {gen}",))
        position = stream.tell()
    if _skip(_SEPARATOR, data, position) != meta.declared_startxref:
        return Change("unaccounted_bytes", revision=revision)
    if meta.declared_startxref >= end:
        return Change("structure", revision=revision)
    return None


class RevisionAccounts:
    """Each revision's first change that is not signature maintenance, worked out once."""

    def __init__(self, reader: PdfFileReader, data: bytes, layout: Layout):
        self.reader, self.data, self.layout = reader, data, layout
        self._changes: dict[int, Change | None] = {}

    def change_in(self, revision: int) -> Change | None:
        if revision not in self._changes:
            self._changes[revision] = (
                _bytes_change(self.reader, self.data, self.layout, revision)
                or _Accountant(self.reader, self.layout, revision).first_change()
            )
        return self._changes[revision]

    def first_change_from(self, revision: int) -> Change | None:
        """The first change in this revision or any later one."""
        for later in range(max(revision, 1), len(self.layout.ends)):
            change = self.change_in(later)
            if change is not None:
                return change
        return None


def revision_layout(reader: PdfFileReader, data: bytes) -> Layout:
    """Where each revision ends. Raises StructureError when the revisions cannot be laid out,
    for instance for bytes after the last ``%%EOF``."""
    return _layout(reader, data)


def issued_boundary(
    accounts: RevisionAccounts,
    *,
    issued_sha256: str,
    first_seal_revision: int,
    last_seal_revision: int,
) -> Boundary | None:
    """The revision end at which the file is the issued one (its SHA-256 is ``issued_sha256``),
    with the first change after it that is not signature maintenance; None if no revision ends
    there.

    Only the revisions after the issued file are accounted for: the issued bytes themselves are
    pinned by the registry's digest. A boundary before the last seal is followed by that seal,
    which is never maintenance.
    """
    data, layout = accounts.data, accounts.layout
    digest = hashlib.sha256()
    position = 0
    for revision, end in enumerate(layout.ends):
        digest.update(data[position:end])
        position = end
        if revision < first_seal_revision or digest.hexdigest() != issued_sha256:
            continue
        if revision < last_seal_revision:
            change = Change("seal_added", revision=last_seal_revision)
        else:
            change = accounts.first_change_from(revision + 1)
        return Boundary(revision=revision, end=end, sha256=issued_sha256, change_after=change)
    return None
