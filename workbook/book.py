"""The Book protocol: what a job may ask of the workbook it runs on.

Two hosts implement it: `workbook.filehost.FileBook` (a file on disk, headless) and the
Excel host in `macros` (a live workbook through xlwings). A job never touches a cell
address: it reads tables by name and hands back DataFrames.
"""

from __future__ import annotations

import typing

import pandas as pd

from feedesk import problems, settings


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
