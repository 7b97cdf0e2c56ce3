"""Comparing PDF objects across revisions without following references (for ``revisions``).

Two objects are the same when their types, values and keys match, with references compared by
number: following them would compare what a later revision put behind the number instead.
"""

from pyhanko.pdf_utils import generic

__all__ = ["changed_keys", "extends", "raw", "ref_key", "refs_in", "same"]


def ref_key(ref) -> str:
    return f"{ref.idnum} {ref.generation}"


def raw(container, key):
    try:
        return container.raw_get(key)
    except KeyError:
        return None


def same(a, b, depth: int = 0) -> bool:
    """Equal as PDF objects, comparing references by number rather than following them."""
    if depth > 64:
        return False
    if isinstance(a, generic.IndirectObject) or isinstance(b, generic.IndirectObject):
        return (
            isinstance(a, generic.IndirectObject)
            and isinstance(b, generic.IndirectObject)
            and (a.idnum, a.generation) == (b.idnum, b.generation)
        )
    if isinstance(a, generic.StreamObject) or isinstance(b, generic.StreamObject):
        if not (isinstance(a, generic.StreamObject) and isinstance(b, generic.StreamObject)):
            return False
        return a.encoded_data == b.encoded_data and _same_dict(a, b, depth)
    if isinstance(a, generic.DictionaryObject) or isinstance(b, generic.DictionaryObject):
        return (
            isinstance(a, generic.DictionaryObject)
            and isinstance(b, generic.DictionaryObject)
            and _same_dict(a, b, depth)
        )
    if isinstance(a, generic.ArrayObject) or isinstance(b, generic.ArrayObject):
        return (
            isinstance(a, generic.ArrayObject)
            and isinstance(b, generic.ArrayObject)
            and len(a) == len(b)
            and all(same(x, y, depth + 1) for x, y in zip(a.iterate(), b.iterate(), strict=True))
        )
    return type(a) is type(b) and a == b


def _same_dict(a, b, depth: int) -> bool:
    keys = {k for k in a if k != "/Length"} | {k for k in b if k != "/Length"}
    return all(same(raw(a, k), raw(b, k), depth + 1) for k in keys)


def changed_keys(old: generic.DictionaryObject, new: generic.DictionaryObject) -> set[str]:
    return {key for key in set(old) | set(new) if not same(raw(old, key), raw(new, key))}


def refs_in(array) -> list | None:
    """The references in an array, or None if any element is not a reference."""
    if not isinstance(array, generic.ArrayObject):
        return None
    refs = list(array.iterate())
    if not all(isinstance(item, generic.IndirectObject) for item in refs):
        return None
    return [item.reference for item in refs]


def extends(old_refs: list | None, new_refs: list | None) -> list | None:
    """The references appended to ``old_refs`` in ``new_refs``; None if it is not an append."""
    if new_refs is None or old_refs is None or len(new_refs) < len(old_refs):
        return None
    head = [(r.idnum, r.generation) for r in new_refs[: len(old_refs)]]
    if head != [(r.idnum, r.generation) for r in old_refs]:
        return None
    return new_refs[len(old_refs) :]
