"""The Book protocol: what a job may ask of the workbook it runs on.

Two hosts implement it: `workbook.filehost.FileBook` (a file on disk, headless) and the
Excel host in `macros` (a live workbook through xlwings). A job never touches a cell
address: it reads tables by name and hands back DataFrames.
"""

from __future__ import annotations

import contextlib
import dataclasses
import typing

import numpy as np
import pandas as pd

from feedesk import problems, settings
from workbook import layout, sheetxml, tables


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
        self._continued: dict[str, list[str]] = {}  # sheet of a continued table -> the sheets of its parts
        self._reread_cache: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        self._reads: dict[str, tuple[pd.DataFrame, list[problems.Problem]]] = {}

    def _sheet_of(self, table: str) -> str | None:
        raise NotImplementedError

    def _raw(self, table: str) -> tuple[list, list[list], int]:
        raise NotImplementedError

    def sheet_name(self, table: str) -> str:
        return self._sheet_of(table) or layout.sheet_name(table, self.lang)

    def read(self, table: str) -> pd.DataFrame:
        spec = layout.table(table)
        if table in self._pending:  # written earlier in this run (a month's close): read what was written
            return self._reread(spec, self._pending[table])
        if table in self._reads:  # read before in this run: the same frame (copy-on-write) and problems
            frame, found = self._reads[table]
            self.read_problems.extend(found)
            return frame.copy(deep=False)
        sheet = self._sheet_of(table)
        if sheet is None:
            self.read_problems.append(problems.make(
                "missing_table", self.lang, sheet=spec.sheet_name(self.lang), table=table))
            return tables.empty_frame(spec)
        parts = self.parts(table)
        if len(parts) == 1:
            header, rows, first_row = self._raw(table)
            result = tables.type_table(spec, header, rows, first_row, self.lang, sheet)
        else:
            result = self._read_parts(spec, parts, sheet)
        found = [self.locate(p) for p in result.problems]
        self.read_problems.extend(found)
        self._reads[table] = (result.frame, found)
        return result.frame.copy(deep=False)

    def prefetch(self, tables) -> None:
        """A hint: these tables will be read, in this order (a host may read ahead)."""

    def discard(self) -> None:
        """Drop every pending write (a run that failed saves nothing)."""
        self._pending.clear()
        self._reread_cache.clear()

    def forget_reads(self) -> None:
        """After a save: the next read reads the file again."""
        self._reads.clear()
        self._reread_cache.clear()

    @contextlib.contextmanager
    def stage(self, number: int, total: int, label: str):
        """Progress of one stage of a longer run (a step of the month's close): the stage's own
        progress shows inside the overall count."""
        outer = self._progress

        def inner(done: int, count: int, text: str) -> None:
            if outer:
                outer(number - 1, total, f"{label} · {text} ({done}/{count})" if text else label)

        self._progress = inner
        try:
            inner(0, 0, "")
            yield
        finally:
            self._progress = outer
            if outer:
                outer(number, total, label)

    def parts(self, table: str) -> list[str]:
        """The Excel tables holding `table`: itself, then its continuations (Bills_2 ...)."""
        found, number = [table], 2
        while self._sheet_of(layout.continuation_table(table, number)) is not None:
            found.append(layout.continuation_table(table, number))
            number += 1
        return found

    def _read_parts(self, spec: layout.Table, parts: list[str], sheet: str) -> tables.TableRead:
        """One frame from a table continued over several sheets; rows of part k are numbered
        from (k - 1) * CONTINUED_ROW_STRIDE."""
        found, chunks, numbers = [], [], []
        for number, name in enumerate(parts, start=1):
            header, rows, first_row = self._raw(name)
            positions = tables.header_positions(spec, header)
            missing = [c for c in spec.columns if c.required and c.key not in positions]
            for column in missing:
                found.append(problems.make("missing_column", self.lang, sheet=self._sheet_of(name),
                                           row=first_row - 1, column=column.header(self.lang)))
            chunks.append(tables.cell_columns(header, rows, positions))
            numbers.append(np.arange(first_row, first_row + len(rows)) + (number - 1) * layout.CONTINUED_ROW_STRIDE)
        self._continued[sheet] = [self._sheet_of(n) for n in parts]
        if found:
            return tables.TableRead(tables.empty_frame(spec), tuple(found))
        raw = {}
        for column in spec.columns:
            if any(column.key in chunk for chunk in chunks):
                raw[column.key] = np.concatenate([
                    chunk[column.key] if column.key in chunk else np.full(len(rows), None, dtype=object)
                    for chunk, rows in zip(chunks, numbers)])
        return tables.type_columns(spec, raw, np.concatenate(numbers), self.lang, sheet)

    def _reread(self, spec: layout.Table, frame: pd.DataFrame) -> pd.DataFrame:
        """A table written earlier in this run, typed exactly as reading it back from the saved
        sheet would type it (the same conversions both ways), with the rows it will have there."""
        cached = self._reread_cache.get(spec.key)
        if cached is not None and cached[0] is frame:
            return cached[1].copy(deep=False)  # a job adding a column changes its own copy only
        first_row, capacity = self._first_row(spec.key)
        numbers = [np.arange(first_row, first_row + stop - start) + (part - 1) * layout.CONTINUED_ROW_STRIDE
                   for part, start, stop in layout.continued_rows(len(frame), capacity)]
        raw = {column.key: _as_cells(values) for column, values in tables.to_sheet_columns(spec, frame, self.lang)
               if column.key in frame}
        result = tables.type_columns(spec, raw, np.concatenate(numbers), self.lang, self.sheet_name(spec.key))
        self._reread_cache[spec.key] = (frame, result.frame)
        return result.frame.copy(deep=False)

    def _first_row(self, table: str) -> tuple[int, int]:
        """(sheet row of the first data row, data rows a sheet holds) of a table."""
        header_row = layout.table(table).anchor[0] + 1
        return header_row + 1, sheetxml.EXCEL_ROWS - header_row

    def locate(self, problem: problems.Problem) -> problems.Problem:
        """The Problem naming the sheet its row is on, for rows of a continued table."""
        if problem.row is None or problem.row < layout.CONTINUED_ROW_STRIDE:
            return problem
        part, row = layout.part_of_row(int(problem.row))
        sheets = self._continued.get(problem.sheet, [])
        sheet = sheets[part - 1] if part <= len(sheets) else layout.continuation_sheet(problem.sheet, part)
        return dataclasses.replace(problem, sheet=sheet, row=row)

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


def _as_cells(values: np.ndarray) -> np.ndarray:
    """Values for a sheet as a sheet reader gives them back (dates as datetime, blanks None)."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[s]").astype(object)
    return values.astype(object) if values.dtype != object else values
