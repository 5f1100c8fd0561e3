"""Reading a large Bills table through the file host, side by side with a raw python-calamine
read of the same range (the anchor: the fastest way to get the cells out of the file).

    python bench/read_table.py [--quick] [--rows N]

Ours includes everything a job gets: locating the table, typing every column (money to
exact fen, dates, choices to codes), checking required and unique columns. Last line:
ratio=<ours/anchor>.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import python_calamine

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import timing  # noqa: E402
from workbook import build, filehost, layout  # noqa: E402


def bills(rows: int, seed: int = 1) -> pd.DataFrame:
    random = np.random.default_rng(seed)
    customers = rows // 36 + 1
    period_index = np.arange(rows) % 12
    periods = np.array([f"2026-{m + 1:02d}" for m in range(12)])[period_index]
    bill_dates = pd.to_datetime([f"2026-{m + 1:02d}-01" for m in range(12)])[period_index]
    amounts = random.integers(1_000, 500_000, rows)
    return pd.DataFrame({
        "BillID": [f"B{p.replace('-', '')}{i:07d}" for i, p in enumerate(periods)],
        "CustomerID": [f"C{c:06d}" for c in random.integers(1, customers + 1, rows)],
        "Period": periods,
        "FeeItem": np.array(["water", "electricity", "property"])[np.arange(rows) % 3],
        "BillDate": bill_dates,
        "DueDate": bill_dates + pd.Timedelta(days=15),
        "Quantity": np.round(random.gamma(3, 6, rows), 1),
        "Amount": pd.array(amounts, dtype="Int64"),
        "PaidAmount": pd.array(np.where(random.random(rows) < 0.8, amounts, 0), dtype="Int64"),
        "Status": np.array(["paid", "open", "partial"])[random.choice(3, rows, p=[0.8, 0.15, 0.05])],
        "Note": None,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 rows, one repeat (under a minute)")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    rows = args.rows or (50_000 if args.quick else 200_000)
    repeat = args.repeat or (1 if args.quick else 3)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "FeeDesk.xlsm")
        frame = bills(rows)
        started = time.perf_counter()
        build.build(path, "zh", {"Bills": frame})
        write_seconds = time.perf_counter() - started
        sheet = layout.table("Bills").sheet_name("zh")
        columns = len(layout.table("Bills").columns)

        def ours():
            with filehost.FileBook(path, writable=False) as book:
                result = book.read("Bills")
                assert not book.read_problems, book.read_problems[:3]
                return result

        def anchor():
            values = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name(sheet).to_python(
                skip_empty_area=False, nrows=rows + 1)
            return [row[:columns] for row in values[1:rows + 1]]

        anchor_seconds, raw = timing.median_time(anchor, repeat)
        ours_seconds, typed = timing.median_time(ours, repeat)
        assert len(typed) == len(raw) == rows
        assert int(typed["Amount"].sum()) == int(frame["Amount"].sum())
        size = os.path.getsize(path) / 1e6

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, pandas {pd.__version__}")
    print(f"Bills table: {rows:,} rows x {columns} columns, file {size:.1f} MB, written in {write_seconds:.2f} s")
    print(f"{'reader':<44}{'seconds':>10}{'rows/s':>14}")
    print(f"{'ours: FileBook.read (typed, checked)':<44}{ours_seconds:>10.2f}{rows / ours_seconds:>14,.0f}")
    print(f"{'anchor: python-calamine to_python, raw':<44}{anchor_seconds:>10.2f}{rows / anchor_seconds:>14,.0f}")
    print(f"ratio={ours_seconds / anchor_seconds:.2f}")


if __name__ == "__main__":
    main()
