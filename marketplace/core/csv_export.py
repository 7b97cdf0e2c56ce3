"""CSV downloads people open in spreadsheet programs: UTF-8 with a byte-order mark (so Chinese
names read correctly) and text that a spreadsheet would run as a formula quoted as text."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell) -> str:
    """The cell as text; ``None`` is empty, and ``=1+1`` or ``@SUM(...)`` become ``'=1+1`` and
    ``'@SUM(...)`` (a signed number such as ``-5`` stays a number)."""
    if cell is None:
        return ""
    text = str(cell)
    if text.startswith(FORMULA_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(*, filename: str, header: Iterable, rows: Iterable[Iterable]) -> HttpResponse:
    """``filename`` without ``.csv``; ``rows`` may be a generator (written as it is consumed)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([csv_safe(str(heading)) for heading in header])
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return response
