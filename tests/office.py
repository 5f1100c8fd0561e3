"""LibreOffice and poppler, headless, for the tests: open, recalculate, convert, look."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

HERE = pathlib.Path(__file__).parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _profile(folder: pathlib.Path) -> str:
    """A private profile that forces a full recalculation on load (LibreOffice keeps cached values otherwise)."""
    user = folder / "lo-profile" / "user"
    user.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "libreoffice" / "registrymodifications.xcu", user / "registrymodifications.xcu")
    return (folder / "lo-profile").resolve().as_uri()


def convert(source: os.PathLike, target_format: str, out_dir: os.PathLike, timeout: int = 240) -> pathlib.Path:
    """Convert with soffice (recalculating); returns the converted file. Raises on any failure."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={_profile(out_dir)}", "--headless", "--norestore",
         "--convert-to", target_format, "--outdir", str(out_dir), str(source)],
        capture_output=True, text=True, timeout=timeout)
    stem = pathlib.Path(source).stem
    extension = target_format.split(":")[0]
    converted = out_dir / f"{stem}.{extension}"
    if result.returncode != 0 or not converted.exists():
        raise AssertionError(f"LibreOffice could not convert {source}: rc={result.returncode}\n"
                             f"{result.stdout}\n{result.stderr}")
    return converted


def pdf_text(pdf: os.PathLike, first: int = 1, last: int | None = None) -> str:
    command = ["pdftotext", "-layout", "-f", str(first)]
    if last:
        command += ["-l", str(last)]
    return subprocess.run(command + [str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(pdf: os.PathLike) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_to_png(pdf: os.PathLike, page: int, out_prefix: os.PathLike, dpi: int = 80) -> pathlib.Path:
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(out_prefix)], check=True, capture_output=True)
    return pathlib.Path(f"{out_prefix}.png")
