"""Bulk issuance: one permit per row of a file, in this process or in several worker processes.

Each permit is issued in the three steps of :mod:`.permits`. With workers, this process reads the
rows in order, checks each and reserves its number (step A, short), and hands it to a worker
process, which renders, seals and records it (steps B and C) with its own sealing session: the
CPU-heavy part runs on every core, and numbers still follow the rows' order within a run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError
from django.utils.translation import gettext as _

from marketplace.enterprises.models import Enterprise

from ..engine import GrantRequired, PermitError, SealingError, SealNotUsable
from ..exceptions import PermitAlreadyIssued
from ..models import IssuingAuthority, Permit, Seal
from . import workers as worker_processes
from .document_signers import document_signer_for
from .permits import PermitData, ReservedPermit, permit_reserve, permit_seal_and_record
from .sealing import sealing_session
from .seals import permit_seal_for


@dataclass(frozen=True)
class BulkRowError:
    row: int
    message: str


@dataclass(frozen=True)
class BulkRowAlready:
    row: int
    number: str


@dataclass
class BulkResult:
    issued: list[str] = field(default_factory=list)  # numbers, in the rows' order
    errors: list[BulkRowError] = field(default_factory=list)
    already: list[BulkRowAlready] = field(default_factory=list)
    workers: int = 1  # processes that sealed
    note: str = ""  # why one process sealed although more were asked for
    # Worker processes that stopped before the end, and why; their rows are among ``errors``.
    stopped: list[str] = field(default_factory=list)


CSV_COLUMNS = ("holder_credit_code", "matter", "scope", "conditions", "valid_from", "valid_until")
# Optional: the row's own issuance key (up to 64 characters); without it, a digest of the row's content.
KEY_COLUMN = "key"


def row_issue_key(row: dict) -> str:
    """The row's issuance key: its ``key`` column, else SHA-256 of the permit it describes (normalised),
    so the same file run again gives the same keys."""
    own = (row.get(KEY_COLUMN) or "").strip()
    if own:
        if len(own) > 64:
            raise PermitError(_("The key must be at most 64 characters."))
        return own
    content = "\x1f".join(
        [(row.get("holder_credit_code") or "").strip().upper()]
        + [" ".join((row.get(c) or "").split()) for c in CSV_COLUMNS[1:]]
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def permit_data_from_row(row: dict) -> PermitData:
    missing = [c for c in CSV_COLUMNS if c != "conditions" and not (row.get(c) or "").strip()]
    if missing:
        raise PermitError(_("Missing value(s): %(columns)s") % {"columns": ", ".join(missing)})
    code = row["holder_credit_code"].strip().upper()
    holder = Enterprise.objects.filter(credit_code=code).first()
    if holder is None:
        raise PermitError(_("No enterprise with credit code %(code)s.") % {"code": code})
    try:
        valid_from = dt.date.fromisoformat(row["valid_from"].strip())
        valid_until = dt.date.fromisoformat(row["valid_until"].strip())
    except ValueError:
        raise PermitError(_("Dates must be written as YYYY-MM-DD.")) from None
    return PermitData(
        holder=holder,
        matter=row["matter"],
        scope=row["scope"],
        conditions=row.get("conditions") or "",
        valid_from=valid_from,
        valid_until=valid_until,
        issue_key=row_issue_key(row),
    )


def _refuse_rows_of_one_key(rows: list[dict]) -> None:
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        try:
            key = row_issue_key(row)
        except PermitError:
            continue  # reported with the row
        if key in seen:
            raise PermitError(
                _("Rows %(first)s and %(second)s describe the same permit; give each a distinct “key” column value.")
                % {"first": seen[key], "second": index}
            )
        seen[key] = index


# An outcome: ("issued" | "already", number) or ("error", message).
Outcome = tuple[str, str]


def _row_reserve(*, authority: IssuingAuthority, actor, seal: Seal, row: dict) -> ReservedPermit | Outcome:
    """Step A for a row, or its outcome when it ends here (a bad row, a permit issued before)."""
    try:
        return permit_reserve(authority=authority, actor=actor, data=permit_data_from_row(row), seal=seal)
    except PermitAlreadyIssued as already:
        return ("already", already.number)
    except (GrantRequired, SealNotUsable):
        raise  # nothing else in the batch could succeed either
    except (PermitError, SealingError, IntegrityError) as exc:
        return ("error", str(exc))


def _row_complete(reserved: ReservedPermit, sealer) -> Outcome:
    """Steps B and C for a reserved row (in whichever process seals it)."""
    try:
        return ("issued", permit_seal_and_record(reserved=reserved, sealer=sealer).number)
    except PermitAlreadyIssued as already:
        return ("already", already.number)
    except (PermitError, SealingError, IntegrityError) as exc:
        return ("error", str(exc))


def permits_issue_bulk(
    *,
    authority: IssuingAuthority,
    actor,
    rows: Iterable[dict],
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> BulkResult:
    """Issue one permit per row; a bad row is reported and skipped. ``progress(done)`` after each row.

    Each permit is issued all or nothing (see :mod:`.permits`): a crash mid-batch leaves the permits
    issued so far complete and nothing of those in progress but their reserved numbers. Every row has
    an issuance key (``row_issue_key``), so running the same file again — after a crash, or twice at
    once — issues each row once, under the number reserved for it, and reports the others as already
    issued. A file with two rows of one key is refused whole.

    ``workers`` > 1 seals in that many forked processes (at most one per row); where they cannot share
    the database, or inside a transaction, one process seals and ``BulkResult.note`` says why.
    """
    rows = list(rows)
    _refuse_rows_of_one_key(rows)
    seal = permit_seal_for(authority)
    result = BulkResult()
    wanted = max(1, min(workers, len(rows)))
    if wanted > 1:
        result.note = worker_processes.single_process_reason()
        if not result.note:
            result.workers = wanted
    outcomes: dict[int, Outcome] = {}

    def settle(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if progress:
            progress(len(outcomes))

    if result.workers == 1:
        with sealing_session(seal=seal) as sealer:
            for index, row in enumerate(rows, start=1):
                reserved = _row_reserve(authority=authority, actor=actor, seal=seal, row=row)
                settle(index, reserved if isinstance(reserved, tuple) else _row_complete(reserved, sealer))
    else:
        _issue_in_processes(authority=authority, actor=actor, seal=seal, rows=rows, result=result, settle=settle)
    for index in range(1, len(rows) + 1):
        kind, value = outcomes.get(index) or ("error", _("Not issued: no worker process was left to seal it."))
        if kind == "issued":
            result.issued.append(value)
        elif kind == "already":
            result.already.append(BulkRowAlready(index, value))
        else:
            result.errors.append(BulkRowError(index, value))
    return result


def _issue_in_processes(*, authority, actor, seal, rows, result: BulkResult, settle) -> None:
    def jobs() -> Iterator[tuple[int, ReservedPermit]]:
        for index, row in enumerate(rows, start=1):
            reserved = _row_reserve(authority=authority, actor=actor, seal=seal, row=row)
            if isinstance(reserved, tuple):
                settle(index, reserved)
            else:
                yield index, reserved

    def lost(index: int, reserved: ReservedPermit, reason: str) -> None:
        # The worker may have recorded the permit and stopped before it said so.
        number = (
            Permit.objects.filter(authority=authority, issue_key=reserved.data.issue_key)
            .values_list("number", flat=True)
            .first()
        )
        if number:
            settle(index, ("issued", number))
        else:
            message = _("Not issued (%(reason)s); its number %(number)s stays reserved for it: issue the file again.")
            settle(index, ("error", message % {"reason": reason, "number": reserved.number}))

    # The authority's QR-signing key, made here if it is the first, rather than raced for by the workers.
    document_signer_for(authority=authority)
    result.stopped = worker_processes.run_in_processes(
        workers=result.workers,
        jobs=jobs(),
        session=lambda: sealing_session(seal=seal),
        work=_row_complete,
        on_done=settle,
        on_lost=lost,
    )
