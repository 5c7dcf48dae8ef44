"""Star bicoloring of a Jacobian pattern: rows and columns colored together.

The pattern ``A`` (``m x n``) is turned into the symmetric augmented pattern
``[[0, A], [A.T, 0]]`` (vertices ``0..m-1`` are rows, ``m..m+n-1`` columns) and star colored.
Every nonzero ``A[i, j]`` is then readable from ``B_c = A @ S_c`` (if column ``j``'s color is
unique among the columns of row ``i``) or from ``B_r = S_r.T @ A`` (if row ``i``'s color is
unique among the rows of column ``j``). Post-processing keeps only the vertices some read
uses ("needed") and takes every other vertex out of the seeds (color -1), which is sound
because removing terms from a sum never spoils a read that isolated one term; the remaining
colors are renumbered 0..kc-1 (columns) and 0..kr-1 (rows).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

from ...errors import InternalError
from ..recovery.direct import isolated_entries
from . import kernels


@njit(cache=True)
def _choose_needed(rows, cols, col_ok, row_ok, ccol, crow, ncolors, need_col, need_row):
    """Decide, entry by entry, which side each entry is read from; mark that vertex needed.

    Forced entries (only one side isolates them) come first; for the others prefer a side
    already needed, then a side whose color is already active, then the column side.
    """
    active_c = np.zeros(ncolors + 1, dtype=np.bool_)
    active_r = np.zeros(ncolors + 1, dtype=np.bool_)
    for k in range(rows.size):
        if col_ok[k] and not row_ok[k]:
            need_col[cols[k]] = True
            active_c[ccol[cols[k]]] = True
        elif row_ok[k] and not col_ok[k]:
            need_row[rows[k]] = True
            active_r[crow[rows[k]]] = True
    for k in range(rows.size):
        i = rows[k]
        j = cols[k]
        if not (col_ok[k] and row_ok[k]) or need_col[j] or need_row[i]:
            continue
        if active_c[ccol[j]] or not active_r[crow[i]]:
            need_col[j] = True
            active_c[ccol[j]] = True
        else:
            need_row[i] = True
            active_r[crow[i]] = True


def _compact(colors: np.ndarray, needed: np.ndarray) -> np.ndarray:
    """0-based colors renumbered over the needed vertices, -1 elsewhere."""
    out = np.full(colors.size, -1, dtype=np.int64)
    if needed.any():
        _, inv = np.unique(colors[needed], return_inverse=True)
        out[needed] = inv
    return out


def split_star_coloring(p: sp.csr_array, aug_colors: np.ndarray):
    """From a star coloring of the augmented pattern to ``(row_colors, column_colors)``."""
    m, n = p.shape
    crow = aug_colors[:m]
    ccol = aug_colors[m:]
    idx = p.indices.astype(np.int64)
    rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(p.indptr))
    k = int(aug_colors.max(initial=-1)) + 1
    col_ok, row_ok = isolated_entries(p, crow, ccol, max(k, 1))
    if not np.all(col_ok | row_ok):
        raise InternalError("star coloring of the augmented graph is not a star coloring")
    need_col = np.zeros(n, dtype=bool)
    need_row = np.zeros(m, dtype=bool)
    _choose_needed(rows, idx, col_ok, row_ok, ccol, crow, max(k, 1), need_col, need_row)
    return _compact(crow, need_row), _compact(ccol, need_col)


def _d2_colors(sub: sp.csr_array, order_name: str, seed: int) -> np.ndarray:
    """0-based partial distance-2 column colors of ``sub``; columns without nonzeros get -1."""
    from .graphs import csr_arrays, transpose_pattern
    from .orders import vertex_order

    pp, pi = csr_arrays(sub)
    tp, ti = csr_arrays(transpose_pattern(sub))
    view = (sub.shape[1], tp, ti, pp, pi, True)
    colors = kernels.greedy_coloring(vertex_order(order_name, view, seed=seed), *view)
    colors[np.diff(tp) == 0] = -1
    return colors


def _split_candidates(nnz_per_line: np.ndarray, max_candidates: int = 12) -> list[int]:
    """Thresholds t: lines with more than t nonzeros are "dense" (largest values first)."""
    vals = np.unique(nnz_per_line)[::-1]
    if vals.size == 0:
        return []
    picks = np.unique(np.geomspace(1, vals.size, num=min(max_candidates, vals.size)).astype(int))
    return [int(vals[i - 1]) for i in picks if i - 1 < vals.size and vals[i - 1] > 0] + [0]


def _thresholds(lines: np.ndarray) -> list[int]:
    """The dense-line thresholds tried on one side: none dense first, then the candidates."""
    return [max(int(lines.max(initial=0)), 0)] + _split_candidates(lines)


def subcolorings(p: sp.csr_array) -> int:
    """How many partial distance-2 colorings :func:`partition_bicoloring` runs on ``p`` (two
    per threshold, on both sides), each with its own vertex order."""
    sides = (sp.csr_array(p), sp.csr_array(p.T))
    return 2 * sum(len(_thresholds(np.diff(q.indptr))) for q in sides)


def partition_bicoloring(p: sp.csr_array, order_name: str, seed: int):
    """Best "dense rows from B_r, the rest from B_c" split (and its transpose) over a few
    thresholds. With rows R recovered from ``B_r``, columns need a partial distance-2 coloring
    of ``A[~R, :]`` and rows of ``A[R, :]``; lines left without entries get color -1.
    Returns ``(row_colors, column_colors)`` (0-based, -1: in no seed).
    """
    m, n = p.shape
    best = None
    for transpose in (False, True):
        q = sp.csr_array(p.T) if transpose else p
        q.sort_indices()
        lines = np.diff(q.indptr)
        for t in _thresholds(lines):
            dense = lines > t
            cq = _d2_colors(q[np.flatnonzero(~dense)], order_name, seed)
            rq = np.full(q.shape[0], -1, dtype=np.int64)
            rq[dense] = _d2_colors(sp.csr_array(q[np.flatnonzero(dense)].T), order_name, seed)
            total = int(cq.max(initial=-1)) + int(rq.max(initial=-1))
            if best is None or total < best[0]:
                best = (total, (cq, rq) if transpose else (rq, cq))
    return best[1]
