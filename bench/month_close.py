"""The month's close of a large desk, step by step: time and peak memory, ours side by side with
python-calamine reading the same workbook's input sheets (the anchor: the least any close must do).

    python bench/month_close.py [--quick] [--customers N] [--months N] [--keep DIR] [--one-by-one]

Data: `feedesk demo`'s sample (`sample.make`, seed 7) for 100,000 customers over 12 months: 1.18
million bills, 3.5 million readings, 1.08 million payments (`--quick`: 10,000 customers over 4
months), built into a master workbook (not timed; tables longer than a sheet continue on "账单 (2)"
...). Ours: `runner.run_file("month_close", BOOK)` on a copy, in a child process, its resident
memory sampled every 20 ms and split by step, the one save included. Anchor: in another child
process, python-calamine's `to_python()` on every sheet holding an input table (the raw cells,
untyped, unchecked). `--one-by-one` also times the eight jobs run one at a time with
`runner.run_file` (what clicking the buttons in order costs: each job opens, reads and saves the
workbook) and checks that both end with the same bills, allocations and aging, to the fen.
Last line: ratio=<ours / anchor>. Targets (issue 08): the close under 300 s and under 6 GB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Sampler:
    """Peak resident memory per stage (the stage is set by a progress callback)."""

    def __init__(self):
        self.stage = "open"
        self.peaks: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.02):
            self.mark()

    def mark(self):
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), rss_bytes())

    def enter(self, stage: str):
        self.mark()
        if stage != self.stage:
            self.stage = stage
            self.started.setdefault(stage, time.perf_counter())
        self.mark()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.mark()


def _close(path: str, queue) -> None:
    from macros import runner
    from macros.jobs import month_close
    from workbook import registry

    labels = {registry.job(k).label("zh"): k for k in month_close.STEPS}
    with Sampler() as sampler:
        def progress(done, total, text):
            if sampler.stage == "save":  # the save's own progress names sheets, some like a job
                return
            step = labels.get(text.split(" · ")[0])
            if step:
                sampler.enter(step if done < total else "save")
        started = time.perf_counter()
        report = runner.run_file("month_close", path, progress=progress)
        total = time.perf_counter() - started
    steps = {s.job: s.seconds for s in report.steps}
    steps["read + save"] = round(total - sum(steps.values()), 3)
    queue.put({"status": report.status, "total": total, "steps": steps, "peaks": sampler.peaks,
               "problems": [p.message for p in report.problems if p.blocking][:3]})


def _one_by_one(path: str, queue) -> None:
    from macros import runner
    from macros.jobs import month_close

    with Sampler() as sampler:
        steps, started = {}, time.perf_counter()
        for key in month_close.STEPS:
            sampler.enter(key)
            began = time.perf_counter()
            report = runner.run_file(key, path)
            steps[key] = round(time.perf_counter() - began, 3)
            if report.status == "failed":
                raise SystemExit(f"{key} failed: {report.problems[:1]}")
        total = time.perf_counter() - started
    queue.put({"status": "ok", "total": total, "steps": steps, "peaks": sampler.peaks})


def _raw_read(path: str, queue) -> None:
    import python_calamine

    from workbook import package, registry

    with Sampler() as sampler:
        started = time.perf_counter()
        with package.open_zip(path) as archive:
            index = package.read_index(archive)
        inputs = {t.lower() for t in registry.INPUTS}
        sheets = sorted({part.sheet for key, part in index.tables.items() if key.split("_")[0] in inputs})
        book = python_calamine.CalamineWorkbook.from_path(path)
        cells = 0
        for sheet in sheets:
            rows = book.get_sheet_by_name(sheet).to_python()
            cells += sum(map(len, rows))
            del rows
        total = time.perf_counter() - started
    queue.put({"status": "ok", "total": total, "steps": {"read": total}, "peaks": sampler.peaks, "cells": cells,
               "sheets": len(sheets)})


def in_child(target, path: str) -> dict:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=target, args=(path, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def totals(path: str) -> dict[str, int]:
    from workbook import filehost

    with filehost.FileBook(path, writable=False) as book:
        bills, allocations, aging = book.read("Bills"), book.read("Allocations"), book.read("Aging")
    return {"bills": len(bills), "billed_fen": int(bills["Amount"].sum()), "allocated_fen":
            int(allocations["Amount"].sum()), "aging_open_fen": int(aging["OpenAmount"].sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 customers")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--months", type=int)
    parser.add_argument("--keep", help="build the workbook here (or reuse the one there)")
    parser.add_argument("--one-by-one", action="store_true", help="also run the eight jobs one at a time")
    args = parser.parse_args()
    customers = args.customers or (10_000 if args.quick else 100_000)
    months = 4 if args.quick and args.months is None else (args.months or 12)

    from feedesk import sample
    from workbook import build

    folder = args.keep or tempfile.mkdtemp(prefix="feedesk-close-")
    os.makedirs(folder, exist_ok=True)
    source = os.path.join(folder, f"close-{customers}x{months}.xlsm")
    if not os.path.exists(source):
        started = time.perf_counter()
        data = sample.make(customers=customers, months=months, seed=7)
        rows = {k: len(v) for k, v in data.tables.items()}
        build.build(source, "zh", data.tables, {**data.settings, "LettersFolder": os.path.join(folder, "letters")})
        del data
        print(f"built {source} in {time.perf_counter() - started:.0f}s: bills {rows['Bills']:,}, usage "
              f"{rows['Usage']:,}, payments {rows['Payments']:,}, bank lines {rows['BankStatement']:,}; "
              f"{os.path.getsize(source) / 1e6:.0f} MB")
    ours_path = os.path.join(folder, "ours.xlsm")
    shutil.copy(source, ours_path)
    ours = in_child(_close, ours_path)
    if ours["status"] == "failed":
        raise SystemExit(f"the close failed: {ours['problems']}")
    anchor = in_child(_raw_read, source)
    stepped = None
    if args.one_by_one:
        stepped_path = os.path.join(folder, "one-by-one.xlsm")
        shutil.copy(source, stepped_path)
        stepped = in_child(_one_by_one, stepped_path)
        assert totals(ours_path) == totals(stepped_path), "the close and the jobs one by one differ"

    print(f"\nmachine: {os.cpu_count()} cores, Python {platform.python_version()}; {customers:,} customers x "
          f"{months} months")
    print(f"{'step':<12} {'close (s)':>10} {'peak GB':>8}" + (f" {'one by one (s)':>15} {'peak GB':>8}" if stepped else ""))
    for step in ours["steps"]:
        line = f"{step:<12} {ours['steps'][step]:>10.1f} {ours['peaks'].get(step if step != 'read + save' else 'save', 0) / 1e9:>8.2f}"
        if stepped:
            line += f" {stepped['steps'].get(step, 0):>15.1f} {stepped['peaks'].get(step, 0) / 1e9:>8.2f}"
        print(line)
    peak = max(ours["peaks"].values()) / 1e9
    line = f"{'total':<12} {ours['total']:>10.1f} {peak:>8.2f}"
    if stepped:
        line += f" {stepped['total']:>15.1f} {max(stepped['peaks'].values()) / 1e9:>8.2f}"
    print(line)
    print(f"anchor: python-calamine reads the {anchor['sheets']} input sheets raw ({anchor['cells']:,} cells) in "
          f"{anchor['total']:.1f} s, peak {max(anchor['peaks'].values()) / 1e9:.2f} GB")
    print(f"target: close under 300 s ({'met' if ours['total'] < 300 else 'NOT met'}), "
          f"peak under 6 GB ({'met' if peak < 6 else 'NOT met'})")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"ratio={ours['total'] / anchor['total']:.2f}")


if __name__ == "__main__":
    main()
