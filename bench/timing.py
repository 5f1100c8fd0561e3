"""What every benchmark shares: repeated runs of one piece of work, their median and their minimum."""

from __future__ import annotations

import dataclasses
import statistics
import time


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds of each of several runs of the same work."""

    seconds: tuple[float, ...]

    @property
    def best(self) -> float:
        """The fastest run: on a shared machine, the one the other processes disturbed least."""
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def __str__(self) -> str:
        return f"{self.best:.3f} / {self.median:.3f}"


def times(function, repeat: int) -> tuple[Timing, object]:
    """The seconds of `repeat` calls, and the last call's result."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return Timing(tuple(seconds)), result


def median_time(function, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` calls, and the last call's result."""
    timing, result = times(function, repeat)
    return timing.median, result
