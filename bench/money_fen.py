"""Converting a million yuan amounts (floats, as Excel stores them) to exact integer fen,
ours side by side with DuckDB casting the same column to DECIMAL(18,2) (the anchor).

    python bench/money_fen.py [--quick] [--rows N]

Both are timed on the same column in one run; the table also counts the rows on which the
anchor differs from the decimal half-up result (amounts like 2.675, stored as
2.67499999..., round down when taken at their binary value). Last line: ratio=<ours/anchor>.
"""

from __future__ import annotations

import argparse
import os
import sys

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import timing  # noqa: E402
from feedesk import money  # noqa: E402


def amounts(rows: int, seed: int = 3) -> np.ndarray:
    """Yuan with up to three decimals (a third of them x.xx5, where rounding is decided)."""
    random = np.random.default_rng(seed)
    thousandths = random.integers(0, 100_000_000, rows)
    thousandths[: rows // 3] = thousandths[: rows // 3] // 10 * 10 + 5
    return thousandths / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    yuan = amounts(rows)
    frame = pd.DataFrame({"yuan": yuan})
    connection = duckdb.connect()
    connection.register("amounts", frame)

    ours_seconds, fen = timing.median_time(lambda: money.yuan_array_to_fen(yuan), 5)
    anchor_seconds, anchor = timing.median_time(
        lambda: connection.execute("SELECT CAST(CAST(yuan AS DECIMAL(18,2)) * 100 AS BIGINT) AS fen FROM amounts")
        .fetchnumpy()["fen"], 5)
    sample = np.random.default_rng(1).choice(rows, 2_000, replace=False)
    assert all(fen[i] == money.yuan_to_fen(float(yuan[i])) for i in sample)
    naive = np.rint(yuan * 100).astype(np.int64)
    print(f"{rows:,} amounts, a third of them on a half fen")
    print(f"{'method':<46}{'seconds':>9}{'rows off by a fen':>20}")
    print(f"{'ours: money.yuan_array_to_fen (exact half-up)':<46}{ours_seconds:>9.3f}{0:>20,}")
    print(f"{'anchor: DuckDB CAST(x AS DECIMAL(18,2))':<46}{anchor_seconds:>9.3f}{int((anchor != fen).sum()):>20,}")
    print(f"{'(for reference) numpy rint(x*100)':<46}{'':>9}{int((naive != fen).sum()):>20,}")
    print(f"ratio={ours_seconds / anchor_seconds:.2f}")


if __name__ == "__main__":
    main()
