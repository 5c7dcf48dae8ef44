"""The benchmark's progress bar: a tqdm bar weighted by matrix size, with a per-method ETA."""

from __future__ import annotations

import functools
import math
import sys
import time

__all__ = ["Progress"]


@functools.cache
def _bar_class():
    """tqdm (imported on first use: only a drawn bar needs it) with two more ``bar_format``
    fields, in the way tqdm's documentation extends ``format_dict``: ``steps`` (steps done /
    steps in all; the bar itself counts weight) and ``eta_left`` (:meth:`Progress.eta`)."""
    from tqdm import tqdm  # noqa: PLC0415

    class Bar(tqdm):
        def __init__(self, progress, **kwargs):
            self.progress = progress
            super().__init__(**kwargs)

        @property
        def format_dict(self):
            d = super().format_dict
            p = self.progress
            eta = p.eta()
            d["steps"] = f"{p.done}/{p.total}"
            d["eta_left"] = (f" eta ~{eta:.0f}s" if p.done_weight < p.total_weight
                             and math.isfinite(eta) else "")
            return d
    return Bar


class Progress:
    """A progress bar on stderr, advanced once per coloring, drawn by tqdm.

    Each step has a weight (its matrix's :attr:`Matrix.cost`) and a kind (its method); the
    bar shows the fraction of the weight done. The estimate of the time left charges each
    kind's remaining weight at the seconds per weight that kind has taken so far (the
    overall rate for a kind not yet seen), so a slow method is not priced like a fast one
    and small matrices first do not promise an early end; none is shown before 1 % of the
    weight is done. :meth:`start` names the step under way before it runs. On a terminal the
    bar redraws one line; otherwise (logs, pipes, tests) it prints a line every 10 % of the
    weight. ``enabled=False`` silences it (and needs no tqdm).
    """

    def __init__(self, total: int, *, weights: dict | None = None, stream=None,
                 width: int = 30, enabled: bool = True):
        self.total = max(int(total), 1)
        self.left = dict(weights) if weights else {None: float(self.total)}
        self.total_weight = max(sum(self.left.values()), 1e-300)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.done = 0
        self.done_weight = 0.0
        self._last = time.perf_counter()
        self._spent = {}          # kind -> [seconds, weight] of the timed steps done
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = -1
        self._bar = None
        if enabled:
            # off a terminal, tqdm never draws by itself (delay=inf): update() prints lines
            self._bar = _bar_class()(
                self, total=self.total_weight, file=self.stream, ascii=".#", disable=False,
                delay=0 if self._tty else math.inf, dynamic_ncols=self._tty,
                bar_format=(f"[{{bar:{width}}}] {{steps}} {{percentage:3.0f}}% "
                            "{elapsed_s:6.1f}s{eta_left}  {desc}"))

    def eta(self) -> float:
        """Estimated seconds left (NaN before 1 % of the weight is done)."""
        if self.done_weight < 0.01 * self.total_weight:
            return float("nan")
        seconds = sum(t for t, _ in self._spent.values())
        weight = sum(w for _, w in self._spent.values())
        overall = seconds / weight if weight > 0 else 0.0
        rate = {k: (t / w if w > 0 else overall) for k, (t, w) in self._spent.items()}
        return sum(left * rate.get(k, overall) for k, left in self.left.items())

    def start(self, label: str):
        """Show (on a terminal) that the step ``label`` is under way; its time starts now."""
        self._last = time.perf_counter()
        if self._bar is not None and self._tty:
            self._bar.set_description_str(label + " ...")

    def update(self, label: str = "", step: int = 1, weight: float | None = None, kind=None,
               timed: bool = True):
        """Count ``step`` finished steps of total ``weight`` (default ``step``) and ``kind``;
        ``timed=False`` for skipped steps (their time says nothing of the rate)."""
        weight = float(step if weight is None else weight)
        now = time.perf_counter()
        if timed:
            spent = self._spent.setdefault(kind, [0.0, 0.0])
            spent[0] += now - self._last
            spent[1] += weight
        self._last = now
        if kind in self.left:
            self.left[kind] = max(self.left[kind] - weight, 0.0)
        self.done += step
        self.done_weight += weight
        if self._bar is None:
            return
        self._bar.n = min(self.done_weight, self.total_weight)
        self._bar.desc = label
        if self._tty:
            self._bar.refresh()
            return
        decile = int(10 * min(self.done_weight / self.total_weight, 1.0))
        if decile != self._last_decile or self.done >= self.total:
            self._last_decile = decile
            self.stream.write(f"{self._bar}\n")
            self.stream.flush()

    def close(self):
        if self._bar is not None:
            self._bar.close()
