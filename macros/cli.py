"""The `feedesk` command: new workbooks, jobs headless, the demo."""

from __future__ import annotations

import argparse
import os
import sys
import time

from macros import progress, runner
from workbook import registry

EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="feedesk",
        description="FeeDesk 收费运营台: the fee-operations officer's desk in Excel, headless.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    new = commands.add_parser("new", help="write a new, empty master workbook",
                              description="Write a new, empty master workbook (FeeDesk.xlsm).")
    new.add_argument("path", metavar="PATH.xlsm")
    new.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of sheets and headers (zh)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")

    run = commands.add_parser("run", help="run one job on a workbook",
                              description="Run one job on a workbook file and save the results into it. "
                                          "Exit 0: no errors; 1: problems found (listed); 2: the job could not run.")
    runnable = [j.key.replace("_", "-") for j in registry.JOBS if not j.asks_for_file]
    run.add_argument("job", choices=runnable, metavar="JOB", help="one of: " + ", ".join(runnable)
                     + " (imports: feedesk import)")
    run.add_argument("book", metavar="BOOK.xlsm")
    run.add_argument("--limit", type=int, default=50, help="problems to print (default 50; all are in the sheet)")
    run.add_argument("--pdf", metavar="OUT.pdf", help="kpi: also print the Scorecard sheet to this PDF (LibreOffice)")
    run.add_argument("--period", metavar="YYYY-MM", help="kpi: the period to score (default: the settings' period)")
    run.add_argument("--from", dest="from_period", metavar="YYYY-MM",
                     help="kpi: score every period from this one up to the period, filling the history")
    run.add_argument("--customers", metavar="C1,C2", help="letters: only these customers")
    run.add_argument("--region", help="letters: only the customers of this region")
    run.add_argument("--kind", choices=("dunning", "statement", "price_change", "complaint_reply"),
                     help="letters: dunning letters (default), statements of account, price-change notices or "
                          "replies to the complaints resolved in the last 30 days")

    demo = commands.add_parser("demo", help="a workbook filled with sample data, every job run on it",
                               description="Write DIR/FeeDesk.xlsm filled with sample data and run every job.")
    demo.add_argument("dir", nargs="?", default="feedesk-demo", metavar="DIR")
    demo.add_argument("--customers", type=int, default=2000)
    demo.add_argument("--months", type=int, default=12)
    demo.add_argument("--lang", choices=("zh", "en"), default="zh")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--start", default="2026-01", metavar="YYYY-MM", help="first billing period (2026-01)")

    importer = commands.add_parser("import", help="import a statement export into the workbook",
                                   description="Import a WeChat Pay, Alipay or bank statement export into Payments "
                                               "(KIND payments) or Bank statement (KIND bank). Exit codes as for run.")
    importer.add_argument("kind", choices=("payments", "bank"), metavar="KIND", help="payments or bank")
    importer.add_argument("file", metavar="FILE", help="the export: .csv, .xlsx or .zip")
    importer.add_argument("book", metavar="BOOK.xlsm")
    importer.add_argument("--profile", help="an import profile (wechat, alipay, bank_generic or one saved in "
                                            "Import profiles); default: the first whose headers the file has")
    importer.add_argument("--limit", type=int, default=50, help="problems to print (default 50)")

    commands.add_parser("jobs", help="list the jobs", description="List the jobs, in the order of a month's close.")

    args = parser.parse_args(argv)
    return {"new": _new, "run": _run, "import": _import, "demo": _demo, "jobs": _jobs}[args.command](args)


def _new(args) -> int:
    from workbook import build

    if os.path.exists(args.path) and not args.force:
        print(f"{args.path} exists; use --force to overwrite it.", file=sys.stderr)
        return EXIT_FAILED
    build.build(args.path, args.lang)
    print(f"wrote {args.path}")
    return EXIT_OK


def _run(args) -> int:
    params = {key: value for key, value in (("period", args.period), ("from_period", args.from_period),
                                            ("kind", args.kind), ("customers", args.customers),
                                            ("region", args.region)) if value}
    report = runner.run_file(args.job, args.book, progress=progress.Bar(), params=params)
    print_report(report, args.limit)
    code = exit_code(report)
    if args.pdf and code != EXIT_FAILED:
        from macros import office
        from workbook import layout

        job = registry.job(args.job)
        if not job.prints:
            print(f"{job.key} has no sheet to print; --pdf is for: "
                  + ", ".join(j.key for j in registry.JOBS if j.prints), file=sys.stderr)
            return EXIT_FAILED
        try:
            lang = _book_language(args.book)
            office.sheet_to_pdf(args.book, layout.sheet_name(job.prints, lang), args.pdf)
        except office.OfficeError as error:
            print(f"PDF not written: {error}", file=sys.stderr)
            return EXIT_FAILED
        print(f"PDF: {args.pdf}")
    return code


def _book_language(path: str) -> str:
    from workbook import filehost

    with filehost.FileBook(path, writable=False) as book:
        return book.lang


def _import(args) -> int:
    params = {"file": os.path.abspath(args.file), "profile": args.profile}
    report = runner.run_file(f"import_{args.kind}", args.book, progress=progress.Bar(), params=params)
    print_report(report, args.limit)
    return exit_code(report)


def exit_code(report: runner.Report) -> int:
    if report.status == "failed":
        return EXIT_FAILED
    return EXIT_PROBLEMS if report.errors else EXIT_OK


def print_report(report: runner.Report, limit: int = 50, stream=None) -> None:
    stream = stream or sys.stdout
    counts = ", ".join(f"{k} {v:,}" for k, v in report.counts.items())
    print(f"{report.job}: {report.status} in {report.seconds:.1f}s"
          f"{' — ' + counts if counts else ''}; {report.errors} error(s), {report.warnings} warning(s)", file=stream)
    for step in report.steps:  # the month's close: one line per step
        step_counts = ", ".join(f"{k} {v:,}" for k, v in step.counts.items())
        print(f"  {step.job}: {step.status} in {step.seconds:.1f}s{' — ' + step_counts if step_counts else ''}; "
              f"{step.errors} error(s), {step.warnings} warning(s)", file=stream)
    if report.steps and report.note:
        print(f"  {report.note}", file=stream)
    for problem in list(report.problems)[:limit]:
        where = problem.sheet + (f" row {problem.row}" if problem.row is not None else "") + (
            f" [{problem.column}]" if problem.column else "")
        print(f"  {problem.severity:<7} {where}: {problem.message}", file=stream)
    if len(report.problems) > limit:
        print(f"  … {len(report.problems) - limit} more in the Problems sheet", file=stream)


def _demo(args) -> int:
    from macros import demo

    started = time.perf_counter()
    reports = demo.run(args.dir, customers=args.customers, months=args.months, lang=args.lang, seed=args.seed,
                       start=args.start, progress=progress.Bar())
    for report in reports:
        print_report(report, limit=10)
        for step in report.steps:
            if step.note and step.job == "reconcile":  # the matches' precision and recall against the sample's truth
                print(f"  {step.note}")
    print(f"demo: {os.path.join(args.dir, demo.BOOK_NAME)} in {time.perf_counter() - started:.1f}s")
    return max((exit_code(r) for r in reports), default=EXIT_OK)


def _jobs(args) -> int:
    for number, job in enumerate(registry.JOBS, start=1):
        print(f"{number:>2}. {job.key.replace('_', '-'):<14} {job.zh} / {job.en}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
