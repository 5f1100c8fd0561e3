"""A small recording stand-in for the parts of xlwings' object model the Excel host uses.

It behaves like xlwings for those calls (Book.sheets, Sheet.tables, Table.range /
header_row_range / data_body_range / update, Range.options(ndim=2).value, App.status_bar /
screen_updating / calculation / alert): numbers come back as floats, dates as datetimes,
blank cells as None, and Table.update resizes the table and clears what falls outside it.
Every call that changes the workbook is recorded with the screen-updating state at the time.
"""

from __future__ import annotations

import datetime

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.cell import range_boundaries


class App:
    def __init__(self):
        self._status_bar = False
        self._screen_updating = True
        self.calculation = "automatic"
        self.status_history: list = []
        self.screen_history: list[bool] = []
        self.alerts: list[dict] = []
        self.writes: list[tuple[str, bool]] = []  # (what, screen_updating at the time)

    @property
    def status_bar(self):
        return self._status_bar

    @status_bar.setter
    def status_bar(self, value):
        self._status_bar = value
        self.status_history.append(value)

    @property
    def screen_updating(self):
        return self._screen_updating

    @screen_updating.setter
    def screen_updating(self, value):
        self._screen_updating = value
        self.screen_history.append(value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"


class Range:
    def __init__(self, sheet: "Sheet", row: int, column: int, rows: int, columns: int, ndim: int | None = None):
        self.sheet, self.row, self.column, self.rows_count, self.columns_count = sheet, row, column, rows, columns
        self.ndim = ndim

    def options(self, ndim=None, **ignored):
        return Range(self.sheet, self.row, self.column, self.rows_count, self.columns_count, ndim)

    @property
    def value(self):
        grid = [[self.sheet.cells.get((r, c)) for c in range(self.column, self.column + self.columns_count)]
                for r in range(self.row, self.row + self.rows_count)]
        if self.ndim == 2:
            return grid
        if self.ndim == 1 or self.rows_count == 1 or self.columns_count == 1:  # xlwings' default shape
            flat = [v for row in grid for v in row]
            return flat if self.ndim == 1 or len(flat) > 1 else flat[0]
        return grid

    @value.setter
    def value(self, values):
        if self.rows_count == 1 and values and not isinstance(values[0], list):
            values = [values]
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                self.sheet.set(self.row + r, self.column + c, value)


class Table:
    def __init__(self, sheet: "Sheet", name: str, ref: str):
        self.sheet, self.name = sheet, name
        first_col, first_row, last_col, last_row = range_boundaries(ref)
        self.row, self.column = first_row, first_col
        self.columns = last_col - first_col + 1
        self.rows = last_row - first_row  # data rows

    @property
    def range(self) -> Range:
        return Range(self.sheet, self.row, self.column, self.rows + 1, self.columns)

    @property
    def header_row_range(self) -> Range:
        return Range(self.sheet, self.row, self.column, 1, self.columns)

    @property
    def data_body_range(self) -> Range | None:
        return Range(self.sheet, self.row + 1, self.column, self.rows, self.columns) if self.rows else None

    def update(self, data: pd.DataFrame, index: bool = True) -> "Table":
        if not isinstance(data, pd.DataFrame):
            raise TypeError("Currently, only pandas DataFrames are supported by update")
        assert index is False, "FeeDesk writes tables without the DataFrame index"
        app = self.sheet.book.app
        app.writes.append((self.name, app.screen_updating))
        rows = 1 if data.empty else len(data)
        columns = 1 if data.empty else len(data.columns)
        for r in range(self.row + 1 + rows, self.row + 1 + self.rows):  # rows the table gives up
            for c in range(self.column, self.column + self.columns):
                self.sheet.cells.pop((r, c), None)
        for c in range(self.column + columns, self.column + self.columns):  # columns it gives up
            for r in range(self.row, self.row + 1 + self.rows):
                self.sheet.cells.pop((r, c), None)
        self.rows, self.columns = rows, columns
        self.header_row_range.value = [str(h) for h in data.columns]
        for r, record in enumerate(data.itertuples(index=False)):
            for c, value in enumerate(record):
                self.sheet.set(self.row + 1 + r, self.column + c, _as_written(value))
        return self


def _as_written(value):
    """What a cell holds after xlwings writes `value` (NaN and NaT become empty)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer, np.floating)):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


class Tables:
    def __init__(self, tables: list[Table]):
        self._tables = tables

    def __iter__(self):
        return iter(self._tables)

    def __getitem__(self, name: str) -> Table:
        return next(t for t in self._tables if t.name == name)


class Sheet:
    def __init__(self, book: "Book", name: str):
        self.book, self.name = book, name
        self.cells: dict[tuple[int, int], object] = {}
        self.as_text: set[tuple[int, int]] = set()  # cells written with Excel's text prefix (')
        self._tables: list[Table] = []

    @property
    def tables(self) -> Tables:
        return Tables(self._tables)

    def set(self, row: int, column: int, value) -> None:
        if isinstance(value, str) and value.startswith("'"):
            value = value[1:]  # Excel keeps the apostrophe as a prefix, not in the value
            self.as_text.add((row, column))
        if value is None:
            self.cells.pop((row, column), None)
        else:
            self.cells[(row, column)] = value


class Book:
    def __init__(self, fullname: str = ""):
        self.app = App()
        self.fullname = fullname
        self.sheets: list[Sheet] = []

    @classmethod
    def from_file(cls, path) -> "Book":
        """A stand-in holding what Excel would show for the workbook at `path`."""
        book = cls(str(path))
        workbook = openpyxl.load_workbook(path, data_only=True)
        for worksheet in workbook.worksheets:
            sheet = Sheet(book, worksheet.title)
            for row in worksheet.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        sheet.cells[(cell.row, cell.column)] = _as_excel(cell.value)
            sheet._tables = [Table(sheet, name, ref) for name, ref in worksheet.tables.items()]
            book.sheets.append(sheet)
        return book

    def table_values(self, name: str) -> list[list]:
        for sheet in self.sheets:
            for table in sheet.tables:
                if table.name == name:
                    return table.range.value
        raise KeyError(name)


def _as_excel(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, datetime.time())
    return value
