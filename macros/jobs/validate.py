"""The validate job: check every input table and the settings, all problems at once."""

from __future__ import annotations

from feedesk import problems, settings as settings_module
from macros import runner
from macros.jobs import settings_in_range
from workbook import registry, tables

# Tables a desk cannot work without: an empty one is reported (as a warning).
ESSENTIAL = ("Customers", "Tariffs")


def run(book) -> runner.Report:
    job = registry.job("validate")
    book.settings()  # read (and checked) first, so its problems come first
    lang = book.lang
    inputs = [t for t in job.reads if t != "Settings"]
    frames = {}
    for done, key in enumerate(inputs):
        book.progress(done, len(inputs), book.sheet_name(key))
        frames[key] = book.read(key)
    book.progress(len(inputs), len(inputs), "")
    found = list(book.read_problems) + runner.require_settings(book, "AsOfDate", "Period")
    found += settings_in_range(book, *settings_module.LIMITS)
    found += tables.check_references(frames, lang)
    for key in ESSENTIAL:
        if frames[key].empty and not any(p.code == "missing_table" and p.sheet == book.sheet_name(key) for p in found):
            found.append(problems.make("empty_table", lang, sheet=book.sheet_name(key), severity=problems.WARNING,
                                       table=book.sheet_name(key)))
    rows = sum(len(f) for f in frames.values())
    return runner.Report(job.key, counts={"tables": len(frames), "rows": rows}, problems=tuple(found))
