"""The month's close of a large desk, step by step: time and peak memory, ours side by side with
the same eight jobs run one at a time (the anchor: what an officer clicking the buttons in order
gets, each job opening, reading and saving the workbook).

    python bench/month_close.py [--quick] [--customers N] [--months N] [--keep DIR] [--no-anchor]

Data: `feedesk demo`'s sample (`sample.make`, seed 7) for 100,000 customers over 12 months
(`--quick`: 10,000), built into a master workbook (not timed; tables longer than a sheet continue
on "账单 (2)" ...). Ours: `runner.run_file("month_close", BOOK)` on a copy, in a child process,
its peak resident memory sampled every 20 ms and split by step, the file's save included. Anchor:
the eight jobs run one by one with `runner.run_file` on another copy, in another child process.
Both must end with the same bills, allocations and aging (asserted: totals to the fen).
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
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--keep", help="build the workbook here (or reuse the one there)")
    parser.add_argument("--no-anchor", action="store_true", help="time the close only")
    args = parser.parse_args()
    customers = args.customers or (10_000 if args.quick else 100_000)

    from feedesk import sample
    from workbook import build

    folder = args.keep or tempfile.mkdtemp(prefix="feedesk-close-")
    os.makedirs(folder, exist_ok=True)
    source = os.path.join(folder, f"close-{customers}x{args.months}.xlsm")
    if not os.path.exists(source):
        started = time.perf_counter()
        data = sample.make(customers=customers, months=args.months, seed=7)
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
    anchor = None
    if not args.no_anchor:
        anchor_path = os.path.join(folder, "anchor.xlsm")
        shutil.copy(source, anchor_path)
        anchor = in_child(_one_by_one, anchor_path)
        assert totals(ours_path) == totals(anchor_path), "the close and the jobs one by one differ"

    print(f"\nmachine: {os.cpu_count()} cores, Python {platform.python_version()}; {customers:,} customers x "
          f"{args.months} months")
    print(f"{'step':<12} {'close (s)':>10} {'peak GB':>8} {'one by one (s)':>15} {'peak GB':>8}")
    for step in [*ours["steps"]]:
        ours_peak = ours["peaks"].get(step if step != "read + save" else "save", 0) / 1e9
        anchor_s = anchor["steps"].get(step) if anchor else None
        anchor_peak = anchor["peaks"].get(step, 0) / 1e9 if anchor else 0
        print(f"{step:<12} {ours['steps'][step]:>10.1f} {ours_peak:>8.2f} "
              f"{'' if anchor_s is None else f'{anchor_s:.1f}':>15} {anchor_peak if anchor else 0:>8.2f}")
    peak = max(ours["peaks"].values()) / 1e9
    print(f"{'total':<12} {ours['total']:>10.1f} {peak:>8.2f} "
          f"{anchor['total'] if anchor else 0:>15.1f} {max(anchor['peaks'].values()) / 1e9 if anchor else 0:>8.2f}")
    print(f"target: close under 300 s ({'met' if ours['total'] < 300 else 'NOT met'}), "
          f"peak under 6 GB ({'met' if peak < 6 else 'NOT met'})")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"ratio={ours['total'] / anchor['total']:.2f}" if anchor else "ratio=nan")


if __name__ == "__main__":
    main()
