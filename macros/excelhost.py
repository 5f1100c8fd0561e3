"""The Excel host: the Book protocol over a live workbook, through classic xlwings.

A button's VBA Sub calls RunPython "import macros; macros.<job>()"; that entry point hands
`xw.Book.caller()` to `run_in_excel`, which runs the same job code as the command line. The
officer sees progress in the status bar, a short summary in a message box, and problems in
the Problems sheet; never a Python traceback.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd

from feedesk import problems
from macros import runner
from workbook import book, layout, registry, tables
from workbook.book import BookError

# Text starting with these would become a formula when assigned to a cell's Value.
FORMULA_STARTS = ("=", "+", "-", "@")


class ExcelBook(book.TableBook):
    """A workbook open in Excel (an xlwings Book)."""

    def __init__(self, xl_book, lang: str | None = None):
        self.xl_book = xl_book
        self.app = xl_book.app
        self._tables = {}
        for sheet in xl_book.sheets:
            for table in sheet.tables:
                self._tables[table.name.lower()] = (sheet.name, table)
        control = {s.name for s in xl_book.sheets}
        super().__init__(lang or ("en" if layout.CONTROL_SHEET["en"] in control else "zh"), self._status)

    def _sheet_of(self, table: str) -> str | None:
        found = self._tables.get(table.lower())
        return found[0] if found else None

    def _raw(self, table: str):
        _, xl_table = self._tables[table.lower()]
        values = xl_table.range.options(ndim=2).value
        return values[0], values[1:], xl_table.range.row + 1

    def _status(self, done: int, total: int, text: str) -> None:
        share = f" {done}/{total}" if total else ""
        self.app.status_bar = f"FeeDesk: {text}{share}" if text else "FeeDesk"

    def digest(self) -> str:
        """Digest of the workbook as last saved (the Audit log's input digest)."""
        path = getattr(self.xl_book, "fullname", "")
        return runner.file_digest(path) if path and os.path.isfile(path) else ""

    def commit(self) -> list[str]:
        """Write the pending tables with screen updating and calculation paused."""
        if not self._pending:
            return []
        updating, calculation = self.app.screen_updating, self.app.calculation
        self.app.screen_updating = False
        self.app.calculation = "manual"
        try:
            for done, (table, frame) in enumerate(self._pending.items()):
                self._status(done, len(self._pending), self.sheet_name(table))
                self._write_table(table, frame)
        finally:
            self.app.calculation = calculation
            self.app.screen_updating = updating
        written = list(self._pending)
        self._pending.clear()
        self.forget_reads()
        return written

    def _write_table(self, table: str, frame: pd.DataFrame) -> None:
        found = self._tables.get(table.lower())
        spec = layout.table(table)
        if found is None:
            raise BookError(problems.make("missing_table", self.lang, sheet=spec.sheet_name(self.lang), table=table))
        sheet, xl_table = found
        header = xl_table.header_row_range.options(ndim=1).value
        refused = tables.refuse_losing_columns(spec, header, sheet, self.lang)
        if refused:
            raise BookError(refused)
        lookup = tables.header_lookup(spec)
        keys = [lookup.get(tables.normalise_header(text)) for text in header]
        values = dict((column.key, data) for column, data in tables.to_sheet_columns(spec, frame, self.lang))
        for column in spec.columns:
            if column.key not in keys:
                raise BookError(problems.make("missing_column", self.lang, sheet=sheet,
                                              row=xl_table.range.row, column=column.header(self.lang)))
        rows = max(len(frame), 1)  # a table keeps one (blank) row
        out = {}
        for text, key in zip(header, keys):
            data = values.get(key) if key else None
            out[text] = _cells(spec.column(key).kind if key else None, data, rows)
        xl_table.update(pd.DataFrame(out, columns=header), index=False)


def _cells(kind, data, rows: int) -> list:
    """Values for one column as xlwings should write them."""
    if data is None or not len(data):
        return [None] * rows
    if kind in (layout.Kind.DATE, layout.Kind.DATETIME):
        stamps = pd.to_datetime(pd.Series(data))
        return [None if pd.isna(v) else v.to_pydatetime() for v in stamps]
    if kind in (layout.Kind.MONEY, layout.Kind.NUMBER, layout.Kind.PRICE, layout.Kind.RATE):
        return [None if not np.isfinite(v) else float(v) for v in np.asarray(data, dtype="float64")]
    out = []
    for value in data:
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            out.append(None)
        elif isinstance(value, str) and value.startswith(FORMULA_STARTS):
            out.append("'" + value)  # shown as text, never run as a formula
        else:
            out.append(value)
    return out


def summary(report: runner.Report, job: registry.Job | None, lang: str) -> str:
    """The message box text: what ran, how it ended, where the problems are."""
    name = job.label(lang) if job else report.job
    problems_sheet = layout.table("Problems").sheet_name(lang)
    if lang == "zh":
        state = {"ok": "完成", "problems": "完成，但有错误需要改正", "failed": "未能完成"}[report.status]
        lines = [f"{name}：{state}（用时 {report.seconds:.1f} 秒）。",
                 f"错误 {report.errors} 个，提醒 {report.warnings} 个。"]
        if report.problems:
            lines.append(f"详见“{problems_sheet}”工作表。")
    else:
        state = {"ok": "done", "problems": "done, with errors to fix", "failed": "could not finish"}[report.status]
        lines = [f"{name}: {state} ({report.seconds:.1f} s).",
                 f"{report.errors} error(s), {report.warnings} warning(s)."]
        if report.problems:
            lines.append(f"See the {problems_sheet} sheet.")
    if report.status == "failed" and report.problems:
        lines.append(report.problems[0].message)
    return "\n".join(lines)


def run_in_excel(xl_book, job_key: str) -> runner.Report:
    """Run a job on an open workbook; whatever happens, the officer gets a message, not a traceback."""
    job = registry.job(job_key)
    host = None
    try:
        host = ExcelBook(xl_book)
        host.progress(0, 1, job.label(host.lang))
        report = runner.execute(host, job, host.digest())
        if report.status == "failed":  # the job wrote nothing: record why, where the officer looks
            host.write("Problems", runner.problems_frame(report.problems))
        host.commit()
    except BookError as error:
        report = runner.Report(job.key, problems=(dataclasses.replace(error.problem, job=job.key),), status="failed")
    except Exception as error:  # noqa: BLE001 - the last line of defence before the officer
        report = runner.failed(job, host.lang if host else "zh", error)
    lang = host.lang if host else "zh"
    xl_book.app.status_bar = False  # hand the status bar back to Excel
    xl_book.app.alert(summary(report, job, lang), title="FeeDesk",
                      mode="critical" if report.status == "failed" else "info")
    return report


def run_caller(job_key: str) -> None:
    """Entry point for RunPython: the workbook whose button was clicked."""
    import xlwings as xw

    run_in_excel(xw.Book.caller(), job_key)
