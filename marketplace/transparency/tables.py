"""The statistics snapshot as tables of display strings: one definition for the page and the CSV.

A cell is the string the page prints; ``None`` (no data in that period) prints as "—" on the
page and as an empty field in the CSV. Names come from the snapshot in both languages and are
picked for the active one here, so the snapshot itself is language-neutral.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from marketplace.core.i18n import localized
from marketplace.core.regions import region_name

from .selectors import TOP_PROVIDERS

MISSING = "—"
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).


@dataclass
class Table:
    slug: str
    title: str
    columns: list
    rows: list = field(default_factory=list)  # lists of str | None
    links: dict = field(default_factory=dict)  # row index -> URL for the first cell (staff pages)

    @property
    def dom_id(self) -> str:
        return f"table-{self.slug}"

    def display_rows(self) -> list[dict]:
        return [
            {"link": self.links.get(index), "cells": [MISSING if cell is None else cell for cell in row]}
            for index, row in enumerate(self.rows)
        ]


class _Names:
    def __init__(self, data: dict):
        self.categories = {item["id"]: _Named(item) for item in data["categories"]}
        self.providers = {int(pk): _Named(names) for pk, names in data["providers"].items()}

    def category(self, pk) -> str:
        named = self.categories.get(pk)
        return localized(named, "name") if named else str(pk)

    def provider(self, pk) -> str:
        named = self.providers.get(int(pk))
        return localized(named, "name") if named else str(pk)


class _Named:
    def __init__(self, values: dict):
        self.name = values["name"]
        self.name_zh = values.get("name_zh", "")


def _int(value) -> str:
    return str(value)


ACTIVITY_COLUMNS = (
    ("requests", _("Requests published"), _int),
    ("orders", _("Orders completed"), _int),
    ("value", _("Completed value (CNY)"), None),
    ("median_award_days", _("Median days from request to award"), None),
    ("delivered", _("Orders delivered"), _int),
    ("on_time_rate", _("Delivered on time (%)"), None),
    ("ratings", _("Ratings"), _int),
    ("satisfaction_rate", _("Satisfied: rated 4 or more (%)"), None),
)
SATISFACTION_COLUMNS = (
    ("ratings", _("Ratings"), _int),
    ("satisfaction_rate", _("Satisfied: rated 4 or more (%)"), None),
    ("mean_quality", _("Quality (mean)"), None),
    ("mean_timeliness", _("Timeliness (mean)"), None),
    ("mean_communication", _("Communication (mean)"), None),
    ("mean_price_fairness", _("Price fairness (mean)"), None),
)
PRICE_COLUMNS = (
    ("orders", _("Orders completed"), _int),
    ("q1", _("Lower quartile (CNY)"), None),
    ("median", _("Median (CNY)"), None),
    ("q3", _("Upper quartile (CNY)"), None),
)
DRILLDOWN_COLUMNS = (
    ("orders", _("Orders completed"), _int),
    ("value", _("Completed value (CNY)"), None),
    ("share", _("Share of value (%)"), None),
    ("delivered", _("Orders delivered"), _int),
    ("on_time_rate", _("Delivered on time (%)"), None),
    ("ratings", _("Ratings"), _int),
    ("satisfaction_rate", _("Satisfied: rated 4 or more (%)"), None),
)


def _cells(row: dict, columns) -> list:
    return [(convert or (lambda v: v))(row[key]) if row[key] is not None else None for key, _l, convert in columns]


def _table(slug, title, first_label, first_cells, rows, columns) -> Table:
    return Table(
        slug=slug,
        title=title,
        columns=[first_label, *(label for _k, label, _c in columns)],
        rows=[[first, *_cells(row, columns)] for first, row in zip(first_cells, rows, strict=True)],
    )


def _top_providers(shares, names: _Names, limit: int = TOP_PROVIDERS) -> str | None:
    if not shares:
        return None
    return "; ".join(f"{names.provider(pk)} ({share}%)" for pk, share in shares[:limit])


def _concentration_table(slug, title, first_label, first_cells, rows, names) -> Table:
    table = Table(
        slug=slug,
        title=title,
        columns=[
            first_label,
            _("Completed value (CNY)"),
            _("Providers"),
            _("HHI (0–10,000)"),
            _("Concentrated (HHI > 2,500)"),
            _("Top providers (share of value)"),
        ],
    )
    for first, row in zip(first_cells, rows, strict=True):
        table.rows.append(
            [
                first,
                row["total"],
                str(row["providers"]),
                row["hhi"],
                (_("Concentrated") if row["concentrated"] else _("No")) if row["hhi"] is not None else None,
                _top_providers(row["shares"], names),
            ]
        )
    return table


def public_tables(data: dict) -> dict[str, Table]:
    """Every table of the public page, by slug (the CSV file name)."""
    names = _Names(data)
    months = [row["month"] for row in data["monthly"]]
    items = [names.category(row["category"]) for row in data["by_category"]]
    regions = [region_name(row["region"]) for row in data["by_region"]]
    tables = [
        _table("monthly", _("Activity by month"), _("Month"), months, data["monthly"], ACTIVITY_COLUMNS),
        _table("satisfaction", _("Satisfaction by month"), _("Month"), months, data["monthly"], SATISFACTION_COLUMNS),
        _table("categories", _("By service item"), _("Service item"), items, data["by_category"], ACTIVITY_COLUMNS),
        _table("regions", _("By region (province)"), _("Region"), regions, data["by_region"], ACTIVITY_COLUMNS),
        _table(
            "prices",
            _("Prices of completed orders by service item"),
            _("Service item"),
            [names.category(row["category"]) for row in data["prices"]],
            data["prices"],
            PRICE_COLUMNS,
        ),
        _concentration_table(
            "concentration_categories",
            _("Market concentration by service item"),
            _("Service item"),
            [names.category(row["category"]) for row in data["concentration_category"]],
            data["concentration_category"],
            names,
        ),
        _concentration_table(
            "concentration_regions",
            _("Market concentration by region"),
            _("Region"),
            [region_name(row["region"]) for row in data["concentration_region"]],
            data["concentration_region"],
            names,
        ),
    ]
    return {table.slug: table for table in tables}


def drilldown_table(data: dict, *, dimension: str, key: str, provider_url) -> Table | None:
    """The providers of one service item (``dimension="category"``, key = its id) or one province."""
    names = _Names(data)
    rows = data["drilldown"].get(dimension, {}).get(str(key))
    if rows is None:
        return None
    label = names.category(int(key)) if dimension == "category" else region_name(key)
    table = _table(
        f"providers-{dimension}-{key}",
        _("Providers in %(market)s") % {"market": label},
        _("Provider"),
        [names.provider(row["provider"]) for row in rows],
        rows,
        DRILLDOWN_COLUMNS,
    )
    table.links = {index: provider_url(row["provider"]) for index, row in enumerate(rows)}
    return table
