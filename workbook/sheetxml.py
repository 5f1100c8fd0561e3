"""Rewrite the rows of an output table inside its sheet XML, keeping the rest of the sheet.

Rows above and including the table's header are kept byte for byte, and so is everything
outside <sheetData> (column widths and styles, frozen panes, conditional formats, data
validations, drawings, the table part link). Text is written as inline strings, so a value
starting with '=' stays text and never becomes a formula. Each cell takes the style of its
column (set by the builder in <cols>), so number formats survive a resize.
"""

from __future__ import annotations

import re

import numpy as np

from workbook import package
from workbook.layout import Kind

_ROW_START = re.compile(rb"<row\b[^>]*?\br=\"(\d+)\"")
_COL = re.compile(rb"<col\b([^>]*)/>")
_ATTR = re.compile(rb"(\w+)=\"([^\"]*)\"")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")


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
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column_cells(kind: Kind, values: np.ndarray, letter: str, style: str, first: int) -> list[str]:
    """One XML cell per row ('' when blank); `first` is the 1-based row of values[0]."""
    s = f' s="{style}"' if style else ""
    rows = range(first, first + len(values))
    if kind in (Kind.MONEY, Kind.NUMBER, Kind.PRICE, Kind.RATE):
        floats = np.asarray(values, dtype="float64")
        return ["" if v != v else f'<c r="{letter}{r}"{s}><v>{v!r}</v></c>'
                for r, v in zip(rows, floats.tolist())]
    if kind is Kind.INT:
        return ["" if v is None else f'<c r="{letter}{r}"{s}><v>{int(v)}</v></c>' for r, v in zip(rows, values)]
    if kind in (Kind.DATE, Kind.DATETIME):
        stamps = np.asarray(values, dtype="datetime64[s]")
        serials = ((stamps - _EPOCH).astype("float64") / 86400.0).tolist()
        nat = np.isnat(stamps).tolist()
        if kind is Kind.DATE:
            return ["" if missing else f'<c r="{letter}{r}"{s}><v>{int(v)}</v></c>'
                    for r, v, missing in zip(rows, serials, nat)]
        return ["" if missing else f'<c r="{letter}{r}"{s}><v>{v!r}</v></c>'
                for r, v, missing in zip(rows, serials, nat)]
    cells = []
    for r, v in zip(rows, values):
        if v is None or v == "":
            cells.append("")
            continue
        text = escape(str(v))
        space = ' xml:space="preserve"' if text != text.strip() else ""
        cells.append(f'<c r="{letter}{r}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return cells


def rewrite(sheet_xml: bytes, table_xml: bytes, table: package.TablePart, columns: list, count: int):
    """New (sheet_xml, table_xml) with the table's data rows replaced by `columns` (count rows)."""
    r0, c0, _, c1 = table.bounds
    styles = column_styles(sheet_xml)
    first = r0 + 2  # 1-based row of the first data row
    cell_lists = [
        _column_cells(column.kind, values, package.column_letter(c0 + offset), styles.get(c0 + offset, ""), first)
        for offset, (column, values) in enumerate(columns)
    ]
    body = [
        f'<row r="{first + i}">{"".join(cells)}</row>'
        for i, cells in enumerate(zip(*cell_lists))
    ] if cell_lists else []

    start = sheet_xml.find(b"<sheetData")
    if start < 0:
        raise package.PackageError("sheet has no sheetData")
    open_end = sheet_xml.find(b">", start) + 1
    if sheet_xml[open_end - 2: open_end] == b"/>":
        kept, after = b"", sheet_xml[open_end:]
        opening = b"<sheetData>"
    else:
        close = sheet_xml.find(b"</sheetData>", open_end)
        data = sheet_xml[open_end:close]
        cut = len(data)
        for match in _ROW_START.finditer(data):
            if int(match.group(1)) > r0 + 1:
                cut = match.start()
                break
        kept, after = data[:cut], sheet_xml[close + len(b"</sheetData>"):]
        opening = sheet_xml[start:open_end]
    last_row = r0 + 1 + max(count, 1)  # a table keeps at least one (blank) data row
    ref = f"{package.column_letter(c0)}{r0 + 1}:{package.column_letter(c1)}{last_row}"
    head = sheet_xml[:start]
    head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{package.column_letter(c1)}{last_row}"/>'.encode(),
                  head, count=1)
    new_sheet = b"".join([head, opening, kept, "".join(body).encode("utf-8"), b"</sheetData>", after])
    new_table = re.sub(rb'(<table\b[^>]*?\bref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", table_xml, count=1)
    new_table = re.sub(rb'(<autoFilter\b[^>]*?\bref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", new_table,
                       count=1)
    return new_sheet, new_table, ref
