"""A terminal progress bar for long work (the Excel host uses the status bar instead)."""

from __future__ import annotations

import sys
import time


class Bar:
    """Redraws one line on a terminal; on a pipe or log, prints each new stage once."""

    def __init__(self, stream=None, width: int = 28):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_text = None
        self._last_draw = 0.0

    def __call__(self, done: int, total: int, text: str) -> None:
        now = time.monotonic()
        if not self.tty:
            if text and text != self._last_text and now - self._last_draw >= 2.0:
                print(f"  … {text} ({done}/{total})", file=self.stream, flush=True)
                self._last_draw = now
            self._last_text = text
            return
        if done < total and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        share = done / total if total else 1.0
        filled = int(share * self.width)
        line = f"\r[{'█' * filled}{'·' * (self.width - filled)}] {share:4.0%} {text[:40]:<40}"
        self.stream.write(line)
        if done >= total:
            self.stream.write("\r" + " " * len(line) + "\r")
        self.stream.flush()
