"""The Book protocol: what a job may ask of the workbook it runs on.

Two hosts implement it: `workbook.filehost.FileBook` (a file on disk, headless) and the
Excel host in `macros` (a live workbook through xlwings). A job never touches a cell
address: it reads tables by name and hands back DataFrames.
"""

from __future__ import annotations

import typing

import pandas as pd

from feedesk import problems, settings
from workbook import layout, tables


class BookError(Exception):
    """The workbook cannot be used at all (missing, not a workbook, locked, read-only)."""

    def __init__(self, problem: problems.Problem):
        super().__init__(problem.message)
        self.problem = problem


class Book(typing.Protocol):
    lang: str
    read_problems: list[problems.Problem]  # every problem found while reading tables

    def read(self, table: str) -> pd.DataFrame:
        """The table typed by the layout, indexed by Excel row number."""

    def write(self, table: str, frame: pd.DataFrame) -> None:
        """Replace an output table's rows (takes effect on commit)."""

    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Add rows below an output table's existing rows (takes effect on commit)."""

    def settings(self) -> settings.Settings: ...

    def progress(self, done: int, total: int, text: str) -> None: ...

    def sheet_name(self, table: str) -> str: ...


class TableBook:
    """What both hosts share: typed reads by the layout, buffered writes, the settings.

    A host supplies `_sheet_of(table)` (the sheet holding a table, or None) and
    `_raw(table)` (header, rows of cell values, Excel row of the first data row), and its own
    `commit()`.
    """

    def __init__(self, lang: str, progress=None, params: dict | None = None):
        self.lang = lang
        self.params = dict(params or {})  # what the caller passes a job besides the workbook (a file)
        self.read_problems: list[problems.Problem] = []
        self._progress = progress
        self._pending: dict[str, pd.DataFrame] = {}
        self._settings: settings.Settings | None = None

    def _sheet_of(self, table: str) -> str | None:
        raise NotImplementedError

    def _raw(self, table: str) -> tuple[list, list[list], int]:
        raise NotImplementedError

    def sheet_name(self, table: str) -> str:
        return self._sheet_of(table) or layout.sheet_name(table, self.lang)

    def read(self, table: str) -> pd.DataFrame:
        spec = layout.table(table)
        sheet = self._sheet_of(table)
        if sheet is None:
            self.read_problems.append(problems.make(
                "missing_table", self.lang, sheet=spec.sheet_name(self.lang), table=table))
            return tables.empty_frame(spec)
        header, rows, first_row = self._raw(table)
        result = tables.type_table(spec, header, rows, first_row, self.lang, sheet)
        self.read_problems.extend(result.problems)
        return result.frame

    def write(self, table: str, frame: pd.DataFrame) -> None:
        spec = layout.table(table)
        if spec.role is not layout.Role.OUTPUT and not spec.job_written:
            raise ValueError(f"jobs never write input table {table}")
        self._pending[table] = frame

    def append(self, table: str, frame: pd.DataFrame) -> None:
        existing = self._pending.get(table)
        if existing is None:
            existing = self.read(table)
        self._pending[table] = pd.concat([existing, frame], ignore_index=True) if len(existing) else frame

    def settings(self) -> settings.Settings:
        if self._settings is None:
            frame = self.read("Settings")
            values = {}
            for row, key, value in zip(frame.index, frame["Key"], frame["Value"]):
                if isinstance(key, str) and key:
                    values[key] = (row, None if pd.isna(value) else value)
            self._settings, found = tables.type_settings(values, self.lang, self.sheet_name("Settings"))
            self.read_problems.extend(found)
        return self._settings

    def progress(self, done: int, total: int, text: str) -> None:
        if self._progress:
            self._progress(done, total, text)
