"""Coloring benchmarks: every method x order on each matrix, results as CSV/JSON/Markdown/plots.

Used by ``sparsehess bench`` (see :mod:`sparsehess.cli`); also usable from Python::

    from sparsehess import bench
    matrices = bench.builtin_suite(sizes=(1000,), problems=("banded", "mesh2d"))
    results = bench.run(matrices, methods=("star", "acyclic"), orders=("natural", "best"))
    print(bench.summary_markdown(results))
    bench.write_outputs(results, "bench_out")

Each result is a flat dict (one CSV row): ``matrix, source, rows, cols, nnz, tool, method,
order, chosen_order, colors, lower_bound, time_s, verified, error``. ``tool`` is
``"sparsehess"`` or ``"casadi"`` (``vs=("casadi",)``: CasADi's ``star_coloring`` /
``uni_coloring`` of the same pattern, timed the same way). ``time_s`` is the best of
``repeat`` calls of :func:`sparsehess.color` (canonicalisation, symmetrisation, ordering and
coloring; the numba kernels are loaded/compiled once, before any timing). ``verified`` is the
result of the independent :func:`sparsehess.coloring.check_coloring` (``None`` when skipped).
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .coloring import METHODS, ORDERS, check_coloring, color, load_pattern

__all__ = ["PROBLEMS", "DEFAULT_SIZES", "SYMMETRIC_METHODS", "builtin_suite", "generate",
           "find_matrix_files", "shared_suitesparse_dir", "run", "summary_markdown",
           "write_outputs", "ResultWriter", "Progress", "FIELDS", "DIST2_MAX_WORK",
           "distance2_work"]

PROBLEMS = ("banded", "mesh2d", "mesh3d", "random", "arrowhead")
"""Families of the built-in suite (all square and symmetric)."""

DEFAULT_SIZES = (1_000, 10_000, 100_000)
"""Sizes (number of variables) of the built-in suite."""

SYMMETRIC_METHODS = ("star", "acyclic", "distance1")
"""Methods that need a square pattern."""

FIELDS = ("matrix", "source", "rows", "cols", "nnz", "tool", "method", "order", "chosen_order",
          "effort", "colors", "lower_bound", "time_s", "verified", "error")
"""Columns of the CSV output, in order."""

DIST2_MAX_WORK = 10**8
"""Runs whose distance-2 work exceeds this are skipped (a record with ``error`` says so): the
dynamic column / row orders, and bicoloring's dozens of distance-2 sub-colorings, visit every
pair of entries sharing a row or a column, ``sum(row lengths^2) + sum(column lengths^2)``
steps (``2 n^2`` for an arrowhead of size n, 2·10^10 at 10^5)."""

DIST2_ORDERS = ("smallest_last", "incidence_degree", "dynamic_largest_first", "best")
"""Orders whose column / row colorings update distance-2 degrees pair by pair."""


# --------------------------------------------------------------------------- generated suite
def _pattern(rows, cols, shape) -> sp.csr_array:
    p = sp.csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=shape)
    p.sum_duplicates()
    p.data[:] = 1
    return p


def banded(n: int, half_bandwidth: int = 2) -> sp.csr_array:
    """Symmetric band: ``|i - j| <= half_bandwidth`` (2: pentadiagonal)."""
    offsets = range(-half_bandwidth, half_bandwidth + 1)
    return sp.csr_array(sp.diags_array([np.ones(n - abs(k), np.int8) for k in offsets],
                                       offsets=list(offsets), shape=(n, n), dtype=np.int8))


def _laplacian(sides) -> sp.csr_array:
    """Pattern of the 5-point (2-D) / 7-point (3-D) Laplacian on a grid with these sides."""
    ops = []
    for axis, k in enumerate(sides):
        t = sp.diags_array([np.ones(max(k - 1, 0)), np.ones(k), np.ones(max(k - 1, 0))],
                           offsets=[-1, 0, 1], shape=(k, k))
        term = None
        for other, m in enumerate(sides):
            f = t if other == axis else sp.eye_array(m)
            term = f if term is None else sp.kron(term, f)
        ops.append(term)
    p = sp.csr_array(sum(ops[1:], ops[0]))
    p.data[:] = 1
    return sp.csr_array(p, dtype=np.int8)


def mesh2d(n: int) -> sp.csr_array:
    """5-point stencil on a ``s x s`` grid, ``s = round(sqrt(n))``."""
    s = max(1, round(math.sqrt(n)))
    return _laplacian((s, s))


def mesh3d(n: int) -> sp.csr_array:
    """7-point stencil on a ``s x s x s`` grid, ``s = round(cbrt(n))``."""
    s = max(1, round(n ** (1 / 3)))
    return _laplacian((s, s, s))


def random_symmetric(n: int, avg_degree: int = 8, seed: int = 0) -> sp.csr_array:
    """Symmetric random pattern with the diagonal and about ``avg_degree`` off-diagonals per row."""
    rng = np.random.default_rng(seed)
    ne = n * avg_degree // 2
    i = rng.integers(0, n, ne)
    j = rng.integers(0, n, ne)
    d = np.arange(n)
    return _pattern(np.concatenate([i, j, d]), np.concatenate([j, i, d]), (n, n))


def arrowhead(n: int) -> sp.csr_array:
    """Diagonal plus a dense first row and column."""
    d = np.arange(n)
    z = np.zeros(n, dtype=np.int64)
    return _pattern(np.concatenate([z, d, d]), np.concatenate([d, z, d]), (n, n))


_GENERATORS = {"banded": banded, "mesh2d": mesh2d, "mesh3d": mesh3d,
               "random": random_symmetric, "arrowhead": arrowhead}
_ENTRIES_PER_ROW = {"banded": 5, "mesh2d": 5, "mesh3d": 7, "random": 9, "arrowhead": 3}


def generate(problem: str, n: int) -> sp.csr_array:
    """Pattern of the built-in ``problem`` (one of :data:`PROBLEMS`) with about ``n`` rows."""
    if problem not in _GENERATORS:
        raise ValueError(f"unknown built-in problem {problem!r}; accepted: {', '.join(PROBLEMS)}")
    if n < 1:
        raise ValueError(f"problem size must be positive, got {n}")
    return _GENERATORS[problem](n)


class Matrix:
    """A benchmark input: a name, where it comes from, a lazily loaded pattern and
    ``cost``, a guess of its size (stored entries, or bytes of its file) that weighs it in
    the progress estimate."""

    def __init__(self, name: str, source: str, load, cost: float = 1.0):
        self.name = name
        self.source = source
        self._load = load
        self.cost = float(cost)

    def load(self) -> sp.csr_array:
        return self._load()

    def __repr__(self):
        return f"Matrix({self.name!r}, source={self.source!r})"


def builtin_suite(sizes=DEFAULT_SIZES, problems=PROBLEMS) -> list[Matrix]:
    """The generated suite: each problem family at each size (patterns built on demand)."""
    out = []
    for n in sizes:
        for prob in problems:
            if prob not in _GENERATORS:
                raise ValueError(f"unknown built-in problem {prob!r}; accepted: "
                                 f"{', '.join(PROBLEMS)}")
            out.append(Matrix(f"{prob}-{n}", "builtin",
                              lambda prob=prob, n=n: generate(prob, n),
                              cost=n * _ENTRIES_PER_ROW[prob]))
    return out


PATTERN_SUFFIXES = (".mtx", ".mtx.gz", ".npz")


def _is_pattern_file(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in PATTERN_SUFFIXES)


def _stem(path: Path) -> str:
    name = path.name
    for s in PATTERN_SUFFIXES:
        if name.lower().endswith(s):
            return name[: -len(s)]
    return name


def find_matrix_files(paths) -> list[Matrix]:
    """Matrices named by ``paths``: files as given, folders expanded to their ``.mtx``,
    ``.mtx.gz`` and ``.npz`` files (sorted, not recursive). A path that does not exist raises
    ``FileNotFoundError``; a folder without pattern files raises ``ValueError``."""
    out = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and _is_pattern_file(p))
            if not files:
                raise ValueError(f"{path}: folder holds no .mtx, .mtx.gz or .npz files")
        elif path.exists():
            files = [path]
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        for f in files:
            out.append(Matrix(_stem(f), str(f), lambda f=f: load_pattern(f),
                              cost=max(f.stat().st_size, 1)))
    return out


def shared_suitesparse_dir() -> Path | None:
    """``<repo>/../shared/matrices/suitesparse`` when it exists (the shared SuiteSparse
    matrices next to a source checkout), else ``None``. ``SPARSEHESS_SUITESPARSE`` overrides."""
    env = os.environ.get("SPARSEHESS_SUITESPARSE")
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parents[1]
    candidates.append(repo.parent / "shared" / "matrices" / "suitesparse")
    for c in candidates:
        if c.is_dir():
            return c
    return None


# --------------------------------------------------------------------------------- progress
class Progress:
    """A dependency-free progress bar on stderr, advanced once per coloring.

    Each step has a weight (its matrix's :attr:`Matrix.cost`) and a kind (its method); the
    bar shows the fraction of the weight done. The estimate of the time left charges each
    kind's remaining weight at the seconds per weight that kind has taken so far (the
    overall rate for a kind not yet seen), so a slow method is not priced like a fast one
    and small matrices first do not promise an early end; none is shown before 1 % of the
    weight is done. :meth:`start` names the step under way before it runs. On a terminal it
    redraws one line (``\\r``); otherwise (logs, pipes, tests) it prints a line every 10 % of
    the weight. ``enabled=False`` silences it.
    """

    def __init__(self, total: int, *, weights: dict | None = None, stream=None,
                 width: int = 30, enabled: bool = True):
        self.total = max(int(total), 1)
        self.left = dict(weights) if weights else {None: float(self.total)}
        self.total_weight = max(sum(self.left.values()), 1e-300)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = enabled
        self.done = 0
        self.done_weight = 0.0
        self.begin = self._last = time.perf_counter()
        self._spent = {}          # kind -> [seconds, weight] of the timed steps done
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = -1

    def eta(self) -> float:
        """Estimated seconds left (NaN before 1 % of the weight is done)."""
        if self.done_weight < 0.01 * self.total_weight:
            return float("nan")
        seconds = sum(t for t, _ in self._spent.values())
        weight = sum(w for _, w in self._spent.values())
        overall = seconds / weight if weight > 0 else 0.0
        rate = {k: (t / w if w > 0 else overall) for k, (t, w) in self._spent.items()}
        return sum(left * rate.get(k, overall) for k, left in self.left.items())

    def _line(self, label: str) -> str:
        frac = min(self.done_weight / self.total_weight, 1.0)
        fill = int(round(frac * self.width))
        bar = "#" * fill + "." * (self.width - fill)
        elapsed = time.perf_counter() - self.begin
        eta = self.eta()
        eta_s = f" eta ~{eta:.0f}s" if frac < 1 and math.isfinite(eta) else ""
        return (f"[{bar}] {self.done}/{self.total} {100 * frac:3.0f}% "
                f"{elapsed:6.1f}s{eta_s}  {label}")

    def _draw(self, label: str):
        self.stream.write("\r" + self._line(label[:60]).ljust(120)[:120])
        self.stream.flush()

    def start(self, label: str):
        """Show (on a terminal) that the step ``label`` is under way; its time starts now."""
        self._last = time.perf_counter()
        if self.enabled and self._tty:
            self._draw(label + " ...")

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
        if not self.enabled:
            return
        if self._tty:
            self._draw(label)
        else:
            decile = int(10 * min(self.done_weight / self.total_weight, 1.0))
            if decile != self._last_decile or self.done >= self.total:
                self._last_decile = decile
                self.stream.write(self._line(label) + "\n")
                self.stream.flush()

    def close(self):
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------------------- the runner
def _best_time(fn, repeat):
    out, best = None, math.inf
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def warm_up(methods, orders):
    """Load / compile the numba kernels of every method x order on a tiny pattern, so that
    no benchmark time includes compilation (``"best"`` warms the orders it tries)."""
    from .coloring import BEST_ORDERS

    # a mesh (full diagonal), a diagonal-free hub (star post-processing, long-row kernels)
    hub = arrowhead(130)
    hub.setdiag(0)
    hub.eliminate_zeros()
    tiny = (_laplacian((3, 3)), hub)
    expanded = []
    for o in orders:
        expanded.extend(BEST_ORDERS if o == "best" else [o])
    for m in methods:
        for o in dict.fromkeys(expanded):
            for p in tiny:
                color(p, m, o)


def distance2_work(pattern) -> int:
    """``sum(row lengths^2) + sum(column lengths^2)``: the pairs of entries sharing a row or a
    column, what distance-2 degrees and orders visit."""
    rows = np.diff(pattern.indptr).astype(np.int64)
    cols = np.bincount(pattern.indices, minlength=pattern.shape[1]).astype(np.int64)
    return int(rows @ rows + cols @ cols)


def _skip_reason(pattern, method) -> str | None:
    """Why ``method`` is not run on ``pattern`` at all (``None``: it is)."""
    m, n = pattern.shape
    if method in SYMMETRIC_METHODS and m != n:
        return f"{method} needs a square pattern"
    if method == "bicoloring":
        work = distance2_work(pattern)
        if work > DIST2_MAX_WORK:
            return (f"bicoloring skipped: its distance-2 sub-colorings visit ~{work:.1e} "
                    f"pairs of entries (> DIST2_MAX_WORK = {DIST2_MAX_WORK:.0e})")
    return None


def _order_skip_reason(pattern, method, order) -> str | None:
    """Why ``method`` in ``order`` is not run on ``pattern`` (``None``: it is)."""
    if method in ("column", "row") and order in DIST2_ORDERS:
        work = distance2_work(pattern)
        if work > DIST2_MAX_WORK:
            return (f"{order} skipped: its distance-2 degree updates visit ~{work:.1e} pairs "
                    f"of entries (> DIST2_MAX_WORK = {DIST2_MAX_WORK:.0e}); natural, "
                    "largest_first and random still run")
    return None


def color_one(pattern, method, order, *, repeat=1, verify=True, seed=0, effort=0.0):
    """Color ``pattern`` once per repeat (``effort`` seconds of improvement past greedy);
    returns ``(coloring, best_time, verified)``."""
    coloring, t = _best_time(lambda: color(pattern, method, order, seed=seed, effort=effort),
                             repeat)
    verified = None
    if verify:
        verified = bool(check_coloring(pattern, coloring, method, raise_on_failure=False))
    return coloring, t, verified


# -- CasADi ------------------------------------------------------------------------------
CASADI_METHODS = {"star": "largest_first", "column": "natural"}
"""Methods CasADi offers, and the order of ours that matches it (``star_coloring(1)`` orders
by largest degree first; ``uni_coloring`` takes the natural order)."""


def casadi_module():
    """``casadi`` when installed, else ``None``."""
    try:
        import casadi  # noqa: PLC0415 - optional, benchmark-only
    except ImportError:
        return None
    return casadi


def _to_casadi(casadi, p):
    csc = sp.csc_array(p)
    csc.sort_indices()
    return casadi.Sparsity(csc.shape[0], csc.shape[1], csc.indptr.tolist(),
                           csc.indices.tolist())


def casadi_coloring(casadi, pattern, method, repeat=1):
    """CasADi's coloring of ``pattern``: ``(colors per column, ncolors, best time)``; the
    conversion to a ``casadi.Sparsity`` is not timed. CasADi's star coloring needs a
    symmetric pattern: it gets ``P ∪ Pᵀ``, the pattern our star coloring colors."""
    if method == "star":
        pattern = sp.csr_array(pattern + pattern.T)
    s = _to_casadi(casadi, pattern)
    if method == "star":
        call = lambda: s.star_coloring(1, 2**62)  # noqa: E731
    elif method == "column":
        call = lambda: s.uni_coloring(s.T, 2**62)  # noqa: E731
    else:
        raise ValueError(f"CasADi has no {method!r} coloring")
    res, t = _best_time(call, repeat)
    # res is (ncolumns x ncolors): column j has color k where res[j, k] is structurally nonzero
    rows, cols = res.get_triplet()
    colors = np.full(pattern.shape[1], -1, dtype=np.int64)
    colors[np.asarray(rows, dtype=np.int64)] = np.asarray(cols, dtype=np.int64)
    return colors, int(res.size2()), t


def _first_line(exc) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[-1] if lines else type(exc).__name__


def _record(mat, pattern, **kw):
    rec = {"matrix": mat.name, "source": mat.source, "rows": int(pattern.shape[0]),
           "cols": int(pattern.shape[1]), "nnz": int(pattern.nnz), "tool": "sparsehess",
           "method": None, "order": None, "chosen_order": None, "effort": None, "colors": None,
           "lower_bound": None, "time_s": None, "verified": None, "error": None}
    rec.update(kw)
    return rec


def run(matrices, methods=METHODS, orders=ORDERS, *, repeat=1, verify=True, vs=(),
        progress=True, max_nnz=None, on_error=None, seed=0, on_matrix=None,
        effort=0.0) -> list[dict]:
    """Run every method x order on each matrix; returns the list of result records.

    ``matrices``: :class:`Matrix` objects (see :func:`builtin_suite`, :func:`find_matrix_files`)
    or ``(name, pattern)`` pairs. Symmetric methods are skipped on rectangular patterns (a
    record with ``error`` says so). ``vs=("casadi",)`` adds CasADi's star / column colorings
    (``ValueError`` when CasADi is not installed). A matrix that cannot be loaded gets one
    record with ``error`` set and ``on_error(name, message)`` is called; the others still run.
    ``max_nnz`` skips larger matrices. ``progress``: draw a progress bar on stderr.
    ``on_matrix(records)`` is called with each matrix's records as soon as it is done (see
    :class:`ResultWriter`), so an interrupted run keeps what it finished.
    ``effort``: seconds of coloring improvement past greedy per coloring (ours only).
    """
    methods = tuple(methods)
    orders = tuple(orders)
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown coloring method {m!r}; accepted: {', '.join(METHODS)}")
    for o in orders:
        if o != "best" and o not in ORDERS:
            raise ValueError(f"unknown order {o!r}; accepted: {', '.join(ORDERS)}, best")
    casadi = None
    for tool in vs:
        if tool != "casadi":
            raise ValueError(f"unknown comparison {tool!r}; accepted: casadi")
        casadi = casadi_module()
        if casadi is None:
            raise ValueError("--vs casadi needs CasADi: pip install casadi "
                             "(or pip install 'sparsehess[bench]')")
    mats = [m if isinstance(m, Matrix) else Matrix(m[0], "array", lambda p=m[1]: p)
            for m in matrices]
    casadi_methods = [m for m in methods if casadi is not None and m in CASADI_METHODS]
    per_matrix = len(methods) * len(orders) + len(casadi_methods)
    warm_up(methods, orders)
    total_cost = sum(m.cost for m in mats)
    weights = {m: len(orders) * total_cost for m in methods}
    weights.update({("casadi", m): total_cost for m in casadi_methods})
    bar = Progress(len(mats) * per_matrix, weights=weights, enabled=progress)
    results = []
    for mat in mats:
        first = len(results)
        _color_matrix(mat, methods, orders, casadi_methods, casadi, results, bar,
                      repeat=repeat, verify=verify, seed=seed, effort=effort, max_nnz=max_nnz,
                      on_error=on_error)
        if on_matrix is not None and len(results) > first:
            on_matrix(results[first:])
    bar.close()
    return results


def _skip_matrix(bar, label, mat, methods, orders, casadi_methods):
    """Advance ``bar`` past every step of ``mat`` (not loaded or skipped whole)."""
    for method in methods:
        bar.update(label, len(orders), len(orders) * mat.cost, kind=method, timed=False)
    for method in casadi_methods:
        bar.update(label, 1, mat.cost, kind=("casadi", method), timed=False)


def _color_matrix(mat, methods, orders, casadi_methods, casadi, results, bar, *, repeat,
                  verify, seed, effort, max_nnz, on_error):
    """Append the records of every method x order (and CasADi) on ``mat`` to ``results``."""
    try:
        bar.start(f"{mat.name}: loading")
        pattern = mat.load()
    except (OSError, ValueError, MemoryError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        results.append({**{k: None for k in FIELDS}, "matrix": mat.name,
                        "source": mat.source, "tool": "sparsehess", "error": msg})
        if on_error is not None:
            on_error(mat.name, msg)
        _skip_matrix(bar, f"{mat.name}: unreadable", mat, methods, orders, casadi_methods)
        return
    if max_nnz is not None and pattern.nnz > max_nnz:
        _skip_matrix(bar, f"{mat.name}: skipped (nnz {pattern.nnz} > {max_nnz})", mat,
                     methods, orders, casadi_methods)
        return
    for method in methods:
        reason = _skip_reason(pattern, method)
        for order in orders:
            bar.start(f"{mat.name} {method} {order}")
            why = reason or _order_skip_reason(pattern, method, order)
            if why is not None:
                results.append(_record(mat, pattern, method=method, order=order, error=why))
            else:
                try:
                    c, t, ok = color_one(pattern, method, order, repeat=repeat,
                                         verify=verify, seed=seed, effort=effort)
                    results.append(_record(mat, pattern, method=method, order=order,
                                           effort=effort,
                                           chosen_order=c.chosen_order, colors=c.ncolors,
                                           lower_bound=c.lower_bound, time_s=t,
                                           verified=ok))
                except ValueError as exc:
                    results.append(_record(mat, pattern, method=method, order=order,
                                           error=str(exc).splitlines()[0]))
            bar.update(f"{mat.name} {method} {order}", weight=mat.cost, kind=method,
                       timed=why is None)
        if method in casadi_methods:
            if reason is None:
                try:
                    colors, k, t = casadi_coloring(casadi, pattern, method, repeat)
                except Exception as exc:  # noqa: BLE001 - CasADi raises RuntimeError
                    results.append(_record(mat, pattern, tool="casadi", method=method,
                                           order=CASADI_METHODS[method],
                                           error="casadi: " + _first_line(exc)))
                else:
                    ok = None
                    if verify:
                        ok = bool(check_coloring(pattern, colors, method,
                                                 raise_on_failure=False))
                    results.append(_record(mat, pattern, tool="casadi", method=method,
                                           order=CASADI_METHODS[method], colors=k,
                                           chosen_order=CASADI_METHODS[method],
                                           time_s=t, verified=ok))
            else:
                results.append(_record(mat, pattern, tool="casadi", method=method,
                                       order=CASADI_METHODS[method], error=reason))
            bar.update(f"{mat.name} {method} casadi", weight=mat.cost,
                       kind=("casadi", method), timed=reason is None)


# ---------------------------------------------------------------------------------- outputs
def _fmt_time(t):
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def _ok(rec):
    return rec.get("colors") is not None and not rec.get("error")


def _matrices_in_order(results):
    seen = {}
    for r in results:
        seen.setdefault(r["matrix"], r)
    return list(seen.values())


def _methods_in_order(results, tool="sparsehess"):
    return list(dict.fromkeys(r["method"] for r in results
                              if r.get("method") and r.get("tool") == tool))


def _orders_in_order(results):
    return list(dict.fromkeys(r["order"] for r in results
                              if r.get("order") and r.get("tool") == "sparsehess"))


def best_per_method(results) -> dict:
    """``{(matrix, method): record}`` of our run with the fewest colors (then least time)."""
    best = {}
    for r in results:
        if r.get("tool") != "sparsehess" or not _ok(r):
            continue
        key = (r["matrix"], r["method"])
        cur = best.get(key)
        if cur is None or (r["colors"], r["time_s"]) < (cur["colors"], cur["time_s"]):
            best[key] = r
    return best


def summary_markdown(results) -> str:
    """Markdown tables: fewest colors per matrix and method (with the order that reached it,
    the lower bound and the time), colors and time per method and order summed over the
    matrices, and, when present, CasADi side by side."""
    lines = []
    methods = _methods_in_order(results)
    orders = _orders_in_order(results)
    best = best_per_method(results)
    mats = _matrices_in_order(results)
    unverified = [r for r in results if r.get("verified") is False]

    lines.append("### Fewest colors per method")
    lines.append("")
    lines.append("Each cell: colors (lower bound) · order reaching it · time of that run. "
                 "Colors = passes (JVPs / VJPs / HVPs) a compressed derivative needs; a dense "
                 "one needs n.")
    lines.append("")
    lines.append("| matrix | rows × cols | nnz | " + " | ".join(methods) + " |")
    lines.append("|---|---:|---:|" + "---|" * len(methods))
    for m in mats:
        if m.get("rows") is None:
            lines.append(f"| {m['matrix']} | - | - | " + " | ".join(["unreadable"] * len(methods))
                         + " |")
            continue
        cells = []
        for meth in methods:
            r = best.get((m["matrix"], meth))
            if r is None:
                cells.append("n/a")
            else:
                cells.append(f"**{r['colors']}** ({r['lower_bound']}) · {r['order']} · "
                             f"{_fmt_time(r['time_s'])}")
        lines.append(f"| {m['matrix']} | {m['rows']} × {m['cols']} | {m['nnz']} | "
                     + " | ".join(cells) + " |")
    lines.append("")

    if orders:
        lines.append("### Colors by order (sum over matrices; time summed too)")
        lines.append("")
        lines.append("| method | " + " | ".join(orders) + " |")
        lines.append("|---|" + "---:|" * len(orders))
        for meth in methods:
            cells = []
            for o in orders:
                rs = [r for r in results if r.get("tool") == "sparsehess" and
                      r["method"] == meth and r["order"] == o and _ok(r)]
                if not rs:
                    cells.append("n/a")
                    continue
                tot = sum(r["colors"] for r in rs)
                tt = sum(r["time_s"] for r in rs)
                cells.append(f"{tot} · {_fmt_time(tt)}")
            lines.append(f"| {meth} | " + " | ".join(cells) + " |")
        lines.append("")

    cas = [r for r in results if r.get("tool") == "casadi"]
    if cas:
        lines.append("### sparsehess vs CasADi (same method and order)")
        lines.append("")
        lines.append("Our time is the whole `color()` call (canonicalisation, symmetrisation, "
                     "ordering, coloring); CasADi's the coloring call on a prepared "
                     "`casadi.Sparsity`. Ratio > 1: sparsehess is faster.")
        lines.append("")
        lines.append("| matrix | method | order | colors ours | colors CasADi | time ours | "
                     "time CasADi | CasADi / ours |")
        lines.append("|---|---|---|---:|---:|---:|---:|---:|")
        ours = {(r["matrix"], r["method"], r["order"]): r for r in results
                if r.get("tool") == "sparsehess"}
        for c in cas:
            o = ours.get((c["matrix"], c["method"], c["order"]))
            if not _ok(c) or o is None or not _ok(o):
                lines.append(f"| {c['matrix']} | {c['method']} | {c['order']} | - | - | - | - "
                             f"| {c.get('error') or 'order not run'} |")
                continue
            ratio = c["time_s"] / o["time_s"] if o["time_s"] > 0 else float("nan")
            lines.append(f"| {c['matrix']} | {c['method']} | {c['order']} | {o['colors']} | "
                         f"{c['colors']} | {_fmt_time(o['time_s'])} | "
                         f"{_fmt_time(c['time_s'])} | {ratio:.2g}x |")
        lines.append("")

    nverified = sum(1 for r in results if r.get("verified") is True)
    lines.append(f"{nverified} colorings verified by check_coloring, "
                 f"{len(unverified)} invalid.")
    for r in unverified:
        lines.append(f"- INVALID: {r['tool']} {r['matrix']} {r['method']} {r['order']}")
    return "\n".join(lines) + "\n"


class ResultWriter:
    """Results written as they come: ``results.csv`` gets each matrix's rows appended (and
    flushed), ``results.json`` is rewritten (atomically) after each matrix, so an interrupted
    run keeps every finished matrix. Creating it makes ``out_dir`` and fails at once
    (``OSError`` naming the folder) when the folder cannot be written."""

    def __init__(self, out_dir):
        self.out = Path(out_dir)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._csv = open(self.out / "results.csv", "w", newline="")
        except OSError as exc:
            raise OSError(f"cannot write results to {self.out}: "
                          f"{exc.strerror or exc}") from exc
        self._rows = csv.DictWriter(self._csv, fieldnames=FIELDS, extrasaction="ignore")
        self._rows.writeheader()
        self._csv.flush()
        self.records = []
        self._write_json()

    def _write_json(self):
        tmp = self.out / "results.json.tmp"
        tmp.write_text(json.dumps([{k: r.get(k) for k in FIELDS} for r in self.records],
                                  indent=1))
        os.replace(tmp, self.out / "results.json")

    def add(self, records):
        """Append ``records`` (one matrix's, usually) to both files."""
        for r in records:
            self._rows.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in FIELDS})
        self._csv.flush()
        self.records.extend(records)
        self._write_json()

    def finish(self, *, plots=True) -> dict:
        """Close the CSV and write ``summary.md`` and (``plots`` and matplotlib installed)
        ``colors.png``, ``time_vs_nnz.png``. Returns ``{kind: path}``; when the plots are
        skipped because matplotlib is missing, ``"plots_skipped"`` holds why."""
        self._csv.close()
        out, results = self.out, self.records
        written = {"csv": out / "results.csv", "json": out / "results.json"}
        path = out / "summary.md"
        path.write_text(summary_markdown(results))
        written["markdown"] = path
        if plots:
            try:
                from . import plot
                ok = [r for r in results if _ok(r)]
                if ok:
                    plot.colors_by_method(ok, path=out / "colors.png")
                    written["colors_png"] = out / "colors.png"
                if any(r.get("time_s") for r in ok):
                    plot.time_vs_nnz(ok, path=out / "time_vs_nnz.png")
                    written["time_png"] = out / "time_vs_nnz.png"
            except ImportError as exc:
                written["plots_skipped"] = str(exc)
        return written


def write_outputs(results, out_dir, *, plots=True) -> dict:
    """Write ``results.csv``, ``results.json``, ``summary.md`` and (``plots`` and matplotlib
    installed) ``colors.png``, ``time_vs_nnz.png`` into ``out_dir`` at once (see
    :class:`ResultWriter` for writing them as a run goes). Returns ``{kind: path}``; when the
    plots are skipped because matplotlib is missing, ``"plots_skipped"`` holds why."""
    writer = ResultWriter(out_dir)
    writer.add(results)
    return writer.finish(plots=plots)
