"""Fuzzing every job: broken input tables give Problems, never a traceback, and never change an input.

A small valid desk (feedesk.sample, 20 customers, 3 months, every job already run once so the
output tables that later jobs read are filled) is turned into raw cell grids as python-calamine
gives them (str, float, int, bool, date/datetime, '' for blanks). Hypothesis then mutates the
grids: cells replaced by values of the wrong type (text in money, date and number columns,
numbers in text columns, 1e300, NaN and infinities, dates in the year 1 and 9999, Excel errors,
formula-looking text, full-width digits, very long text), rows dropped and doubled, columns
dropped or renamed, whole tables emptied or missing, settings blank or nonsense. Every job of
the registry runs on the result through an in-memory host (`MemoryBook`, the same TableBook
typing both real hosts use), and must either succeed or return Problems:

* no Problem is `internal_error` (the runner's net for an exception: a traceback in disguise),
  and the report's status is never `failed`;
* the raw grids are the same after the run (no job changes what it read), and a job writes only
  the tables the registry says it writes (plus Problems and Audit);
* every Problem has a message in the workbook's language.

The import jobs get a mutated statement export (the invented WeChat Pay, Alipay and bank files in
tests/samples) next to mutated Payments, Bank statement and Import profiles tables. A few
examples go through real workbook files (workbook.build + runner.run_file) to show the same
through the file host, where the input sheets must be byte for byte what they were.

A failure prints the plan that caused it; paste it into an @example (or a named test below) to
replay it. Every bug the fuzzing found has one.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import pathlib
import shutil
import tempfile
import zipfile
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st

from feedesk import sample
from macros import office, runner
from workbook import book as book_module, build, filehost, layout, package, registry

SAMPLES = pathlib.Path(__file__).parent / "samples"
TABLE_JOBS = tuple(job for job in registry.JOBS if not job.asks_for_file)
IMPORT_JOBS = tuple(job for job in registry.JOBS if job.asks_for_file)
ALWAYS_WRITTEN = {"Problems", "Audit"}
LETTER_KINDS = ("dunning", "statement", "price_change", "complaint_reply")

# Settings the fuzz leaves alone: where files go or come from and the mail server (a fuzzed
# host or folder would reach outside the test's own folder).
FIXED_SETTINGS = {"LettersFolder", "ImportFile", "SmtpHost", "SmtpPort", "SmtpUser", "MailFrom", "SendMail"}
FUZZED_SETTINGS = tuple(s.key for s in layout.SETTINGS if s.key not in FIXED_SETTINGS)

NASTY = (
    "", " ", "\t", " \n ", "abc", "文字", "无", "N/A", "#N/A", "#VALUE!", "#REF!", "#DIV/0!", "=1+1", "=SUM(A1:A2)",
    "+1", "-", "@x", "'", '"', ",", ";", "\x00", "\u200b", "😀", "１２３４", "１２３.４５", "１２，３４５.６", "¥1,234.56",
    "(12.30)", "12.30-", "1e300", "-1e300", "1e-300", "NaN", "nan", "inf", "-inf", "Infinity", "0x10", "1_000",
    "2026-13", "2026-00", "0000-00", "2026-3", "202613", "9999-12", "0001-01", "1900-01-01", "1900-02-29",
    "9999-12-31", "10000-01-01", "2026-02-30", "3/1/2026", "1/3/26", "2026年13月1日", "20261301", "99991231",
    "00010101", "12:00", "x" * 5000, "长" * 300, "C000101", "B2026030001", "是", "否", "yes", "no", "TRUE", "FALSE",
    "graduated", "residential", "water", "  water  ", "WATER", "已缴清",
    0, 1, -1, 2, 3, 7, 13, 100, -100, 0.5, -0.005, 2.675, 0.1, 1e-300, 5e-324, 1e15, 9.99e12, 1e13, 1e300, -1e300,
    2 ** 53 + 1, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 2958465.0, 2958466.0, 60.0, -1.0, 45000.5,
    float("nan"), float("inf"), float("-inf"), True, False, None,
    datetime.date(1, 1, 1), datetime.date(1900, 1, 1), datetime.date(1899, 12, 30), datetime.date(9999, 12, 31),
    datetime.datetime(9999, 12, 31, 23, 59, 59), datetime.datetime(1, 1, 1), datetime.datetime(1900, 1, 1, 12),
    datetime.date(2026, 2, 28), datetime.date(2026, 4, 10), datetime.time(12, 30),
)
SETTING_NONSENSE = (
    "2026-13", "2026-00", "13/2026", "不知道", "0,0,0", "5,3,1", "-30,0,30", "0", "0,1e20", "1e300", "-1", "-5",
    "0.0001", "1000000000", "1e18", "999999999999", "(", "[", ")", "\\", ".*", "", "reference,foo",
    "reference,reference", "customer", ",,,", "bill", "due", "是", "否", "zh", "en", "fr", "100%", "-100%", "1e3%",
    "2026-04-10", "1900-01-01", "9999-12-31", "0001-01-01", datetime.date(9999, 12, 31),
    datetime.date(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59), 9999.0, 0.0, -1.0, 1e300, float("nan"),
)

# Values of the right type for a column but at its edges: they pass the typing and reach the core.
D = datetime.date
ODD = {
    layout.Kind.MONEY: (0, 0.0, -0.01, 0.005, 0.004999, 1e-9, -5.0, -1e12, 9.99e12, 123456789.12, 2.675, "-0.00",
                        "¥-1,000.00"),
    layout.Kind.NUMBER: (0, 0.0, -1.0, -1e-9, 1e-12, 0.0001, 1e12, 9.99e12, 1e6, 2 ** 53),
    layout.Kind.PRICE: (0, 0.0, -1.0, 1e-12, 0.000001, 9.99e12, 1e6, 3.4567891234),
    layout.Kind.RATE: (0, 0.0, -1.0, 1.0, 100.0, 1e12, "5%", "1‰", 1e-12),
    layout.Kind.INT: (0, -1, 1, 2, 13, 2 ** 31, 999999999999, -999999999999, 1e12),
    layout.Kind.DATE: (D(1900, 1, 1), D(1900, 3, 1), D(9999, 12, 31), D(9999, 1, 1), D(1970, 1, 1), D(2026, 2, 28),
                       datetime.datetime(9999, 12, 31, 23, 59, 59), 1.0, 2958465.0, "9999-12-31", "1900-01-01",
                       D(2026, 4, 10), D(2026, 4, 11), D(2025, 4, 10)),
    layout.Kind.DATETIME: (datetime.datetime(1900, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59), 1.5),
    layout.Kind.PERIOD: ("1900-01", "9999-12", "0001-01", "2026-01", "2025-12", "2026-04", "2027-03", "2026-03"),
    layout.Kind.BOOL: ("是", "否", "yes", "no", True, False, 1, 0),
    layout.Kind.TEXT: ("", " x ", "X" * 300, "C000101", "B2026030001", "P1", "1122", "0", "其他", "6-9", "9-6", "13-14",
                       "1-12", "6~9", "6-", "a-b", "0-0", "12-1", "../../x", "templates", "README.md",
                       "templates/reminder_zh.txt", "templates/notice_zh.docx", "{{ x }}", "{% if %}",
                       "collection_rate", "dso", "reminder_1"),
}


def odd_value(column: layout.Column | None, pick: int):
    if column is not None and column.choices and pick % 3:
        choice = column.choices[pick % len(column.choices)]
        return (choice.code, choice.zh, choice.en)[pick % 3]
    values = ODD[column.kind if column is not None else layout.Kind.TEXT]
    return values[pick % len(values)]


def column_of(table: str, header: list, at: int) -> layout.Column | None:
    from workbook import tables as tables_module

    key = tables_module.header_lookup(layout.table(table)).get(tables_module.normalise_header(header[at]))
    return layout.table(table).column(key) if key else None


# Shrinking an example that runs every job takes minutes: a failure prints its plan, unshrunk.
FUZZ = {"deadline": None, "phases": (Phase.explicit, Phase.reuse, Phase.generate),
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}

# -------------------------------------------------------------------------------------------------
# The desk as raw cell grids, and an in-memory host serving them
# -------------------------------------------------------------------------------------------------


class MemoryBook(book_module.TableBook):
    """A workbook as raw cell grids in memory: {table: (header, rows, Excel row of rows[0])}.

    `_raw` hands out the grids themselves, not copies, so a job that changed what it read
    would change them; writes stay pending (`_pending`), as in the file host before commit."""

    def __init__(self, grids: dict, sheets: dict[str, str], lang: str, folder: str, params: dict | None = None):
        super().__init__(lang, params=params)
        self.grids = grids
        self.sheets = sheets
        self.path = os.path.join(folder, "FeeDesk.xlsm")  # the letters job writes beside the workbook

    def _sheet_of(self, table: str) -> str | None:
        return self.sheets.get(table) if table in self.grids else None

    def _raw(self, table: str):
        return self.grids[table]


class Desk:
    def __init__(self, lang: str, folder: pathlib.Path):
        self.lang = lang
        self.folder = folder
        data = sample.make(customers=20, months=3, lang=lang)
        self.settings = dict(data.settings)
        self.settings["LettersFolder"] = str(folder / "letters")
        self.path = build.build(str(folder / "FeeDesk.xlsm"), lang, data.tables, self.settings)
        with no_pdf():
            for job in TABLE_JOBS:  # fill the outputs later jobs read (Allocations, Dunning, Aging ...)
                report = runner.run_file(job.key, self.path, params={"from_period": "2026-01"}
                                         if job.key == "kpi" else None)
                assert report.status != "failed", report.note
        self.grids, self.sheets = read_grids(self.path)


def read_grids(path: str) -> tuple[dict, dict]:
    grids, sheets = {}, {}
    with filehost.FileBook(path, writable=False) as book:
        for spec in layout.TABLES:
            sheet = book._sheet_of(spec.key)
            if sheet is not None:
                header, rows, first = book._raw(spec.key)
                grids[spec.key] = (list(header), [list(r) for r in rows], first)
                sheets[spec.key] = sheet
    return grids, sheets


@contextlib.contextmanager
def no_pdf():
    """Letters without LibreOffice: the fuzz is about the tables, and a PDF batch takes seconds."""
    with mock.patch.object(office, "documents_to_pdf", side_effect=office.OfficeError("not in the fuzz test")):
        yield


_DESKS: dict[str, Desk] = {}
_ROOT = None


def desk(lang: str) -> Desk:
    global _ROOT
    if lang not in _DESKS:
        if _ROOT is None:
            _ROOT = pathlib.Path(tempfile.mkdtemp(prefix="feedesk-fuzz-"))
        folder = _ROOT / lang
        folder.mkdir()
        _DESKS[lang] = Desk(lang, folder)
    return _DESKS[lang]


@pytest.fixture(scope="module", autouse=True)
def _clean_up():
    yield
    global _ROOT
    if _ROOT is not None:
        shutil.rmtree(_ROOT, ignore_errors=True)
        _ROOT = None
        _DESKS.clear()


# -------------------------------------------------------------------------------------------------
# Mutations: a plan is a list of tuples, applied to a copy of the desk's grids
# -------------------------------------------------------------------------------------------------


def copy_grids(grids: dict) -> dict:
    return {key: (list(header), [list(row) for row in rows], first) for key, (header, rows, first) in grids.items()}


def apply(plan, grids: dict, lang: str) -> dict:
    grids = copy_grids(grids)
    for step in plan:
        kind, table = step[0], step[1]
        if kind == "setting":
            _set_setting(grids, table, step[2])
            continue
        if table not in grids:
            continue
        header, rows, first = grids[table]
        width = len(header)
        if kind == "cell" and rows and width:
            rows[step[2] % len(rows)][step[3] % width] = step[4]
        elif kind == "odd" and rows and width:  # right type, edge value
            at = step[3] % width
            rows[step[2] % len(rows)][at] = odd_value(column_of(table, header, at), step[4])
        elif kind == "odd_column" and rows and width:
            at = step[2] % width
            for n, row in enumerate(rows):
                row[at] = odd_value(column_of(table, header, at), step[3] + n * step[4])
        elif kind == "odd_row" and rows and width:  # a whole row at its edges
            row = rows[step[2] % len(rows)]
            for at in range(width):
                row[at] = odd_value(column_of(table, header, at), step[3] + at * step[4])
        elif kind == "copy_cell" and rows and width:  # a value from another row: duplicates, wrong links
            at = step[4] % width
            rows[step[2] % len(rows)][at] = rows[step[3] % len(rows)][at]
        elif kind == "column" and rows and width:  # the same wrong value all down a column
            for row in rows:
                row[step[2] % width] = step[3]
        elif kind == "drop_row" and rows:
            del rows[step[2] % len(rows)]
        elif kind == "double_row" and rows:
            at = step[2] % len(rows)
            rows.insert(at, list(rows[at]))
        elif kind == "blank_row" and rows:
            rows.insert(step[2] % len(rows), [""] * width)
        elif kind == "drop_column" and width:
            at = step[2] % width
            del header[at]
            for row in rows:
                del row[at]
        elif kind == "rename_column" and width:
            header[step[2] % width] = step[3]
        elif kind == "swap_columns" and width:  # headers stay, values move: every column typed wrong
            a, b = step[2] % width, step[3] % width
            for row in rows:
                row[a], row[b] = row[b], row[a]
        elif kind == "other_language":  # headers pasted in the other language
            spec = layout.table(table)
            other = "en" if lang == "zh" else "zh"
            by_header = {c.header(lang): c.header(other) for c in spec.columns}
            header[:] = [by_header.get(h, h) for h in header]
        elif kind == "empty":
            rows.clear()
        elif kind == "missing":
            del grids[table]
    return grids


def _set_setting(grids: dict, key: str, value) -> None:
    if "Settings" not in grids:
        return
    header, rows, _ = grids["Settings"]
    if "Key" not in header and "键" not in header:
        return
    at_key = header.index("Key") if "Key" in header else header.index("键")
    at_value = next((i for i, h in enumerate(header) if h in ("Value", "值")), None)
    if at_value is None:
        return
    for row in rows:
        if row[at_key] == key:
            row[at_value] = value
            return
    row = [""] * len(header)
    row[at_key], row[at_value] = key, value
    rows.append(row)


TABLE_KEYS = tuple(t.key for t in layout.TABLES if t.key not in ("Problems", "Audit"))
weird = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=24),
    st.floats(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.dates(),
    st.datetimes(),
)
index = st.integers(min_value=0, max_value=10 ** 6)
tables_ = st.sampled_from(TABLE_KEYS)
mutation = st.one_of(
    st.tuples(st.just("cell"), tables_, index, index, weird),
    st.tuples(st.just("odd"), tables_, index, index, index),
    st.tuples(st.just("odd"), tables_, index, index, index),
    st.tuples(st.just("odd_row"), tables_, index, index, index),
    st.tuples(st.just("odd_column"), tables_, index, index, index),
    st.tuples(st.just("copy_cell"), tables_, index, index, index),
    st.tuples(st.just("column"), tables_, index, weird),
    st.tuples(st.just("drop_row"), tables_, index),
    st.tuples(st.just("double_row"), tables_, index),
    st.tuples(st.just("blank_row"), tables_, index),
    st.tuples(st.just("drop_column"), tables_, index),
    st.tuples(st.just("rename_column"), tables_, index, weird),
    st.tuples(st.just("swap_columns"), tables_, index, index),
    st.tuples(st.just("other_language"), tables_),
    st.tuples(st.just("empty"), tables_),
    st.tuples(st.just("missing"), tables_),
    st.tuples(st.just("setting"), st.sampled_from(FUZZED_SETTINGS), st.one_of(st.sampled_from(SETTING_NONSENSE),
                                                                             weird)),
)
# Only values of the right type (at their edges): the tables pass their typing, so the jobs go on
# past reading into the core instead of stopping at the first wrong cell.
deep_mutation = st.one_of(
    st.tuples(st.just("odd"), tables_, index, index, index),
    st.tuples(st.just("odd_row"), tables_, index, index, index),
    st.tuples(st.just("odd_column"), tables_, index, index, index),
    st.tuples(st.just("copy_cell"), tables_, index, index, index),
    st.tuples(st.just("drop_row"), tables_, index),
    st.tuples(st.just("empty"), tables_),
    st.tuples(st.just("other_language"), tables_),
    st.tuples(st.just("setting"), st.sampled_from(FUZZED_SETTINGS), st.sampled_from(SETTING_NONSENSE)),
)
plans = st.one_of(st.lists(mutation, max_size=12), st.lists(deep_mutation, max_size=12))


# -------------------------------------------------------------------------------------------------
# What every run must satisfy
# -------------------------------------------------------------------------------------------------


def check_report(report: runner.Report, job: registry.Job, plan, lang: str) -> None:
    where = f"job {job.key} ({lang}) on plan {plan!r}"
    internal = [p for p in report.problems if p.code == "internal_error"]
    assert not internal, f"{where}: {internal[0].message}\n{report.note}"
    assert report.status != "failed", f"{where}: {report.problems}"
    for problem in report.problems:
        assert problem.message and problem.severity in ("error", "warning"), f"{where}: {problem}"


def run_in_memory(job: registry.Job, grids: dict, lang: str, plan, params: dict | None = None) -> MemoryBook:
    base = desk(lang)
    before = repr(grids)
    book = MemoryBook(grids, base.sheets, lang, str(base.folder), params=params)
    report = runner.execute(book, job)
    check_report(report, job, plan, lang)
    assert repr(grids) == before, f"job {job.key} ({lang}) changed an input table on plan {plan!r}"
    written = set(book._pending) - ALWAYS_WRITTEN
    assert written <= set(job.writes), f"job {job.key} wrote {written - set(job.writes)} on plan {plan!r}"
    return book


# Jobs that run other jobs as their steps (the month's close): they cost as much as all of those,
# so an example runs them only when it draws `whole=True`.
WHOLE_JOBS = tuple(job.key for job in TABLE_JOBS if job.key == "month_close")


def run_all_jobs(plan, lang: str, letter_kind: str = "dunning", whole: bool = True) -> None:
    base = desk(lang)
    grids = apply(plan, base.grids, lang)
    with no_pdf():
        for job in TABLE_JOBS:
            if job.key in WHOLE_JOBS and not whole:
                continue
            params = {"kind": letter_kind} if job.key == "letters" else None
            run_in_memory(job, grids, lang, plan, params)


# -------------------------------------------------------------------------------------------------
# The in-memory fuzz: every job on mutated tables
# -------------------------------------------------------------------------------------------------


@settings(max_examples=60, **FUZZ)
# Found by the fuzzing (each was a traceback turned into internal_error):
# 1e18 days to pay: the bill run's due date and the letters' pay-by date overflowed.
@example(plan=[("setting", "PaymentDueDays", -6.840440469080557e16)], lang="en", letter_kind="dunning", whole=True)
@example(plan=[("setting", "PaymentDueDays", "1e18")], lang="zh", letter_kind="dunning", whole=False)
# A matching window or tolerance of 1e300: the reconciliation's date and amount arithmetic overflowed.
@example(plan=[("setting", "MatchWindowDays", "1e300")], lang="zh", letter_kind="dunning", whole=True)
@example(plan=[("setting", "MatchTolerance", "1e300")], lang="en", letter_kind="dunning", whole=False)
# The last day Excel has as the as-of date: the letters' pay-by date overflowed.
@example(plan=[("setting", "AsOfDate", datetime.date(9999, 12, 31))], lang="zh", letter_kind="dunning", whole=True)
@example(plan=[("setting", "AsOfDate", "9999-12-31")], lang="en", letter_kind="statement", whole=False)
# Period 9999-12 (in the settings, or in GL rows): the end of the period overflowed.
@example(plan=[("setting", "Period", "9999-12")], lang="zh", letter_kind="dunning", whole=True)
@example(plan=[("column", "GL", 0, "9999-12"), ("column", "Bills", 2, "9999-12")], lang="en",
         letter_kind="dunning", whole=False)
# A payment (or bill) of 22 billion yuan: the allocation refused it ("an amount is too large to allocate").
@example(plan=[("cell", "Payments", 0, 3, 9.99e12)], lang="zh", letter_kind="dunning", whole=True)
@example(plan=[("column", "Bills", 7, 9.99e12)], lang="en", letter_kind="statement", whole=False)
@example(plan=[("odd_column", "LateFeeRules", 187, 389, 54636)], lang="zh", letter_kind="dunning",
         whole=True)  # a cap of 1e12 times the principal overflowed the late fees
@given(plan=plans, lang=st.sampled_from(layout.LANGUAGES), letter_kind=st.sampled_from(LETTER_KINDS),
       whole=st.integers(0, 3).map(lambda n: n == 0))
def test_every_job_gives_problems_not_tracebacks(plan, lang, letter_kind, whole):
    run_all_jobs(plan, lang, letter_kind, whole)


def test_the_unchanged_desk_runs_clean():
    """The fuzz's starting point: every job runs on the desk as it is, no errors."""
    for lang in layout.LANGUAGES:
        run_all_jobs([], lang)


# -------------------------------------------------------------------------------------------------
# The imports: mutated statement exports next to mutated Payments / Bank statement / profiles
# -------------------------------------------------------------------------------------------------

STATEMENTS = {  # file -> (the job that imports it, its text encoding or None for a binary file)
    "wechatpay_trade_bill.csv": ("import_payments", "utf-8-sig"),
    "alipay_account_statement.csv": ("import_payments", "gbk"),
    "alipay_account_statement.zip": ("import_payments", None),
    "bank_statement_gbk.csv": ("import_bank", "gbk"),
    "bank_statement.xlsx": ("import_bank", None),
}
IMPORT_TABLES = ("Settings", "Payments", "BankStatement", "ImportProfiles")


def mutate_statement(name: str, edits) -> bytes:
    """The sample export with `edits` applied: fields replaced, lines dropped or doubled (text
    files), bytes cut off or overwritten (any file)."""
    import csv
    import io

    data = (SAMPLES / name).read_bytes()
    encoding = STATEMENTS[name][1]
    text_edits = [e for e in edits if e[0] in ("field", "drop_line", "double_line", "new_line")]
    if encoding and text_edits:
        lines = data.decode(encoding).splitlines(keepends=True)
        for edit in text_edits:
            if not lines:
                break
            at = edit[1] % len(lines)
            if edit[0] == "field":
                try:
                    cells = next(csv.reader([lines[at].rstrip("\r\n")]), [])
                except csv.Error:  # a line holding a lone carriage return: edit it as plain text
                    cells = lines[at].rstrip("\r\n").split(",")
                if cells:
                    cells[edit[2] % len(cells)] = str(edit[3])
                out = io.StringIO()
                csv.writer(out, lineterminator="\r\n").writerow(cells)
                lines[at] = out.getvalue()
            elif edit[0] == "drop_line":
                del lines[at]
            elif edit[0] == "double_line":
                lines.insert(at, lines[at])
            else:
                lines.insert(at, ",".join(str(v) for v in edit[2]) + "\r\n")
        data = "".join(lines).encode(encoding, errors="replace")
    for edit in edits:
        if edit[0] == "cut" and data:
            data = data[:edit[1] % (len(data) + 1)]
        elif edit[0] == "bytes" and data:
            at = edit[1] % len(data)
            data = data[:at] + edit[2] + data[at + len(edit[2]):]
    return data


field_text = st.one_of(st.sampled_from([v for v in NASTY if not isinstance(v, str) or len(v) < 100]),
                       st.text(max_size=16))
statement_edit = st.one_of(
    st.tuples(st.just("field"), index, index, field_text),
    st.tuples(st.just("field"), index, index, field_text),
    st.tuples(st.just("drop_line"), index),
    st.tuples(st.just("double_line"), index),
    st.tuples(st.just("new_line"), index, st.lists(field_text, max_size=30)),
    st.tuples(st.just("cut"), index),
    st.tuples(st.just("bytes"), index, st.binary(min_size=1, max_size=8)),
)
import_mutation = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(IMPORT_TABLES), index, index, weird),
    st.tuples(st.just("column"), st.sampled_from(IMPORT_TABLES), index, weird),
    st.tuples(st.just("odd"), st.sampled_from(IMPORT_TABLES), index, index, index),
    st.tuples(st.just("copy_cell"), st.sampled_from(IMPORT_TABLES), index, index, index),
    st.tuples(st.just("drop_row"), st.sampled_from(IMPORT_TABLES), index),
    st.tuples(st.just("double_row"), st.sampled_from(IMPORT_TABLES), index),
    st.tuples(st.just("rename_column"), st.sampled_from(IMPORT_TABLES), index, weird),
    st.tuples(st.just("empty"), st.sampled_from(IMPORT_TABLES)),
    st.tuples(st.just("missing"), st.sampled_from(IMPORT_TABLES)),
    st.tuples(st.just("setting"), st.sampled_from(FUZZED_SETTINGS), weird),
)


def run_import(name: str, edits, plan, lang: str, profile: str | None = None) -> None:
    base = desk(lang)
    job = registry.job(STATEMENTS[name][0])
    data = mutate_statement(name, edits)
    folder = pathlib.Path(tempfile.mkdtemp(dir=base.folder))
    path = folder / name
    path.write_bytes(data)
    grids = apply(plan, base.grids, lang)
    params = {"file": str(path)}
    if profile is not None:
        params["profile"] = profile
    run_in_memory(job, grids, lang, (name, edits, plan, profile), params)
    assert path.read_bytes() == data, f"{job.key} changed the file it imported ({name}, {edits!r})"
    shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=40, **FUZZ)
@given(name=st.sampled_from(sorted(STATEMENTS)), edits=st.lists(statement_edit, max_size=6),
       plan=st.lists(import_mutation, max_size=6), lang=st.sampled_from(layout.LANGUAGES),
       profile=st.one_of(st.none(), st.sampled_from(("wechat", "alipay", "bank_generic", "", "不存在"))))
def test_imports_give_problems_not_tracebacks(name, edits, plan, lang, profile):
    run_import(name, edits, plan, lang, profile)


# -------------------------------------------------------------------------------------------------
# The same through real workbook files: cells written into the file, every job run with run_file
# -------------------------------------------------------------------------------------------------


def excel_can_hold(value) -> bool:
    """What a cell of a real workbook can hold (no NaN or infinity, no dates before 1900, no
    control characters, numbers Excel can store)."""
    if isinstance(value, float):
        return value == value and abs(value) < 1e300
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < 1e300
    if isinstance(value, datetime.date):
        return value.year >= 1900
    if isinstance(value, str):
        return len(value) < 32000 and not any(ord(c) < 32 and c not in "\t\n\r" for c in value)
    return isinstance(value, bool)  # not None, a time of day or a timedelta


def write_cells(path: str, plan, lang: str) -> None:
    """Apply the cell, column and setting steps of `plan` to the workbook file (openpyxl keeps the VBA
    project and the tables; the file host reads what it wrote)."""
    import openpyxl

    base = desk(lang)
    with zipfile.ZipFile(path) as archive:
        index = package.read_index(archive)
    book = openpyxl.load_workbook(path, keep_vba=True)
    for step in plan:
        kind = step[0]
        if kind == "setting":
            part = index.tables["settings"]
            r0, c0, r1, _ = part.bounds
            sheet = book[part.sheet]
            for row in range(r0 + 2, r1 + 2):
                if sheet.cell(row, c0 + 1).value == step[1]:
                    if excel_can_hold(step[2]):
                        sheet.cell(row, c0 + 3).value = step[2]
            continue
        part = index.tables.get(step[1].lower())
        if part is None:
            continue
        header, rows, _ = base.grids[step[1]]
        if not rows or not header:
            continue
        r0, c0, _, _ = part.bounds
        sheet = book[part.sheet]
        if kind in ("cell", "odd"):
            at = step[3] % len(header)
            value = step[4] if kind == "cell" else odd_value(column_of(step[1], header, at), step[4])
            cells = [(step[2] % len(rows), at, value)]
        elif kind == "column":
            at = step[2] % len(header)
            cells = [(n, at, step[3]) for n in range(len(rows))]
        else:
            continue
        for row, col, value in cells:
            if excel_can_hold(value):
                sheet.cell(r0 + 2 + row, c0 + 1 + col).value = value
    book.save(path)


def input_parts(path: str, tables, written=()) -> dict[str, bytes]:
    """The sheet and table parts holding `tables`, byte for byte (a sheet that also holds a table
    in `written`, as the Control sheet holds Settings and the close's summary, is compared by its
    values instead)."""
    with zipfile.ZipFile(path) as archive:
        index = package.read_index(archive)
        rewritten = {part.sheet_part for name, part in index.tables.items() if name in {t.lower() for t in written}}
        out = {}
        for table in tables:
            part = index.tables.get(table.lower())
            if part is not None:
                if part.sheet_part not in rewritten:
                    out[part.sheet_part] = archive.read(part.sheet_part)
                out[part.part] = archive.read(part.part)
    return out


file_mutation = st.one_of(
    st.tuples(st.just("cell"), tables_, index, index, weird),
    st.tuples(st.just("odd"), tables_, index, index, index),
    st.tuples(st.just("odd"), tables_, index, index, index),
    st.tuples(st.just("column"), tables_, index, weird),
    st.tuples(st.just("setting"), st.sampled_from(FUZZED_SETTINGS), st.one_of(st.sampled_from(SETTING_NONSENSE),
                                                                             weird)),
)


def run_all_jobs_on_file(plan, lang: str, folder: pathlib.Path) -> None:
    base = desk(lang)
    path = str(folder / "FeeDesk.xlsm")
    shutil.copy(base.path, path)
    write_cells(path, plan, lang)
    with no_pdf():
        for job in TABLE_JOBS:
            written = (*job.writes, *ALWAYS_WRITTEN)
            untouched = [t.key for t in layout.TABLES if t.key not in written]
            before_parts, (before_grids, _) = input_parts(path, untouched, written), read_grids(path)
            params = {"from_period": "2026-01"} if job.key == "kpi" else None
            report = runner.run_file(job.key, path, lang=lang, params=params)
            check_report(report, job, plan, lang)
            assert input_parts(path, untouched, written) == before_parts, \
                f"{job.key} changed an input sheet on {plan!r}"
            after_grids, _ = read_grids(path)
            for table in untouched:
                assert repr(after_grids.get(table)) == repr(before_grids.get(table)), \
                    f"{job.key} changed {table} on {plan!r}"


@settings(max_examples=5, **FUZZ)
@given(plan=st.lists(file_mutation, min_size=1, max_size=8), lang=st.sampled_from(layout.LANGUAGES))
def test_every_job_through_the_file_host(plan, lang):
    folder = pathlib.Path(tempfile.mkdtemp(dir=desk(lang).folder))
    try:
        run_all_jobs_on_file(plan, lang, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=3, **FUZZ)
@given(name=st.sampled_from(sorted(STATEMENTS)), edits=st.lists(statement_edit, max_size=6),
       lang=st.sampled_from(layout.LANGUAGES))
def test_imports_through_the_file_host(name, edits, lang):
    base = desk(lang)
    job = registry.job(STATEMENTS[name][0])
    folder = pathlib.Path(tempfile.mkdtemp(dir=base.folder))
    try:
        book_path = str(folder / "FeeDesk.xlsm")
        shutil.copy(base.path, book_path)
        statement = folder / name
        statement.write_bytes(data := mutate_statement(name, edits))
        written = (*job.writes, *ALWAYS_WRITTEN)
        untouched = [t.key for t in layout.TABLES if t.key not in written]
        before = input_parts(book_path, untouched, written)
        report = runner.run_file(job.key, book_path, lang=lang, params={"file": str(statement)})
        check_report(report, job, (name, edits), lang)
        assert input_parts(book_path, untouched, written) == before
        assert statement.read_bytes() == data
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -------------------------------------------------------------------------------------------------
# What the fuzzing found, one named test each
# -------------------------------------------------------------------------------------------------


def problem_codes(job_key: str, plan, lang: str = "zh") -> list[str]:
    base = desk(lang)
    with no_pdf():
        book = MemoryBook(apply(plan, base.grids, lang), base.sheets, lang, str(base.folder))
        report = runner.execute(book, registry.job(job_key))
    check_report(report, registry.job(job_key), plan, lang)
    return [p.code for p in report.problems]


@pytest.mark.parametrize("job_key, key, value", [
    ("bill_run", "PaymentDueDays", "1e18"), ("letters", "PaymentDueDays", -1),
    ("reconcile", "MatchWindowDays", "1e300"), ("reconcile", "MatchTolerance", "1e300"), ("reconcile", "NameThreshold", 250), ("tariff_impact", "NoticeRate", 1e6),
    ("validate", "StaleDays", -3),
])
def test_a_setting_out_of_its_range_is_a_problem_naming_the_setting(job_key, key, value):
    base = desk("zh")
    with no_pdf():
        book = MemoryBook(apply([("setting", key, value)], base.grids, "zh"), base.sheets, "zh", str(base.folder))
        report = runner.execute(book, registry.job(job_key))
    found = [p for p in report.problems if p.code == "setting_out_of_range"]
    assert report.status == "problems" and len(found) == 1
    label = layout.SETTINGS_BY_KEY[key].zh
    assert found[0].sheet == base.sheets["Settings"] and found[0].row is not None and label in found[0].message
    settings_rows = base.grids["Settings"][1]
    assert settings_rows[found[0].row - base.grids["Settings"][2]][0] == key  # the row of that setting


def test_a_due_date_past_9999_is_a_problem():
    assert "bill_date_out_of_range" in problem_codes("bill_run", [("setting", "Period", "9999-12")])
    assert "pay_by_out_of_range" in problem_codes("letters", [("setting", "AsOfDate", datetime.date(9999, 12, 31))])


def test_periods_are_the_years_excel_has():
    from feedesk import dates

    assert dates.period_end("9999-12") == datetime.date(9999, 12, 31)
    assert dates.period_end("2024-02") == datetime.date(2024, 2, 29)
    for text in ("0000-01", "1899-12", datetime.date(1, 1, 1)):
        with pytest.raises(ValueError):
            dates.parse_period(text)
    assert "bad_period" in problem_codes("validate", [("cell", "Usage", 0, 1, "0000-01")])


@pytest.mark.parametrize("name, edits, why", [
    # a damaged deflate stream inside the zip (zlib.error)
    ("alipay_account_statement.zip", [("bytes", 999999, b"\x19\xe3\xd9:Sc\xacn")], "decompressing"),
    # an entry name flagged UTF-8 that is not (UnicodeDecodeError while opening the zip)
    ("alipay_account_statement.zip", [("bytes", 893457, b"\xa4d\xe8u\xb1'\x96\xfd"),
                                      ("bytes", 1015, b"n\x8b\xbb\x1d\xd4\xc4\xfe")], "utf-8"),
])
def test_a_damaged_zip_is_a_problem(name, edits, why):
    lang = "en"
    base = desk(lang)
    folder = pathlib.Path(tempfile.mkdtemp(dir=base.folder))
    (folder / name).write_bytes(mutate_statement(name, edits))
    book = MemoryBook(copy_grids(base.grids), base.sheets, lang, str(base.folder), params={"file": str(folder / name)})
    report = runner.execute(book, registry.job("import_payments"))
    check_report(report, registry.job("import_payments"), edits, lang)
    unreadable = [p for p in report.problems if p.code == "statement_unreadable"]
    assert unreadable and why in unreadable[0].message and name in unreadable[0].message


def test_an_amount_of_1e300_in_a_statement_is_a_problem():
    """It overflowed the fen column; now the line is reported and imported with the amount blank."""
    lang = "zh"
    base = desk(lang)
    name = "bank_statement_gbk.csv"
    folder = pathlib.Path(tempfile.mkdtemp(dir=base.folder))
    (folder / name).write_bytes(mutate_statement(name, [("field", 8, 4, "1e300")]))  # the first line's credit
    book = MemoryBook(copy_grids(base.grids), base.sheets, lang, str(base.folder), params={"file": str(folder / name)})
    report = runner.execute(book, registry.job("import_bank"))
    check_report(report, registry.job("import_bank"), name, lang)
    bad = [p for p in report.problems if p.code == "statement_bad_amount"]
    assert len(bad) == 1 and bad[0].value == "1e300" and bad[0].row == 9


def test_allocating_amounts_beyond_the_fast_ranges():
    """A payment of 22 billion yuan stopped the reconciliation ("an amount is too large to allocate"),
    and two payments under one key whose sum passed 2**41 fen spilled into the next key's range (the
    second customer's 1.00 was silently never allocated). Such amounts now take an exact slower path."""
    from feedesk import allocation

    span = 2 ** 41
    got = allocation.fifo([0, 0, 1], [span - 10, span - 10, 100], [0, 0, 1], [span - 10, span - 10, 100])
    assert got.supply.tolist() == [0, 1, 2] and got.demand.tolist() == [0, 1, 2]
    assert got.amount.tolist() == [span - 10, span - 10, 100]
    assert not got.supply_left.any() and not got.demand_left.any()
    for job_key in ("reconcile", "aging"):
        problem_codes(job_key, [("cell", "Payments", 0, 3, 9.99e12)])  # no internal_error
