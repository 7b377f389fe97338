"""Spreadsheet-safe values for every .xlsx and .csv we write (formula injection).

openpyxl stores a string that starts with "=" as a formula, and Excel/WPS evaluate a CSV field that
starts with = + - @ (or a tab / carriage return). Text typed by users (case titles, unit names,
comments) must reach the organizer's spreadsheet as the same visible text, never as a formula.
Pure: no Flask, no database.
"""
from __future__ import annotations

from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def append_row(ws, values: Iterable[Any]) -> None:
    """Append ``values`` to the openpyxl worksheet ``ws`` with every string stored as text.

    Strings keep their exact visible text: a cell openpyxl took for a formula (text starting with
    "=") is switched back to a string cell (data_type "s"). Numbers stay numbers. An .xlsx string
    cell is never evaluated, so + - @ need nothing here."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def csv_field(value: Any) -> Any:
    """A CSV field that Excel/WPS will not run as a formula: strings starting with = + - @, a tab or a
    carriage return get a leading "'" (OWASP); every other value is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """``csv_field`` applied to each value of a row."""
    return [csv_field(v) for v in values]
