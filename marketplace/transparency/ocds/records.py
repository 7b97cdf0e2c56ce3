"""A process's record: its releases and the compiled release, merged by the OCDS merge rules.

The merge is ``ocdsmerge`` (the Open Contracting Partnership's own implementation), with the rules
read from the vendored release schema, so nothing is fetched: objects merge field by field, arrays of
objects with an ``id`` (parties, awards, contracts, items, documents) merge by that id, other arrays
(roles, tags ...) are replaced whole, and ``tag``/``id``/``date`` are the compiled release's own.
"""

from functools import cache

from ocdsmerge import Merger

from . import validation
from .common import Process


@cache
def _merger() -> Merger:
    return Merger(schema=validation.schema(validation.RELEASE))


def compiled_release(releases: list[dict]) -> dict:
    """The current state of a process: ``releases`` (oldest first) merged."""
    return _merger().create_compiled_release(releases)


def record(process: Process) -> dict:
    """The record of ``process``: every release, embedded, oldest first, and the compiled release."""
    return {"ocid": process.ocid, "releases": process.releases, "compiledRelease": compiled_release(process.releases)}
