"""Downloads people open in spreadsheet programs. CSV: UTF-8 with a byte-order mark (so Chinese
names read correctly) and text that a spreadsheet would run as a formula quoted as text. XLSX
(openpyxl): numbers stay numbers, and every text cell is stored as text, never as a formula."""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


def xlsx_response(*, filename: str, sheets: Iterable[tuple[str, Iterable, Iterable[Iterable]]]) -> HttpResponse:
    """``filename`` without ``.xlsx``; ``sheets``: (title, header, rows) each. Decimals, ints and floats
    are written as numbers; anything else as text (``=1+1`` stays the text ``=1+1``; control characters
    XML cannot hold are dropped)."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=str(title)[:31])
        sheet.append([_text_cell(sheet, heading) for heading in header])
        for row in rows:
            sheet.append([cell if isinstance(cell, int | float | Decimal) else _text_cell(sheet, cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _text_cell(sheet, value) -> WriteOnlyCell:
    # Control characters XML cannot hold are dropped (openpyxl would refuse the whole file).
    text = "" if value is None else ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = TYPE_STRING  # openpyxl would store "=..." as a formula
    return cell
