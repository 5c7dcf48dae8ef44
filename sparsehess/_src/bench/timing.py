"""The one timing rule of the benchmarks: the best of ``repeat`` calls."""

from __future__ import annotations

import math
import time

__all__ = ["best_time"]


def best_time(fn, repeat):
    """``(last result, best seconds)`` of ``max(1, repeat)`` calls of ``fn()``."""
    out, best = None, math.inf
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best
