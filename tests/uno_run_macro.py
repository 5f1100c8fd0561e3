"""Run one macro of a workbook in headless LibreOffice and print a cell's text as JSON.

Run with Debian's /usr/bin/python3 (it has `uno`, from the python3-uno package):

    /usr/bin/python3 tests/uno_run_macro.py BOOK.xlsm [--macro VBAProject.FeeDesk.FeeDeskSelfTest] \
        [--cell FeeDeskSelfTest] [--timeout 120]

prints {"modules": [<modules of the macro's Basic library>], "value": <text of the named cell after
the macro>} and exits 0, or prints {"error": ...} and exits 1. Without --macro it only loads the
book and lists the modules of its VBAProject library. LibreOffice gets a private profile that
allows macros, works on a copy of the book (the input is never saved), listens on a pipe of
its own, and is ended with its whole process group, also on error or timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException

HERE = pathlib.Path(__file__).parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode
MACRO_SETTINGS = """\
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Load" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Executable" oor:op="fuse"><value>true</value></prop></item>
</oor:items>"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book")
    parser.add_argument("--macro", help="Library.Module.Sub of the document's Basic (VBA: VBAProject.Module.Sub)")
    parser.add_argument("--cell", help="defined name of the cell to read afterwards")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="feedesk-uno-") as folder:
            result = run(pathlib.Path(args.book), args.macro, args.cell, pathlib.Path(folder), args.timeout)
    except Exception as error:  # noqa: BLE001 - any failure, UNO's included, is one JSON line for the test
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


def run(book: pathlib.Path, macro: str | None, cell: str | None, folder: pathlib.Path, timeout: float) -> dict:
    copy = folder / book.name
    shutil.copyfile(book, copy)
    pipe = f"feedesk-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    office = subprocess.Popen(
        [SOFFICE, f"-env:UserInstallation={_profile(folder)}", "--headless", "--invisible", "--norestore",
         "--nologo", "--nodefault", "--nofirststartwizard", f"--accept=pipe,name={pipe};urp;"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    watchdog = threading.Timer(timeout, _kill, (office,))  # a hung call ends with LibreOffice
    watchdog.start()
    try:
        desktop = _connect(pipe, office, time.monotonic() + timeout)
        document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(str(copy)), "_blank", 0, (
            _property("Hidden", True), _property("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN)))
        if document is None:
            raise RuntimeError(f"LibreOffice could not load {book}")
        try:
            library = macro.partition(".")[0] if macro else "VBAProject"
            libraries = document.BasicLibraries
            if not libraries.hasByName(library):
                raise RuntimeError(f"no Basic library {library!r}; the document has {libraries.getElementNames()}")
            libraries.loadLibrary(library)
            result = {"modules": sorted(libraries.getByName(library).getElementNames())}
            if macro:
                script = document.getScriptProvider().getScript(
                    f"vnd.sun.star.script:{macro}?language=Basic&location=document")
                script.invoke((), (), ())
            if cell:
                cells = document.NamedRanges.getByName(cell).getReferredCells()
                result["value"] = cells.getCellByPosition(0, 0).getString()
        finally:
            document.close(True)
        try:
            desktop.terminate()
        except DisposedException:
            pass  # the bridge went away as LibreOffice quit
        return result
    finally:
        watchdog.cancel()
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        _kill(office)


def _profile(folder: pathlib.Path) -> str:
    """The tests' profile (recalculate on load, no first-run) plus settings that let macros run."""
    user = folder / "profile" / "user"
    user.mkdir(parents=True)
    settings = (HERE / "libreoffice" / "registrymodifications.xcu").read_text(encoding="utf-8")
    (user / "registrymodifications.xcu").write_text(settings.replace("</oor:items>", MACRO_SETTINGS),
                                                     encoding="utf-8")
    return (folder / "profile").resolve().as_uri()


def _connect(pipe: str, office: subprocess.Popen, deadline: float):
    context = uno.getComponentContext()
    resolver = context.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", context)
    while True:
        try:
            remote = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
        except NoConnectException:
            if office.poll() is not None:
                raise RuntimeError(f"LibreOffice exited with {office.returncode} before it listened")
            if time.monotonic() > deadline:
                raise TimeoutError("LibreOffice did not listen in time")
            time.sleep(0.25)


def _property(name: str, value) -> PropertyValue:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _kill(office: subprocess.Popen) -> None:
    """End LibreOffice's process group (the soffice script and soffice.bin) if anything is left."""
    try:
        os.killpg(office.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        office.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


if __name__ == "__main__":
    sys.exit(main())
