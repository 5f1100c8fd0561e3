"""Rewrite the rows of an output table inside its sheet XML, keeping the rest of the sheet.

Rows above and including the table's header are kept byte for byte, and so is everything
outside <sheetData> (column widths and styles, frozen panes, conditional formats, data
validations, drawings, the table part link). Cells the officer put beside or below the table
are kept; if the table would grow over them, the write is refused. Text is written as inline
strings, so a value starting with '=' stays text and never becomes a formula. Each cell takes
the style of its column (set by the builder in <cols>), so number formats survive a resize.

Before python-calamine reads a sheet, `check_sheet` streams its XML once: a cell beyond Excel's
last (XFD1048576) or a used area far larger than the table is refused (calamine holds a sheet as
a dense grid from its first to its last cell, so one stray cell at XFD1048576 would need
hundreds of GB and abort the process), and it finds what calamine does not tell: error cells
(#N/A, #REF!, which calamine reads as blank) and merged ranges (only a merge's top-left cell
holds a value; FeeDesk reads the others as blank, like Excel's own formulas do, and says so).
"""

from __future__ import annotations

import dataclasses
import itertools
import re

import numpy as np

from feedesk import problems
from workbook import package, tables
from workbook.layout import Kind

EXCEL_ROWS = package.EXCEL_ROWS
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


_PLAIN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff&<>\r]|_x")


def escape(text: str) -> str:
    """Text as Excel will show it: legal XML, `_xHHHH_` kept literal, at most 32,767 characters."""
    if len(text) <= MAX_TEXT and _PLAIN.search(text) is None:  # nearly every cell: nothing to do
        return text
    text = _ILLEGAL.sub("", text)[:MAX_TEXT]
    text = text.replace("_x", "_x005F_x") if "_x" in text else text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _column_cells(kind: Kind, values: np.ndarray, letter: str, style: str, first: int) -> list[str]:
    """One XML cell per row ('' when blank); `first` is the 1-based row of values[0]."""
    s = f' s="{style}"' if style else ""
    rows = range(first, first + len(values))
    if kind in (Kind.MONEY, Kind.NUMBER, Kind.PRICE, Kind.RATE):
        floats = np.asarray(values, dtype="float64")
        finite = np.isfinite(floats).tolist()
        return [f'<c r="{letter}{r}"{s}><v>{v!r}</v></c>' if ok else ""
                for r, v, ok in zip(rows, floats.tolist(), finite)]
    if kind is Kind.INT:
        return ["" if v is None else f'<c r="{letter}{r}"{s}><v>{int(v)}</v></c>' for r, v in zip(rows, values)]
    if kind in (Kind.DATE, Kind.DATETIME):
        stamps = np.asarray(values, dtype="datetime64[s]")
        serials = ((stamps - _EPOCH).astype("float64") / 86400.0)
        missing = (np.isnat(stamps) | (stamps < np.datetime64("1900-03-01", "s"))).tolist()  # Excel's 1900 bug
        if kind is Kind.DATE:
            whole = np.where(np.isnan(serials), 0, serials).astype(np.int64).tolist()
            return ["" if gone else f'<c r="{letter}{r}"{s}><v>{v}</v></c>'
                    for r, v, gone in zip(rows, whole, missing)]
        return ["" if gone else f'<c r="{letter}{r}"{s}><v>{v!r}</v></c>'
                for r, v, gone in zip(rows, serials.tolist(), missing)]
    open_tag, known = f'"{s} t="inlineStr"><is><t', {}
    cells = []
    for r, v in zip(rows, values):
        if v.__class__ is str:
            if not v:
                cells.append("")
                continue
            inner = known.get(v)  # repeated labels (periods, statuses, regions) escaped once
            if inner is None:
                inner = known[v] = _inline(escape(v))
        elif v is None or (v.__class__ is float and v != v):
            cells.append("")
            continue
        else:
            inner = _inline(escape(str(v)))
        cells.append(f'<c r="{letter}{r}{open_tag}{inner}</t></is></c>')
    return cells


def _inline(text: str) -> str:
    """The rest of an inline string's <t> tag: spaces at either end kept as typed."""
    return (' xml:space="preserve">' if text != text.strip() else ">") + text


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


ROWS_PER_PIECE = 50_000  # rows rendered at a time when a sheet is streamed into the package


@dataclasses.dataclass(frozen=True)
class Plan:
    """A table's rewrite, checked: everything of the new sheet but its data rows."""

    head: bytes
    opening: bytes
    kept: bytes
    after: bytes
    first: int  # 1-based row of the first data row
    styles: dict
    foreign: dict
    table_xml: bytes
    ref: str


def plan(sheet_xml: bytes, table_xml: bytes, table: package.TablePart, count: int) -> Plan:
    """Check that `count` rows fit (TooManyRowsError, BlockedError) and prepare the new sheet."""
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

    ref = f"{package.column_letter(c0)}{r0 + 1}:{package.column_letter(c1)}{last_row}"
    used_last = max([last_row, *[r for r in foreign]]) if foreign else last_row
    head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{package.column_letter(c1)}{used_last}"/>'.encode(),
                  sheet_xml[:start], count=1)
    new_table = re.sub(rb'(<table\b[^>]*?\bref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", table_xml, count=1)
    new_table = re.sub(rb'(<autoFilter\b[^>]*?\bref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", new_table,
                       count=1)
    # A job's rows replace a totals row, a sort or a filter the officer had set on the old rows.
    new_table = re.sub(rb'\s(totalsRowCount|totalsRowShown)="\d+"', b"", new_table)
    new_table = re.sub(rb"<sortState\b.*?(?:/>|</sortState>)", b"", new_table, flags=re.S)
    new_table = re.sub(rb"<filterColumn\b.*?(?:/>|</filterColumn>)", b"", new_table, flags=re.S)
    return Plan(head, opening, kept, after, first, styles, foreign, new_table, ref)


def pieces(plan_: Plan, count: int, columns_of):
    """The new sheet's XML in pieces, rendering ROWS_PER_PIECE rows at a time: `columns_of(start,
    stop)` gives the (zero-based sheet column, Column, values) of those rows. Memory stays that of
    one piece however long the table."""
    yield plan_.head + plan_.opening + plan_.kept
    foreign = dict(plan_.foreign)
    for start in range(0, count, ROWS_PER_PIECE if not foreign else max(count, 1)):
        stop = min(count, start + (ROWS_PER_PIECE if not foreign else count))
        yield _rows(plan_, columns_of(start, stop), plan_.first + start, stop - start, foreign)
    if foreign:  # cells of the officer's below the table's rows
        body = []
        for row in sorted(foreign):
            cells = sorted(foreign[row], key=lambda item: item[0])
            body.append(f'<row r="{row}">'.encode() + b"".join(xml for _, xml in cells) + b"</row>")
        yield b"".join(body)
    yield b"</sheetData>" + plan_.after


def _rows(plan_: Plan, columns: list, first: int, count: int, foreign: dict) -> bytes:
    ordered = sorted(columns, key=lambda item: item[0])
    positions = [at for at, _, _ in ordered]
    cell_lists = [
        _column_cells(column.kind, values, package.column_letter(at), plan_.styles.get(at, ""), first)
        for at, column, values in ordered
    ]
    if not foreign:  # the usual case: one join over every cell of the piece
        opening_tags = [f'<row r="{row}">' for row in range(first, first + count)]
        closing_tags = itertools.repeat("</row>", count)
        return "".join(itertools.chain.from_iterable(zip(opening_tags, *cell_lists, closing_tags))).encode()
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
    return b"".join(body)


def rewrite(sheet_xml: bytes, table_xml: bytes, table: package.TablePart, columns: list, count: int):
    """New (sheet_xml, table_xml, ref) with the table's data rows replaced, in one piece.

    `columns` is a list of (zero-based sheet column, Column, values); `count` rows each.
    """
    checked = plan(sheet_xml, table_xml, table, count)

    def columns_of(start, stop):
        return [(at, column, values[start:stop]) for at, column, values in columns]

    return b"".join(pieces(checked, count, columns_of)), checked.table_xml, checked.ref


# --- reading: what python-calamine must not see, and what it does not tell ------------------

MAX_SHEET_CELLS = 50_000_000  # first to last used row x column: calamine keeps ~32 bytes a cell
# A cell's or row's reference other than one letter and at most six digits: rare, so the stream
# is searched for these only (a pattern led by the literal 'r=': about 1 s for 600 MB of XML).
_FAR_REF = re.compile(rb"r=[\"'](?![A-Z]?\d{1,6}[\"'])(?<=\sr=[\"'])([A-Za-z]*)(\d*)")
_REF_ATTR = re.compile(rb"\sr=[\"']([A-Za-z]*)(\d*)[\"']")
_LAST_ROW = re.compile(rb"<row\b[^>]*?\sr=[\"'](\d+)")
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_MERGE = re.compile(rb"<mergeCell\b[^>]*?\bref=[\"']([A-Za-z]+\d+)(?::([A-Za-z]+\d+))?[\"']")


@dataclasses.dataclass
class SheetCheck:
    """What a sheet's XML says that python-calamine does not: error cells and merged ranges
    inside a table's bounds (zero-based positions)."""

    bounds: tuple[int, int, int, int]
    sheet: str
    errors: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = dataclasses.field(default_factory=list)

    def apply(self, block: list[list], lang: str) -> list[problems.Problem]:
        """Put each error cell's error text (#N/A ...) into `block` (the table's rows as calamine
        read them, header first, where they are blank), so typing reports it with its sheet, row
        and column; and a warning for each merged range over the table's data rows."""
        r0, c0, _, _ = self.bounds
        for (row, col), text in self.errors.items():
            i, j = row - r0, col - c0
            if 0 < i < len(block) and j >= 0:
                cells = block[i]
                if j >= len(cells):
                    cells.extend([""] * (j + 1 - len(cells)))
                cells[j] = text
        found = []
        header = block[0] if block else []
        for m0, n0, m1, n1 in self.merged:
            at = max(n0, c0) - c0
            column = str(header[at]) if at < len(header) and header[at] not in (None, "") else ""
            where = f"{package.column_letter(n0)}{m0 + 1}:{package.column_letter(n1)}{m1 + 1}"
            found.append(problems.make("merged_cells", lang, sheet=self.sheet, row=max(m0, r0 + 1) + 1, column=column,
                                       value=where, severity=problems.WARNING))
        return found


def check_sheet(archive, part: package.TablePart, last_row: int | None = None) -> SheetCheck:
    """Stream the XML of the sheet holding `part` once, before python-calamine reads it.

    Raises package.PackageError: a cell or row beyond XFD1048576 ('sheet_beyond_excel', as
    soon as it is seen: a 2,000,000-row sheet stops at row 1,048,577), a used area over
    MAX_SHEET_CELLS ('sheet_too_large'), a part that is a bomb or lies about its size. Cells and
    rows without a reference (no r attribute, which no spreadsheet program writes) are placed by
    calamine and not checked here."""
    r0, c0, r1, c1 = part.bounds
    if last_row is not None:
        r1 = last_row
    check = SheetCheck((r0, c0, r1, c1), part.sheet)
    extent = [0, 0, 0]  # the largest row and column of far references, the last <row> seen
    rest = b""
    longest = 8 * package.READ_CHUNK
    for chunk in package.stream_part(archive, part.sheet_part):
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"</row>")
        if cut >= 0 and len(data) - cut < package.READ_CHUNK:
            cut += 6  # whole rows: an error cell's tag and value stay together
        else:
            opened, closed = data.rfind(b"<"), data.rfind(b">")
            cut = opened if opened > closed else len(data)  # an unfinished tag waits for the next chunk
            if len(data) - cut > longest:
                raise package.PackageError(f"{part.sheet_part}: a tag longer than {longest:,} bytes",
                                           "damaged_part", part=part.sheet_part,
                                           error=f"{part.sheet_part}: a tag longer than {longest:,} bytes")
            _merged_cells(data, cut, check)  # not rows: <mergeCells> may be in it
        _scan_piece(data, cut, check, extent)
        rest = data[cut:]
    _scan_piece(rest, len(rest), check, extent)
    _merged_cells(rest, len(rest), check)  # after the last row, where <mergeCells> belongs
    tall, wide, last = extent
    rows, cols = max(tall, last), max(wide, 26)
    if wide > 26 and rows * cols <= MAX_SHEET_CELLS < 999_999 * cols:
        rows = max(rows, _exact_last_row(archive, part.sheet_part))  # rows out of order could hide a taller one
    if rows * cols > MAX_SHEET_CELLS:
        cell = f"{package.column_letter(cols - 1)}{rows}"
        raise package.PackageError(f"sheet {part.sheet} reaches {cell}", "sheet_too_large", sheet=part.sheet,
                                   cell=cell, cells=f"{rows * cols:,}")
    return check


def _scan_piece(data: bytes, end: int, check: SheetCheck, extent: list[int]) -> None:
    """data[:end], a piece of a sheet's XML that ends at a tag boundary (not copied): far
    references (refused beyond Excel's last cell at once), the last row, error cells, merges."""
    row_at = data.rfind(b"<row", 0, end)
    if row_at >= 0:
        match = _LAST_ROW.match(data, row_at, end)
        if match and not _empty_tag(data, match.end()):
            extent[2] = max(extent[2], int(match.group(1)))
    for match in _FAR_REF.finditer(data, 0, end):
        letters, digits = match.group(1, 2)
        if len(letters) < 2 and len(digits) == 7 and int(digits) <= package.EXCEL_ROWS:
            extent[0] = max(extent[0], int(digits))  # rows 1,000,000 to 1,048,576 of a full sheet: fine
            continue
        row, col = _far_reference(data, match, check.sheet)
        if row and not _empty_tag(data, match.end()):  # python-calamine skips a cell without a value
            extent[0], extent[1] = max(extent[0], row), max(extent[1], col)
    if data.find(b't="e"', 0, end) >= 0:
        _error_cells(data, end, check)


def _far_reference(piece: bytes, match, sheet: str) -> tuple[int, int]:
    """(row, 1-based column) of a cell's or row's reference found by _FAR_REF; (0, 0) when the
    match is some other attribute; refused beyond Excel's last cell."""
    start = match.start()
    tag = piece.rfind(b"<", 0, start)
    if tag < 0 or piece.find(b">", tag, start) >= 0:
        return 0, 0
    name = piece[tag + 1: tag + 5]
    if not (name.startswith(b"c") and name[1:2].isspace() or name.startswith(b"row") and name[3:4].isspace()):
        return 0, 0
    letters, digits = match.group(1).upper(), match.group(2)
    if not digits:
        return 0, 0
    cell = ((letters or b"A") + digits).decode("ascii", "replace")[:20]
    if len(letters) > 3 or len(digits) > 7:
        raise package.PackageError(f"sheet {sheet}: cell {cell}", "sheet_beyond_excel", sheet=sheet, cell=cell)
    col = 0
    for letter in letters:
        col = col * 26 + letter - 64
    row = int(digits)
    if row > package.EXCEL_ROWS or col > package.EXCEL_COLUMNS:
        raise package.PackageError(f"sheet {sheet}: cell {cell}", "sheet_beyond_excel", sheet=sheet, cell=cell)
    return row, col


def _empty_tag(piece: bytes, at: int) -> bool:
    """Whether the tag around `at` closes itself (<c r="XFD9" s="1"/>: formatting, no value)."""
    end = piece.find(b">", at)
    return end > 0 and piece[end - 1] == 0x2F  # '/'


def _exact_last_row(archive, sheet_part: str) -> int:
    """The largest row any cell or row names (a full pass: only for sheets with far columns)."""
    last, rest = 0, b""
    for chunk in package.stream_part(archive, sheet_part):
        data = rest + chunk
        cut = data.rfind(b"<")
        piece, rest = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        rows = [int(m.group(2)) for m in _REF_ATTR.finditer(piece) if m.group(2)]
        if rows:
            last = max(last, max(rows))
    rows = [int(m.group(2)) for m in _REF_ATTR.finditer(rest) if m.group(2)]
    return max([last, *rows])


def _error_cells(piece: bytes, stop: int, check: SheetCheck) -> None:
    r0, c0, r1, c1 = check.bounds
    at = piece.find(b't="e"', 0, stop)
    while at >= 0:
        tag = piece.rfind(b"<", 0, at)
        end = piece.find(b">", at)
        if tag >= 0 and end >= 0 and piece[tag + 1: tag + 2] == b"c" and piece[tag + 2: tag + 3].isspace() \
                and piece.find(b">", tag, at) < 0:
            ref = _REF_ATTR.search(piece, tag, end)
            if ref and ref.group(1) and ref.group(2):
                row, col = package.cell_position((ref.group(1) + ref.group(2)).decode("ascii"))
                if r0 < row <= r1 and c0 <= col <= c1:
                    text = ""
                    if piece[end - 1: end] != b"/":
                        close = piece.find(b"</c>", end)
                        value = _VALUE.search(piece, end, close if close >= 0 else len(piece))
                        text = value.group(1).decode("utf-8", "replace").strip() if value else ""
                    check.errors[(row, col)] = text if text in tables.EXCEL_ERRORS else "#VALUE!"
        at = piece.find(b't="e"', at + 5, stop)


def _merged_cells(piece: bytes, stop: int, check: SheetCheck) -> None:
    r0, c0, r1, c1 = check.bounds
    if piece.find(b"<mergeCell", 0, stop) < 0:
        return
    for match in _MERGE.finditer(piece, 0, stop):
        m0, n0 = package.cell_position(match.group(1).decode("ascii"))
        m1, n1 = package.cell_position((match.group(2) or match.group(1)).decode("ascii"))
        if m1 > r0 and m0 <= r1 and n1 >= c0 and n0 <= c1 and (m1 > m0 or n1 > n0):
            check.merged.append((m0, n0, m1, n1))
