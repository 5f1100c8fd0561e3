"""The file host: a FeeDesk workbook on disk, read with python-calamine, written part by part.

Opening takes a lock (a second run on the same file is refused) and refuses a file that Excel
has open, a read-only file or a file that is not a workbook, each with a clear Problem.
Writes are buffered and land in one atomic save on `commit`; a failed run never touches the
input file, and the previous file is kept as a backup.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import stat
import zipfile

import pandas as pd
import python_calamine

from feedesk import problems, settings
from workbook import layout, package, sheetxml, tables
from workbook.book import BookError

BACKUP_SUFFIX = ".bak"


def backup_path(path: str) -> str:
    stem, ext = os.path.splitext(path)
    return f"{stem}{BACKUP_SUFFIX}{ext}"


def lock_path(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".~feedesk-{name}.lock")


class FileBook:
    def __init__(self, path: str, *, lang: str | None = None, writable: bool = True, progress=None):
        self.path = os.path.abspath(path)
        self.read_problems: list[problems.Problem] = []
        self._progress = progress
        self._pending: dict[str, pd.DataFrame] = {}
        self._lock = None
        shown = os.path.basename(path)
        self.lang = lang or "zh"
        if not os.path.exists(self.path):
            raise BookError(problems.make("file_missing", self.lang, file=shown))
        if writable:
            self._check_writable(shown)
            self._lock = _take_lock(self.path, shown, self.lang)
        try:
            with package.open_zip(self.path) as archive:
                self.index = package.read_index(archive)
            self._calamine = python_calamine.CalamineWorkbook.from_path(self.path)
        except (package.PackageError, zipfile.BadZipFile, python_calamine.CalamineError, OSError) as error:
            self.close()
            raise BookError(problems.make("not_a_workbook", self.lang, file=shown)) from error
        self.lang = lang or self._detect_language()
        self._settings: settings.Settings | None = None

    # -- the Book protocol ----------------------------------------------------------------

    def sheet_name(self, table: str) -> str:
        part = self.index.tables.get(table.lower())
        return part.sheet if part else layout.table(table).sheet_name(self.lang)

    def read(self, table: str) -> pd.DataFrame:
        spec = layout.table(table)
        part = self.index.tables.get(table.lower())
        if part is None:
            self.read_problems.append(problems.make(
                "missing_table", self.lang, sheet=spec.sheet_name(self.lang), table=table))
            return tables.empty_frame(spec)
        header, rows, first_row = self._raw(part)
        result = tables.type_table(spec, header, rows, first_row, self.lang, part.sheet)
        self.read_problems.extend(result.problems)
        return result.frame

    def write(self, table: str, frame: pd.DataFrame) -> None:
        spec = layout.table(table)
        if spec.role is not layout.Role.OUTPUT:
            raise ValueError(f"jobs never write input table {table}")
        self._pending[table] = frame

    def append(self, table: str, frame: pd.DataFrame) -> None:
        existing = self._pending.get(table)
        if existing is None:
            existing = self.read(table)
        self._pending[table] = pd.concat([existing, frame], ignore_index=True) if len(existing) else frame

    def settings(self) -> settings.Settings:
        if self._settings is None:
            self._settings = self._read_settings()
        return self._settings

    def progress(self, done: int, total: int, text: str) -> None:
        if self._progress:
            self._progress(done, total, text)

    # -- saving ---------------------------------------------------------------------------

    def commit(self) -> list[str]:
        """Write all pending tables in one atomic save; returns the tables written."""
        if not self._pending:
            return []
        for table in self._pending:
            if table.lower() not in self.index.tables:
                raise BookError(problems.make("missing_table", self.lang,
                                              sheet=layout.table(table).sheet_name(self.lang), table=table))
        replaced = render_tables(self.path, self.index, self._pending, self.lang, self.progress)
        shown = os.path.basename(self.path)
        try:
            package.save_atomically(self.path, lambda tmp: package.write_package(self.path, tmp, replaced),
                                    backup_path(self.path))
        except OSError as error:
            raise BookError(problems.make("save_failed", self.lang, file=shown, error=error.strerror or error)) \
                from error
        written = list(self._pending)
        self._pending.clear()
        return written

    def close(self) -> None:
        if self._lock is not None:
            _release_lock(self._lock)
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- helpers --------------------------------------------------------------------------

    def _check_writable(self, shown: str) -> None:
        folder, name = os.path.split(self.path)
        for owner in (f"~${name}", f".~lock.{name}#"):
            if os.path.exists(os.path.join(folder, owner)):
                raise BookError(problems.make("file_locked", self.lang, file=shown, why=owner))
        mode = os.stat(self.path).st_mode
        if not mode & stat.S_IWUSR or not os.access(self.path, os.W_OK):
            raise BookError(problems.make("read_only", self.lang, file=shown))

    def _raw(self, part: package.TablePart):
        r0, c0, r1, c1 = part.bounds
        sheet = self._calamine.get_sheet_by_name(part.sheet)
        values = sheet.to_python(skip_empty_area=False, nrows=r1 + 1)
        width = c1 - c0 + 1
        block = values[r0:r1 + 1]
        if c0 != 0 or any(len(row) != width for row in block[:1]) or (block and len(block[-1]) != width):
            block = [row[c0:c1 + 1] for row in block]
            block = [row + [""] * (width - len(row)) if len(row) < width else row for row in block]
        if not block:
            return list(part.columns), [], r0 + 2
        return block[0], block[1:], r0 + 2

    def _detect_language(self) -> str:
        return "en" if layout.CONTROL_SHEET["en"] in self.index.sheets else "zh"

    def _read_settings(self) -> settings.Settings:
        frame = self.read("Settings")
        values = {}
        for row, key, value in zip(frame.index, frame["Key"], frame["Value"]):
            if isinstance(key, str) and key:
                values[key] = (row, None if pd.isna(value) else value)
        record, found = tables.type_settings(values, self.lang, self.sheet_name("Settings"))
        self.read_problems.extend(found)
        return record


def render_tables(path: str, index: package.Index, frames: dict[str, pd.DataFrame], lang: str,
                  progress=None) -> dict[str, bytes]:
    """The new XML parts (sheet and table) that hold `frames` in the tables of the file at `path`."""
    replaced: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as archive:
        for done, (table, frame) in enumerate(frames.items()):
            if progress:
                progress(done, len(frames), layout.table(table).sheet_name(lang))
            part = index.tables[table.lower()]
            sheet_xml = replaced.get(part.sheet_part) or archive.read(part.sheet_part)
            columns = tables.to_sheet_columns(layout.table(table), frame, lang)
            new_sheet, new_table, _ = sheetxml.rewrite(sheet_xml, archive.read(part.part), part, columns, len(frame))
            replaced[part.sheet_part] = new_sheet
            replaced[part.part] = new_table
    if progress:
        progress(len(frames), len(frames), "")
    return replaced


def fill_tables(path: str, frames: dict[str, pd.DataFrame], lang: str, progress=None) -> None:
    """Write typed frames into any tables of a workbook file (used to fill a new workbook)."""
    with package.open_zip(path) as archive:
        index = package.read_index(archive)
    replaced = render_tables(path, index, frames, lang, progress)
    package.save_atomically(path, lambda tmp: package.write_package(path, tmp, replaced), backup=None)


def _take_lock(path: str, shown: str, lang: str):
    """An OS lock on a side file: released by the OS if the process dies, removed on release."""
    target = lock_path(path)
    for _ in range(5):
        handle = open(target, "a+")
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise BookError(problems.make("file_locked", lang, file=shown, why="feedesk")) from None
        try:
            same = os.path.samestat(os.fstat(handle.fileno()), os.stat(target))
        except FileNotFoundError:
            same = False
        if same:  # not a file that its holder unlinked while we waited
            return handle
        handle.close()
    raise BookError(problems.make("file_locked", lang, file=shown, why="feedesk"))


def _lock(handle) -> None:
    if os.name == "nt":
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _release_lock(handle) -> None:
    with contextlib.suppress(OSError):
        if os.name != "nt":  # Windows cannot remove an open file; the lock file stays there
            os.remove(handle.name)
    with contextlib.suppress(OSError):
        handle.close()


def now_for_audit() -> datetime.datetime:
    """Wall-clock time for the Audit log only (the core never reads the clock)."""
    return datetime.datetime.now().replace(microsecond=0)
