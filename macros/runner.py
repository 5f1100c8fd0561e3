"""Run a job on a Book: the same code behind the Excel buttons and the command line.

The runner owns what every job shares: reading settings, turning a programming error into
one clear Problem (never a traceback in the officer's face), writing the Problems table,
appending an Audit row and saving once at the end.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import importlib
import time
import traceback

import pandas as pd

from feedesk import problems, settings as settings_module
from workbook import filehost, layout, registry
from workbook.book import BookError


@dataclasses.dataclass(frozen=True)
class Report:
    job: str
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    problems: tuple[problems.Problem, ...] = ()
    written: tuple[str, ...] = ()
    status: str = "ok"  # ok | problems | failed
    seconds: float = 0.0
    note: str = ""
    steps: tuple["Report", ...] = ()  # the reports of the jobs a job ran in turn (the month's close)

    @property
    def errors(self) -> int:
        return sum(p.blocking for p in self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors


def require_settings(book, *keys: str) -> list[problems.Problem]:
    """A blank-setting Problem for each of `keys` (e.g. AsOfDate, Period) the job cannot run without."""
    record = book.settings()
    found = []
    for key in keys:
        if getattr(record, settings_module.FIELDS[key]) in (None, ""):
            found.append(problems.make("blank_required", book.lang, sheet=book.sheet_name("Settings"),
                                       column=layout.SETTINGS_BY_KEY[key].label(book.lang)))
    return found


def resolve(job: registry.Job):
    module, _, name = job.entry.partition(":")
    return getattr(importlib.import_module(module), name)


def execute(book, job: registry.Job, digest: str = "") -> Report:
    """Run `job` on `book`, record Problems and Audit in it (the caller saves)."""
    started = time.perf_counter()
    book.params.setdefault("digest", digest)
    try:
        book.prefetch(job.reads)
        result = resolve(job)(book)
        found = tuple(book.locate(dataclasses.replace(p, job=p.job or job.key)) for p in result.problems)
        status = "problems" if problems.has_blocking(found) else "ok"
        seconds = round(time.perf_counter() - started, 3)
        book.write("Problems", problems_frame(found))
        book.append("Audit", audit_frame(job.key, digest, status, result.counts, len(found), seconds, result.note))
    except BookError:
        raise
    except Exception as error:  # a programming error: report it, change nothing
        book.discard()  # what earlier steps of a longer run wrote is not saved either
        return failed(job, book.lang, error, time.perf_counter() - started)
    return dataclasses.replace(result, job=job.key, problems=found, status=status, seconds=seconds,
                               written=tuple(dict.fromkeys((*result.written, "Problems", "Audit"))))


def failed(job: registry.Job, lang: str, error: Exception, seconds: float = 0.0) -> Report:
    """One clear Problem for an unexpected error; the traceback goes to the note, not the officer."""
    problem = problems.make("internal_error", lang, error=f"{type(error).__name__}: {error}")
    return Report(job.key, problems=(dataclasses.replace(problem, job=job.key),), status="failed",
                  seconds=round(seconds, 3), note=traceback.format_exc(limit=5))


def run_file(job_key: str, path: str, lang: str | None = None, progress=None, params: dict | None = None) -> Report:
    """Run a job headless on a workbook file and save it atomically."""
    job = registry.job(job_key)
    try:
        with filehost.FileBook(path, lang=lang, progress=progress, params=params) as book:
            report = execute(book, job, file_digest(path))
            if report.status != "failed":
                book.commit()
            return report
    except BookError as error:
        return Report(job.key, problems=(dataclasses.replace(error.problem, job=job.key),), status="failed")
    except Exception as error:  # never a traceback in the officer's face; the file is unchanged
        return failed(job, lang or "zh", error)


def file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def problems_frame(found) -> pd.DataFrame:
    return pd.DataFrame({
        "Severity": [p.severity for p in found],
        "Sheet": [p.sheet for p in found],
        "Row": pd.array([p.row for p in found], dtype="Int64"),
        "Column": [p.column for p in found],
        "Value": [p.value for p in found],
        "Code": [p.code for p in found],
        "Message": [p.message for p in found],
        "Job": [p.job for p in found],
    })


def audit_frame(job: str, digest: str, status: str, counts: dict, problem_count: int, seconds: float,
                note: str = "") -> pd.DataFrame:
    rows = int(counts.get("rows", 0))
    return pd.DataFrame({
        "Time": [pd.Timestamp(filehost.now_for_audit())],
        "User": [_user()],
        "Job": [job],
        "InputDigest": [digest],
        "Status": [status],
        "Rows": pd.array([rows], dtype="Int64"),
        "Problems": pd.array([problem_count], dtype="Int64"),
        "Seconds": [seconds],
        "Note": [note or None],
    })


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
