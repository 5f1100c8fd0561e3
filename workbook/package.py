"""The workbook file as a zip package: find tables, rewrite a few parts, save atomically.

A job's output touches only its own sheets' XML and table parts; every other part of the
file (VBA project, drawings and buttons, charts, validations, names, the user's own sheets)
is copied byte for byte, compressed data included. Saving writes a temporary file beside
the workbook, keeps a backup of the previous file, then renames over it, so a crash at any
point leaves either the old or the new workbook, never half of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import posixpath
import re
import shutil
import struct
import zipfile
import zlib
from xml.etree import ElementTree

import defusedxml
import defusedxml.ElementTree

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
TABLE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
# Hostile input: limits checked before anything inflates or parses a part.
MAX_PART_BYTES = 2_000_000_000  # a part that inflates beyond this is refused (zip bomb)
MAX_XML_BYTES = 64_000_000  # workbook.xml, relationships, table parts: kilobytes in a real workbook
MAX_RATIO = 200  # a part inflating to more than this many times its compressed size is a zip bomb ...
RATIO_FLOOR = 16_000_000  # ... once it inflates beyond this (real sheets compress 10-30 times)
PROLOG_BYTES = 65_536  # a part's XML declaration and any DTD must sit in its first bytes
READ_CHUNK = 1 << 20  # bytes inflated at a time when a part is streamed
EXCEL_ROWS = 1_048_576  # a sheet's rows and columns in Excel
EXCEL_COLUMNS = 16_384


class PackageError(Exception):
    """The file is not a workbook we can read (not a zip, no workbook part, damaged, a bomb).

    `code` is the Problem code that tells the officer what happened; `params` fill its message."""

    def __init__(self, message: str, code: str = "not_a_workbook", **params):
        super().__init__(message)
        self.code = code
        self.params = params


def refusal(error: Exception, lang: str, file: str):
    """The Problem telling the officer why the workbook `file` cannot be read (`error` is what
    opening or reading it raised)."""
    from feedesk import problems

    if isinstance(error, PackageError):
        params = dict(error.params)
        return problems.make(error.code, lang, sheet=params.pop("sheet", ""), file=file, **params)
    if type(error).__module__.startswith("python_calamine"):  # python-calamine refused a part
        return problems.make("damaged_part", lang, file=file, error=f"{type(error).__name__}: {error}"[:160])
    return problems.make("not_a_workbook", lang, file=file)


@dataclasses.dataclass(frozen=True)
class TablePart:
    name: str
    sheet: str  # sheet name
    sheet_part: str  # zip path of the sheet XML
    part: str  # zip path of the table XML
    ref: str  # e.g. "A1:H25"
    columns: tuple[str, ...]
    totals: int = 0  # rows of a totals row at the bottom of ref

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """Zero-based (first_row, first_col, last_row, last_col) of the whole table, header included."""
        start, _, end = self.ref.partition(":")
        r0, c0 = cell_position(start)
        r1, c1 = cell_position(end or start)
        return r0, c0, r1, c1


@dataclasses.dataclass(frozen=True)
class Index:
    sheets: dict[str, str]  # sheet name -> sheet part
    tables: dict[str, TablePart]  # table name (case-insensitive key: lower) -> part
    names: dict[str, str]  # defined name -> formula text


def cell_position(cell: str) -> tuple[int, int]:
    match = re.match(r"\$?([A-Z]+)\$?(\d+)", cell.upper())
    if not match:
        raise PackageError(f"bad cell reference {cell!r}")
    letters, digits = match.groups()
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return int(digits) - 1, column - 1


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_zip(path: str) -> zipfile.ZipFile:
    """The package, refused when it is not a workbook or a part is a bomb: a part declaring a
    huge size or ratio (zip bomb), or an XML part with a DTD (entity expansion, the "billion
    laughs"). python-calamine reads sharedStrings, styles and the sheets itself, so every XML
    part's prolog is checked here, before anything parses it."""
    if not zipfile.is_zipfile(path):
        raise PackageError("not a zip package")
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise PackageError(str(error)) from None
    try:
        if "xl/workbook.xml" not in package.NameToInfo:
            raise PackageError("no xl/workbook.xml part")
        for info in package.infolist():
            _check_size(info)
        for info in package.infolist():
            if info.filename.endswith((".xml", ".rels", ".vml")) and info.file_size:
                _check_prolog(package, info)
    except BaseException:
        package.close()
        raise
    return package


def _check_size(info: zipfile.ZipInfo) -> None:
    size = info.file_size
    if size > MAX_PART_BYTES or size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
        raise PackageError(f"part {info.filename} inflates to {size} bytes from {info.compress_size}",
                           "zip_bomb", part=info.filename, size=f"{size:,}", packed=f"{info.compress_size:,}")


def stream_part(package: zipfile.ZipFile, part: str, limit: int = MAX_PART_BYTES):
    """The part's bytes chunk by chunk, never more than its declared size (a part whose data
    inflates beyond the size it declares fails its CRC check: the zip lies)."""
    try:
        info = package.getinfo(part)
    except KeyError:
        raise PackageError(f"no part {part}") from None
    _check_size(info)
    if info.file_size > limit:
        raise PackageError(f"part {part} inflates to {info.file_size} bytes", "zip_bomb", part=part,
                           size=f"{info.file_size:,}", packed=f"{info.compress_size:,}")
    try:
        with package.open(info) as stream:
            while True:
                chunk = stream.read(READ_CHUNK)
                if not chunk:
                    return
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as error:
        raise PackageError(f"{part}: {error}", "damaged_part", part=part, error=f"{part}: {error}"[:160]) from None


def read_part(package: zipfile.ZipFile, part: str, limit: int = MAX_XML_BYTES) -> bytes:
    """A part's bytes, refused beyond `limit` or when the zip lies about its size."""
    return b"".join(stream_part(package, part, limit))


_ROOT = re.compile(rb"<[A-Za-z_]")


def _check_prolog(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a DTD (<!DOCTYPE, <!ENTITY) before the root element: FeeDesk's own XML is parsed
    by defusedxml, but python-calamine parses sharedStrings, styles and sheets itself."""
    head = b""
    try:
        with package.open(info) as stream:
            head = stream.read(PROLOG_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as error:
        raise PackageError(f"{info.filename}: {error}", "damaged_part", part=info.filename,
                           error=f"{info.filename}: {error}"[:160]) from None
    root = _ROOT.search(head)
    prolog = head[:root.start()] if root else head
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog or (root is None and len(head) >= PROLOG_BYTES):
        raise PackageError(f"{info.filename} declares a DTD", "xml_bomb", part=info.filename)


def _parse(package: zipfile.ZipFile, part: str):
    """A small part (workbook, relationships, table) parsed by defusedxml: no DTD, no entities."""
    data = read_part(package, part)
    try:
        return defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as error:
        raise PackageError(f"{part}: {error}", "xml_bomb", part=part) from None
    except ElementTree.ParseError as error:
        raise PackageError(f"{part}: {error}", "damaged_part", part=part, error=f"{part}: {error}"[:160]) from None


def _rels(package: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", name + ".rels")
    if rels_part not in package.NameToInfo:
        return {}
    found = {}
    for rel in _parse(package, rels_part).findall("rel:Relationship", NS):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id")] = (rel.get("Type", ""), path)
    return found


def read_index(package: zipfile.ZipFile) -> Index:
    root = _parse(package, "xl/workbook.xml")
    rels = _rels(package, "xl/workbook.xml")
    sheets = {}
    for sheet in root.findall("m:sheets/m:sheet", NS):
        rid = sheet.get(f"{{{NS['r']}}}id")
        if rid in rels:
            sheets[sheet.get("name")] = rels[rid][1]
    names = {n.get("name"): (n.text or "") for n in root.findall("m:definedNames/m:definedName", NS)}
    tables = {}
    for sheet_name, sheet_part in sheets.items():
        for kind, part in _rels(package, sheet_part).values():
            if kind != TABLE_REL or part not in package.NameToInfo:
                continue
            node = _parse(package, part)
            columns = tuple(c.get("name", "") for c in node.findall("m:tableColumns/m:tableColumn", NS))
            name = node.get("name") or node.get("displayName")
            ref = node.get("ref") or ""
            if not name or not re.fullmatch(r"\$?[A-Za-z]{1,3}\$?\d{1,7}(:\$?[A-Za-z]{1,3}\$?\d{1,7})?", ref):
                raise PackageError(f"{part}: table without a name or a range", "damaged_part", part=part,
                                   error=f"{part}: name={name!r} ref={ref!r}"[:160])
            start, _, end = ref.partition(":")
            last_row, last_col = cell_position(end or start)
            if last_row >= EXCEL_ROWS or last_col >= EXCEL_COLUMNS:
                raise PackageError(f"table {name} reaches {end or start}", "sheet_beyond_excel", sheet=sheet_name,
                                   cell=(end or start).upper())
            try:
                totals = int(node.get("totalsRowCount") or 0)
            except ValueError:
                totals = 0
            tables[name.lower()] = TablePart(name, sheet_name, sheet_part, part, ref, columns, totals)
    return Index(sheets, tables, names)


# --- writing -------------------------------------------------------------------------------

def _local_header_size(handle, info: zipfile.ZipInfo) -> int:
    handle.seek(info.header_offset)
    header = handle.read(30)
    if header[:4] != b"PK\x03\x04":
        raise PackageError(f"damaged zip entry {info.filename}")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return 30 + name_length + extra_length


CALC_CHAIN = "xl/calcChain.xml"


def workbook_updates(package: zipfile.ZipFile, changed: dict[str, bytes] | None = None) \
        -> tuple[dict[str, bytes], set[str]]:
    """Parts to change whenever sheets are rewritten: recalculate everything on load (the
    Control sheet's formulas read the tables), and drop Excel's formula cache list, which
    may name cells a rewrite removed (Excel rebuilds it). `changed` holds parts already
    changed in this save (a new sheet's workbook.xml)."""
    changed = changed or {}
    replaced: dict[str, bytes] = {}
    workbook = changed.get("xl/workbook.xml") or package.read("xl/workbook.xml")
    if not re.search(rb'<calcPr\b[^>]*fullCalcOnLoad="(1|true)"', workbook):
        if re.search(rb"<calcPr\b", workbook):
            workbook = re.sub(rb"<calcPr\b", b'<calcPr fullCalcOnLoad="1"', workbook, count=1)
        else:
            workbook = workbook.replace(b"</workbook>", b'<calcPr fullCalcOnLoad="1"/></workbook>')
        replaced["xl/workbook.xml"] = workbook
    removed: set[str] = set()
    if CALC_CHAIN in package.NameToInfo:
        removed.add(CALC_CHAIN)
        rels = changed.get("xl/_rels/workbook.xml.rels") or package.read("xl/_rels/workbook.xml.rels")
        replaced["xl/_rels/workbook.xml.rels"] = re.sub(rb"<Relationship\b[^>]*calcChain[^>]*/>", b"", rels)
        types = changed.get("[Content_Types].xml") or package.read("[Content_Types].xml")
        replaced["[Content_Types].xml"] = re.sub(rb"<Override\b[^>]*calcChain[^>]*/>", b"", types)
    return replaced, removed


def write_package(source: str, target: str, replaced: dict, removed: frozenset[str] = frozenset()) -> None:
    """Copy `source` to `target`, replacing the parts in `replaced` (bytes, or a function giving
    the part's bytes in pieces) and leaving out `removed`; the others are copied raw."""
    with zipfile.ZipFile(source) as original, open(source, "rb") as raw, \
            zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in original.infolist():
            if info.filename in replaced or info.filename in removed:
                continue
            start = info.header_offset + _local_header_size(raw, info)
            raw.seek(start)
            data = raw.read(info.compress_size)
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr = info.external_attr
            copy.create_system = info.create_system
            copy.flag_bits = info.flag_bits & 0x800  # keep only the UTF-8 name flag
            copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
            _write_raw(out, copy, data)
        for name, data in replaced.items():
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if callable(data):  # a sheet made while it is written, piece by piece
                with out.open(info, "w", force_zip64=True) as stream:
                    for piece in data():
                        stream.write(piece)
            else:
                out.writestr(info, data)


def _write_raw(out: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> None:
    """Append an already-compressed entry (zipfile has no public API for this)."""
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    info.header_offset = out.fp.tell()
    out.fp.write(info.FileHeader(zip64))
    out.fp.write(data)
    out.start_dir = out.fp.tell()
    out.filelist.append(info)
    out.NameToInfo[info.filename] = info
    out._didModify = True


def save_atomically(path: str, build, backup: str | None) -> None:
    """`build(tmp_path)` writes the new file; then the old one becomes `backup` and tmp replaces it.

    A save killed halfway leaves the old file and at most its temporary file `.~NAME.PID.tmp`,
    which the next successful save removes (`remove_stale_temps`)."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".~{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        build(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if backup:
            backup_tmp = backup + ".tmp"
            try:
                shutil.copy2(path, backup_tmp)
                with open(backup_tmp, "rb+") as handle:  # on disk before it replaces the previous backup
                    os.fsync(handle.fileno())
                os.replace(backup_tmp, backup)
            finally:
                if os.path.exists(backup_tmp):
                    with contextlib.suppress(OSError):  # never hide why the save failed
                        os.remove(backup_tmp)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
        try:
            _sync_folder(folder)
        except OSError:
            pass  # the rename is done; some network file systems cannot sync a folder
        remove_stale_temps(path)
    finally:
        if os.path.exists(tmp):
            with contextlib.suppress(OSError):
                os.remove(tmp)


def remove_stale_temps(path: str) -> list[str]:
    """Remove the temporary files `.~NAME.PID.tmp` that saves of `path` left when they were
    killed halfway, those of processes that no longer run; returns their names."""
    folder, name = os.path.split(os.path.abspath(path))
    pattern = re.compile(rf"\.~{re.escape(name)}\.(\d{{1,10}})\.tmp")
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for entry in entries:
        match = pattern.fullmatch(entry)
        if not match or int(match.group(1)) == os.getpid():
            continue
        if os.name == "posix":  # on Windows a file that a running save still writes cannot be removed
            try:
                os.kill(int(match.group(1)), 0)
                continue  # that process still runs: its save may be under way
            except (ProcessLookupError, OverflowError):
                pass
            except OSError:  # it runs, as another user
                continue
        try:
            os.remove(os.path.join(folder, entry))
        except OSError:
            continue
        removed.append(entry)
    return removed


def _sync_folder(folder: str) -> None:
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
