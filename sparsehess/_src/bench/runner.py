"""The benchmark runner: every method x order (and CasADi's colorings) on each matrix.

:func:`run` colors, times and checks; each result is a flat record with the keys of
:data:`FIELDS`.
"""

from __future__ import annotations

import numpy as np

from ..coloring import (BEST_ORDERS, METHOD_SPECS, METHODS, ORDERS, bicoloring, check_coloring,
                        color, orders as vertex_orders)
from .generators import arrowhead, laplacian
from .peers import CASADI_METHODS, casadi_coloring, casadi_module
from .progress import Progress
from .suite import Matrix
from .timing import best_time

__all__ = ["FIELDS", "SYMMETRIC_METHODS", "DIST2_MAX_WORK", "DIST2_ORDERS", "warm_up",
           "distance2_work", "dynamic_order_work", "color_one", "run"]

SYMMETRIC_METHODS = tuple(name for name, spec in METHOD_SPECS.items() if spec.symmetric)
"""Methods that need a square pattern."""

FIELDS = ("matrix", "source", "rows", "cols", "nnz", "tool", "method", "order", "chosen_order",
          "effort", "colors", "lower_bound", "time_s", "verified", "error")
"""Columns of the CSV output, in order."""

DIST2_MAX_WORK = 10**8
"""Runs whose distance-2 work exceeds this are skipped (a record with ``error`` says so):
bicoloring's dozens of distance-2 sub-colorings visit every pair of entries sharing a row or
a column, ``sum(row lengths^2) + sum(column lengths^2)`` steps (:func:`distance2_work`,
``2 n^2`` for an arrowhead of size n); the dynamic column / row orders do the same except
on long rows, which they update once per class of vertices (:func:`dynamic_order_work`)."""

DIST2_ORDERS = ("smallest_last", "incidence_degree", "dynamic_largest_first", "best")
"""Orders whose column / row colorings update distance-2 degrees pair by pair."""


def warm_up(methods, orders):
    """Load / compile the numba kernels of every method x order on a tiny pattern, so that
    no benchmark time includes compilation (``"best"`` warms the orders it tries)."""
    # a mesh (full diagonal), a diagonal-free hub (star post-processing, long-row kernels)
    hub = arrowhead(130)
    hub.setdiag(0)
    hub.eliminate_zeros()
    tiny = (laplacian((3, 3)), hub)
    expanded = []
    for o in orders:
        expanded.extend(BEST_ORDERS if o == "best" else [o])
    for m in methods:
        for o in dict.fromkeys(expanded):
            for p in tiny:
                color(p, m, o)
    if any(o in DIST2_ORDERS for o in expanded):
        vertex_orders.warm_up_hub_orders()


def distance2_work(pattern) -> int:
    """``sum(row lengths^2) + sum(column lengths^2)``: the pairs of entries sharing a row or a
    column, what distance-2 degrees (without hub rows) and sub-colorings visit."""
    rows = np.diff(pattern.indptr).astype(np.int64)
    cols = np.bincount(pattern.indices, minlength=pattern.shape[1]).astype(np.int64)
    return int(rows @ rows + cols @ cols)


def dynamic_order_work(pattern) -> int:
    """Steps of the dynamic orders' distance-2 degree updates for the column and the row
    view: :func:`distance2_work` with each hub row or column counted once per entry
    (:func:`sparsehess._src.coloring.orders.dynamic_order_work`)."""
    m, n = pattern.shape
    cols = np.concatenate([[0], np.cumsum(np.bincount(pattern.indices, minlength=n))])
    return (vertex_orders.dynamic_order_work(n, pattern.indptr) +
            vertex_orders.dynamic_order_work(m, cols))


def _skip_reason(pattern, method) -> str | None:
    """Why ``method`` is not run on ``pattern`` at all (``None``: it is)."""
    m, n = pattern.shape
    if method in SYMMETRIC_METHODS and m != n:
        return f"{method} needs a square pattern"
    if METHOD_SPECS[method].graph == "augmented":
        work = distance2_work(pattern)
        if work > DIST2_MAX_WORK:
            return (f"bicoloring skipped: its distance-2 sub-colorings visit ~{work:.1e} "
                    f"pairs of entries (> DIST2_MAX_WORK = {DIST2_MAX_WORK:.0e})")
    return None


def _order_skip_reason(pattern, method, order) -> str | None:
    """Why ``method`` in ``order`` is not run on ``pattern`` (``None``: it is). A bicoloring
    computes the order once per distance-2 sub-coloring (:func:`bicoloring.subcolorings`)."""
    graph = METHOD_SPECS[method].graph
    if order not in DIST2_ORDERS or graph == "adjacency":
        return None
    work = dynamic_order_work(pattern)
    runs = bicoloring.subcolorings(pattern) if graph == "augmented" else 1
    if work * runs > DIST2_MAX_WORK:
        what = f"its {runs} sub-colorings' distance-2 degree updates" if runs > 1 else \
            "its distance-2 degree updates"
        return (f"{order} skipped: {what} visit ~{work * runs:.1e} pairs of entries "
                f"(> DIST2_MAX_WORK = {DIST2_MAX_WORK:.0e}); natural, largest_first and "
                "random still run")
    return None


def color_one(pattern, method, order, *, repeat=1, verify=True, seed=0, effort=0.0):
    """Color ``pattern`` once per repeat (``effort`` seconds of improvement past greedy);
    returns ``(coloring, best_time, verified)``."""
    coloring, t = best_time(lambda: color(pattern, method, order, seed=seed, effort=effort),
                             repeat)
    verified = None
    if verify:
        verified = bool(check_coloring(pattern, coloring, method, raise_on_failure=False))
    return coloring, t, verified


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
