"""LibreOffice, headless, for what officers print: one sheet of the workbook as a PDF.

LibreOffice keeps the values cached in a file, so it runs with a private profile that forces a
full recalculation on load (registrymodifications.xcu beside this module). The workbook itself
is never touched: a copy with every other sheet hidden is converted.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import zipfile

HERE = pathlib.Path(__file__).parent


class OfficeError(Exception):
    """LibreOffice is missing or could not convert."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def profile_uri(folder: str) -> str:
    """A private LibreOffice profile in `folder` (forcing recalculation on load), as a URI."""
    return _profile(pathlib.Path(folder))


def _profile(folder: pathlib.Path) -> str:
    user = folder / "profile" / "user"
    user.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "libreoffice" / "registrymodifications.xcu", user / "registrymodifications.xcu")
    return (folder / "profile").resolve().as_uri()


def only_sheet(source: str, target: str, sheet: str) -> None:
    """Copy `source` to `target` with every sheet but `sheet` hidden and `sheet` the active one."""
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        entries = re.findall(r"<sheet\b[^>]*/>", workbook)
        position = next((i for i, e in enumerate(entries) if f'name="{_xml(sheet)}"' in e), None)
        if position is None:
            raise OfficeError(f"no sheet named {sheet!r}")
        for i, entry in enumerate(entries):
            plain = re.sub(r'\sstate="[^"]*"', "", entry)
            changed = plain if i == position else plain.replace("<sheet ", '<sheet state="hidden" ', 1)
            workbook = workbook.replace(entry, changed, 1)
        workbook = re.sub(r'activeTab="\d+"', f'activeTab="{position}"', workbook)
        if "activeTab=" not in workbook:
            workbook = workbook.replace("<workbookView ", f'<workbookView activeTab="{position}" ', 1)
        workbook = re.sub(r'firstSheet="\d+"', f'firstSheet="{position}"', workbook)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for name in names:
                data = workbook.encode("utf-8") if name == "xl/workbook.xml" else archive.read(name)
                out.writestr(archive.getinfo(name), data)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_to_pdf(book: str, sheet: str, pdf: str, timeout: int = 300) -> str:
    """Print `sheet` of `book` to `pdf` (recalculated). Returns the PDF's path."""
    program = soffice()
    if program is None:
        raise OfficeError("LibreOffice (soffice) is not installed")
    pdf = os.path.abspath(pdf)
    with tempfile.TemporaryDirectory(prefix="feedesk-pdf-") as folder:
        work = pathlib.Path(folder)
        copy = work / "sheet.xlsm"
        only_sheet(book, str(copy), sheet)
        said = _convert(program, work, "pdf:calc_pdf_Export", [str(copy)], str(work / "out"), timeout)
        made = work / "out" / "sheet.pdf"
        if not made.exists():
            raise OfficeError(f"LibreOffice could not print the sheet: {said}")
        os.makedirs(os.path.dirname(pdf) or ".", exist_ok=True)
        tmp = pdf + ".part"
        shutil.copyfile(made, tmp)
        os.replace(tmp, pdf)
    return pdf


def documents_to_pdf(paths: list[str], out_dir: str) -> tuple[dict[str, str], str]:
    """Word files to PDF beside each other in `out_dir`, in one LibreOffice call (about 0.1 s a page).

    Returns ({document: pdf} for those made, what LibreOffice said). Raises OfficeError when
    LibreOffice is not installed."""
    program = soffice()
    if program is None:
        raise OfficeError("LibreOffice (soffice) is not installed")
    if not paths:
        return {}, ""
    with tempfile.TemporaryDirectory(prefix="feedesk-pdf-") as folder:
        said = _convert(program, pathlib.Path(folder), "pdf", list(paths), out_dir, 120 + 2 * len(paths))
    made = {}
    for path in paths:
        pdf = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + ".pdf")
        if os.path.exists(pdf):
            made[path] = pdf
    return made, said


def _convert(program: str, work: pathlib.Path, target: str, sources: list[str], out_dir: str, timeout: int) -> str:
    """One headless conversion with a private, recalculating profile; what LibreOffice said."""
    try:
        result = subprocess.run(
            [program, f"-env:UserInstallation={_profile(work)}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", out_dir, *sources],
            capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"LibreOffice did not finish within {timeout} s"
    return (result.stderr or result.stdout).strip()
