"""The downloads people open in spreadsheet programs (marketplace/core/csv_export.py)."""

import csv
import io
from decimal import Decimal

import openpyxl

from marketplace.core.csv_export import csv_response, xlsx_response


def test_csv_keeps_numbers_and_quotes_what_would_run_as_a_formula():
    response = csv_response(filename="x", header=["name", "amount"], rows=[["=1+1", "-5"], ["@SUM(A1)", "12.30"]])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["name", "amount"], ["'=1+1", "-5"], ["'@SUM(A1)", "12.30"]]


def test_xlsx_writes_numbers_as_numbers_and_every_text_as_text():
    hostile = ['=HYPERLINK("http://x","y")', "+1", "-2-", "中文", "tab\there", "bell\x07and\x01nul\x00", None]
    response = xlsx_response(
        filename="x", sheets=[("Lines", ["text", "amount"], [[text, Decimal("12.30")] for text in hostile])]
    )
    assert response["Content-Disposition"] == 'attachment; filename="x.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Lines"]
    texts = [row[0] for row in sheet.iter_rows(min_row=2)]
    amounts = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in texts[:6])  # never "f" (a formula)
    assert [cell.value for cell in texts][:5] == hostile[:5]
    assert texts[5].value == "bellandnul"  # control characters XML cannot hold are dropped, not a failure
    assert texts[6].value in ("", None)
    assert all(cell.data_type == "n" and cell.value == 12.3 for cell in amounts)
