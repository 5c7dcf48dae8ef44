"""Host-side tables of direct recovery: where each nonzero of the pattern is read in the
compressed matrix (numba kernels for the per-entry counts).

A direct table is ``(rows, cols, b_rows, b_cols)``, int64 arrays in CSR order of the pattern
(distance1: the diagonal) with ``A[rows, cols] == B[b_rows, b_cols]``; ``B = A @ S`` of shape
``(m, k)`` (row colorings: ``B = S.T @ A``, shape ``(k, n)``). A bidirectional table adds
``source`` (0: read from ``B_c = A @ S_c``, 1: from ``B_r = S_r.T @ A``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit


@njit(cache=True)
def reverse_positions(ptr, idx):
    """For a structurally symmetric CSR graph, ``rev[k]`` is the position of the mirror entry."""
    n = ptr.size - 1
    cursor = ptr[:-1].copy()
    rev = np.empty(idx.size, dtype=np.int64)
    for i in range(n):
        for k in range(ptr[i], ptr[i + 1]):
            j = idx[k]
            rev[k] = cursor[j]
            cursor[j] += 1
    return rev



@njit(cache=True)
def exclusive_counts(ptr, idx, color, ncolors):
    """``cnt[k]`` = number of neighbours of row ``i`` (position ``k`` in row ``i``) whose color
    equals ``color[idx[k]]``. A read ``B[i, color[idx[k]]]`` isolates entry k iff ``cnt[k]==1``.
    """
    n = ptr.size - 1
    tally = np.zeros(ncolors + 1, dtype=np.int64)
    cnt = np.empty(idx.size, dtype=np.int64)
    for i in range(n):
        for k in range(ptr[i], ptr[i + 1]):
            c = color[idx[k]]
            if c >= 0:
                tally[c] += 1
        for k in range(ptr[i], ptr[i + 1]):
            c = color[idx[k]]
            cnt[k] = tally[c] if c >= 0 else 0
        for k in range(ptr[i], ptr[i + 1]):
            c = color[idx[k]]
            if c >= 0:
                tally[c] = 0
    return cnt


@njit(cache=True)
def _star_reads(ptr, idx, colors, cnt, rev, b_rows, b_cols):
    """Where star recovery reads entry k = (i, j) of the pattern: B[i, colors[j]] when that
    read isolates it (cnt[k] == 1), else its mirror's B[j, colors[i]].  Fills b_rows and
    b_cols (nnz,); False when neither read isolates some entry (not a star coloring)."""
    for i in range(ptr.shape[0] - 1):
        for k in range(ptr[i], ptr[i + 1]):
            j = idx[k]
            if cnt[k] == 1:
                b_rows[k] = i
                b_cols[k] = colors[j]
            elif cnt[rev[k]] == 1:
                b_rows[k] = j
                b_cols[k] = colors[i]
            else:
                return False
    return True


def _entries(pattern: sp.csr_array):
    """int64 ``(rows, cols)`` of the csr ``pattern``'s entries in CSR order."""
    rows = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr))
    return rows, pattern.indices.astype(np.int64)


def column_reads(pattern, colors, ncolors):
    """Column coloring: entry (i, j) is ``B[i, colors[j]]``."""
    rows, cols = _entries(pattern)
    return rows, cols, rows.copy(), colors[cols]


def row_reads(pattern, colors, ncolors):
    """Row coloring: entry (i, j) is ``B[colors[i], j]``."""
    rows, cols = _entries(pattern)
    return rows, cols, colors[rows], cols.copy()


def diagonal_reads(pattern, colors, ncolors):
    """Distance-1 coloring of a symmetric pattern: diagonal entry i is ``B[i, colors[i]]``."""
    ar = np.arange(pattern.shape[0], dtype=np.int64)
    return ar, ar.copy(), ar.copy(), colors.copy()


def star_reads(pattern, colors, ncolors):
    """Star coloring of a symmetric pattern: entry (i, j) is ``B[i, colors[j]]`` when column
    j is alone in its color class in row i, else its mirror ``B[j, colors[i]]``."""
    rows, cols = _entries(pattern)
    ptr = pattern.indptr.astype(np.int64)
    cnt = exclusive_counts(ptr, cols, colors, ncolors)
    rev = reverse_positions(ptr, cols)
    b_rows = np.empty_like(rows)
    b_cols = np.empty(cols.size, colors.dtype)
    if not _star_reads(ptr, cols, colors, cnt, rev, b_rows, b_cols):
        raise ValueError("not a star coloring: some entry cannot be read directly")
    return rows, cols, b_rows, b_cols


def isolated_entries(pattern, row_colors, column_colors, ncolors):
    """Two bool arrays over the pattern's entries in CSR order: whether entry (i, j) is alone
    in its column's color class in row i (readable from ``B_c = A @ S_c``), and whether it is
    alone in its row's color class in column j (readable from ``B_r = S_r.T @ A``). Colors
    are 0-based, below ``ncolors``; -1 (in no seed) isolates nothing."""
    cols = pattern.indices.astype(np.int64)
    ptr = pattern.indptr.astype(np.int64)
    from_col = exclusive_counts(ptr, cols, column_colors, ncolors) == 1
    t = sp.csr_array((np.arange(cols.size, dtype=np.int64), cols, ptr), shape=pattern.shape)
    t = t.T.tocsr()
    t.sort_indices()
    from_row = np.empty(cols.size, dtype=bool)
    from_row[t.data] = exclusive_counts(t.indptr.astype(np.int64), t.indices.astype(np.int64),
                                        row_colors, ncolors) == 1
    return from_col, from_row


def bidirectional_reads(pattern, row_colors, column_colors, nrow_colors, ncolumn_colors):
    """Bicoloring (colors 0-based, -1: in no seed): entry (i, j) is ``B_c[i, column_colors[j]]``
    where column j is alone in its class in row i, else ``B_r[row_colors[i], j]``. Returns
    ``(rows, cols, source, b_rows, b_cols)``."""
    rows, cols = _entries(pattern)
    from_col, from_row = isolated_entries(pattern, row_colors, column_colors,
                                          max(nrow_colors, ncolumn_colors))
    if not np.all(from_col | from_row):
        raise ValueError("not a valid bicoloring: some entry cannot be read directly")
    source = np.where(from_col, 0, 1).astype(np.int64)
    b_rows = np.where(from_col, rows, row_colors[rows])
    b_cols = np.where(from_col, column_colors[cols], cols)
    return rows, cols, source, b_rows, b_cols
