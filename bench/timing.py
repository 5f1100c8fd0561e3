"""What every benchmark shares: the median of repeated runs of one piece of work."""

from __future__ import annotations

import statistics
import time


def median_time(function, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result
