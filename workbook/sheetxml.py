"""Rewrite the rows of an output table inside its sheet XML, keeping the rest of the sheet.

Rows above and including the table's header are kept byte for byte, and so is everything
outside <sheetData> (column widths and styles, frozen panes, conditional formats, data
validations, drawings, the table part link). Cells the officer put beside or below the table
are kept; if the table would grow over them, the write is refused. Text is written as inline
strings, so a value starting with '=' stays text and never becomes a formula. Each cell takes
the style of its column (set by the builder in <cols>), so number formats survive a resize.
"""

from __future__ import annotations

import math
import re

import numpy as np

from workbook import package
from workbook.layout import Kind

EXCEL_ROWS = 1_048_576
MAX_TEXT = 32_767  # characters Excel keeps in a cell

_ROW = re.compile(rb"<row\b[^>]*?\br=\"(\d+)\"[^>]*?(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]+)\d+\"[^>]*?(?:/>|>.*?</c>)", re.S)
_COL = re.compile(rb"<col\b([^>]*)/>")
_ATTR = re.compile(rb"(\w+)=\"([^\"]*)\"")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")


class BlockedError(ValueError):
    """The table would grow over cells that are not part of it."""

    def __init__(self, cell: str):
        super().__init__(cell)
        self.cell = cell


class TooManyRowsError(ValueError):
    """More rows than a sheet holds."""


def column_styles(sheet_xml: bytes) -> dict[int, str]:
    """Zero-based column -> style index from <cols>."""
    styles = {}
    head = sheet_xml[: sheet_xml.find(b"<sheetData")]
    for match in _COL.finditer(head):
        attrs = dict(_ATTR.findall(match.group(1)))
        if b"style" in attrs:
            for index in range(int(attrs[b"min"]) - 1, int(attrs[b"max"])):
                styles[index] = attrs[b"style"].decode()
    return styles


def escape(text: str) -> str:
    """Text as Excel will show it: legal XML, `_xHHHH_` kept literal, at most 32,767 characters."""
    text = _ILLEGAL.sub("", text)[:MAX_TEXT]
    text = text.replace("_x", "_x005F_x") if "_x" in text else text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _column_cells(kind: Kind, values: np.ndarray, letter: str, style: str, first: int) -> list[str]:
    """One XML cell per row ('' when blank); `first` is the 1-based row of values[0]."""
    s = f' s="{style}"' if style else ""
    rows = range(first, first + len(values))
    if kind in (Kind.MONEY, Kind.NUMBER, Kind.PRICE, Kind.RATE):
        floats = np.asarray(values, dtype="float64")
        return [f'<c r="{letter}{r}"{s}><v>{v!r}</v></c>' if math.isfinite(v) else ""
                for r, v in zip(rows, floats.tolist())]
    if kind is Kind.INT:
        return ["" if v is None else f'<c r="{letter}{r}"{s}><v>{int(v)}</v></c>' for r, v in zip(rows, values)]
    if kind in (Kind.DATE, Kind.DATETIME):
        stamps = np.asarray(values, dtype="datetime64[s]")
        serials = ((stamps - _EPOCH).astype("float64") / 86400.0).tolist()
        missing = (np.isnat(stamps) | (stamps < np.datetime64("1900-03-01", "s"))).tolist()  # Excel's 1900 bug
        if kind is Kind.DATE:
            return ["" if gone else f'<c r="{letter}{r}"{s}><v>{int(v)}</v></c>'
                    for r, v, gone in zip(rows, serials, missing)]
        return ["" if gone else f'<c r="{letter}{r}"{s}><v>{v!r}</v></c>'
                for r, v, gone in zip(rows, serials, missing)]
    cells = []
    for r, v in zip(rows, values):
        if v is None or v == "" or (v.__class__ is float and v != v):
            cells.append("")
            continue
        text = escape(str(v))
        space = ' xml:space="preserve"' if text != text.strip() else ""
        cells.append(f'<c r="{letter}{r}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return cells


def _foreign_cells(data: bytes, first_row: int, c0: int, c1: int, old_last: int):
    """Cells in rows >= first_row that are not table cells: {row: [(col, xml)]} and the first
    one that sits in the table's columns below its old end (the table must not grow over it)."""
    kept: dict[int, list[tuple[int, bytes]]] = {}
    below: list[tuple[int, int]] = []
    for row_match in _ROW.finditer(data):
        row = int(row_match.group(1))
        if row < first_row or not row_match.group(2):
            continue
        for cell in _CELL.finditer(row_match.group(2)):
            col = package.cell_position(cell.group(1).decode() + "1")[1]
            inside = c0 <= col <= c1
            if inside and row <= old_last:
                continue  # the table's own cell: replaced
            kept.setdefault(row, []).append((col, cell.group(0)))
            if inside:
                below.append((row, col))
    return kept, min(below) if below else None


def _beyond_table(head: bytes, c0: int, c1: int, last: int) -> bool:
    """Whether the sheet's used range (its <dimension>) reaches outside the table."""
    match = re.search(rb'<dimension ref="([A-Z]+\d+)(?::([A-Z]+\d+))?"', head)
    if not match:
        return True
    end_row, end_col = package.cell_position((match.group(2) or match.group(1)).decode())
    start_row, start_col = package.cell_position(match.group(1).decode())
    return start_col < c0 or end_col > c1 or end_row + 1 > last


def rewrite(sheet_xml: bytes, table_xml: bytes, table: package.TablePart, columns: list, count: int):
    """New (sheet_xml, table_xml, ref) with the table's data rows replaced.

    `columns` is a list of (zero-based sheet column, Column, values); `count` rows each.
    """
    r0, c0, r1, c1 = table.bounds
    first = r0 + 2  # 1-based row of the first data row
    last_row = r0 + 1 + max(count, 1)  # a table keeps at least one (blank) data row
    if last_row > EXCEL_ROWS:
        raise TooManyRowsError(count)
    styles = column_styles(sheet_xml)
    start = sheet_xml.find(b"<sheetData")
    if start < 0:
        raise package.PackageError("sheet has no sheetData")
    open_end = sheet_xml.find(b">", start) + 1
    if sheet_xml[open_end - 2: open_end] == b"/>":
        kept, data, after, opening = b"", b"", sheet_xml[open_end:], b"<sheetData>"
    else:
        close = sheet_xml.find(b"</sheetData>", open_end)
        data = sheet_xml[open_end:close]
        cut = len(data)
        for match in re.finditer(rb"<row\b[^>]*?\br=\"(\d+)\"", data):
            if int(match.group(1)) > r0 + 1:
                cut = match.start()
                break
        kept, data = data[:cut], data[cut:]
        after, opening = sheet_xml[close + len(b"</sheetData>"):], sheet_xml[start:open_end]

    foreign, blocked = ({}, None)
    if data and _beyond_table(sheet_xml[:start], c0, c1, r1 + 1):
        foreign, blocked = _foreign_cells(data, first, c0, c1, r1 + 1)
    if blocked and blocked[0] <= last_row:
        raise BlockedError(f"{package.column_letter(blocked[1])}{blocked[0]}")

    ordered = sorted(columns, key=lambda item: item[0])
    positions = [at for at, _, _ in ordered]
    cell_lists = [
        _column_cells(column.kind, values, package.column_letter(at), styles.get(at, ""), first)
        for at, column, values in ordered
    ]
    body = []
    for i, cells in enumerate(zip(*cell_lists)):
        row = first + i
        extra = foreign.pop(row, None)
        if extra:
            merged = sorted([(at, c.encode()) for at, c in zip(positions, cells) if c] + extra,
                            key=lambda item: item[0])
            body.append(f'<row r="{row}">'.encode() + b"".join(xml for _, xml in merged) + b"</row>")
        else:
            body.append(f'<row r="{row}">{"".join(cells)}</row>'.encode())
    for row in sorted(foreign):
        cells = sorted(foreign[row], key=lambda item: item[0])
        body.append(f'<row r="{row}">'.encode() + b"".join(xml for _, xml in cells) + b"</row>")

    ref = f"{package.column_letter(c0)}{r0 + 1}:{package.column_letter(c1)}{last_row}"
    used_last = max([last_row, *[r for r in foreign]]) if foreign else last_row
    head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{package.column_letter(c1)}{used_last}"/>'.encode(),
                  sheet_xml[:start], count=1)
    new_sheet = b"".join([head, opening, kept, b"".join(body), b"</sheetData>", after])
    new_table = re.sub(rb'(<table\b[^>]*?\bref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", table_xml, count=1)
    new_table = re.sub(rb'(<autoFilter\b[^>]*?\bref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", new_table,
                       count=1)
    # A job's rows replace a totals row, a sort or a filter the officer had set on the old rows.
    new_table = re.sub(rb'\s(totalsRowCount|totalsRowShown)="\d+"', b"", new_table)
    new_table = re.sub(rb"<sortState\b.*?(?:/>|</sortState>)", b"", new_table, flags=re.S)
    new_table = re.sub(rb"<filterColumn\b.*?(?:/>|</filterColumn>)", b"", new_table, flags=re.S)
    return new_sheet, new_table, ref
