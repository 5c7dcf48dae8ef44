"""Sparsity patterns as graphs.

Every structure here is a pair of int64 arrays ``(ptr, idx)`` in CSR layout with sorted,
duplicate-free column indices, so that numba kernels can walk neighbourhoods directly.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit


def as_pattern(pattern, *, keep_explicit_zeros: bool = False) -> sp.csr_array:
    """Return the structural pattern of ``pattern`` as a canonical ``csr_array`` of int8 ones.

    ``pattern`` is a scipy sparse array/matrix or anything ``np.asarray`` accepts (2-D).
    Explicit stored zeros are dropped unless ``keep_explicit_zeros``; duplicates are merged
    and indices sorted. Shape of the result equals the shape of ``pattern``.
    """
    if (sp.issparse(pattern) and pattern.format == "csr" and pattern.has_canonical_format
            and (keep_explicit_zeros or np.all(pattern.data != 0))):
        return sp.csr_array((np.ones(pattern.nnz, dtype=np.int8), pattern.indices.copy(),
                             pattern.indptr.copy()), shape=pattern.shape)
    if sp.issparse(pattern):
        coo = sp.coo_array(pattern)
        if coo.ndim != 2:
            raise ValueError(f"pattern must be 2-D, got shape {coo.shape}")
        if keep_explicit_zeros:
            keep = np.ones(coo.nnz, dtype=bool)
        else:
            keep = coo.data != 0
        rows = np.asarray(coo.row[keep], dtype=np.int64)
        cols = np.asarray(coo.col[keep], dtype=np.int64)
        shape = coo.shape
    else:
        dense = np.asarray(pattern)
        if dense.ndim != 2:
            raise ValueError(f"pattern must be 2-D, got an array of shape {dense.shape}")
        rows, cols = np.nonzero(dense)
        rows = rows.astype(np.int64)
        cols = cols.astype(np.int64)
        shape = dense.shape
    out = sp.csr_array((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=shape)
    out.sum_duplicates()
    out.data[:] = 1
    out.sort_indices()
    return out


def csr_arrays(p: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """``(indptr, indices)`` of a canonical csr pattern as int64 arrays."""
    return p.indptr.astype(np.int64), p.indices.astype(np.int64)


@njit(cache=True)
def transpose_arrays(ptr, idx, ncols):
    """CSR arrays of the transpose (rows come out sorted: a counting sort by column)."""
    nrows = ptr.size - 1
    tptr = np.zeros(ncols + 1, dtype=np.int64)
    for k in range(idx.size):
        tptr[idx[k] + 1] += 1
    for j in range(ncols):
        tptr[j + 1] += tptr[j]
    fill = tptr[:-1].copy()
    tidx = np.empty(idx.size, dtype=np.int64)
    for i in range(nrows):
        for k in range(ptr[i], ptr[i + 1]):
            j = idx[k]
            tidx[fill[j]] = i
            fill[j] += 1
    return tptr, tidx


def transpose_pattern(p: sp.csr_array) -> sp.csr_array:
    """Canonical csr pattern of ``p.T`` (shape ``(n, m)``)."""
    tp, ti = transpose_arrays(*csr_arrays(p), p.shape[1])
    return sp.csr_array((np.ones(ti.size, dtype=np.int8), ti, tp),
                        shape=(p.shape[1], p.shape[0]))


@njit(cache=True)
def _union_rows(ap, ai, bp, bi, drop_diagonal):
    """Row-wise union of two csr structures with sorted rows, optionally without (i, i)."""
    n = ap.size - 1
    ptr = np.zeros(n + 1, dtype=np.int64)
    idx = np.empty(ai.size + bi.size, dtype=np.int64)
    k = 0
    for i in range(n):
        a, ae, b, be = ap[i], ap[i + 1], bp[i], bp[i + 1]
        while a < ae or b < be:
            if b >= be or (a < ae and ai[a] < bi[b]):
                j = ai[a]
                a += 1
            elif a >= ae or bi[b] < ai[a]:
                j = bi[b]
                b += 1
            else:
                j = ai[a]
                a += 1
                b += 1
            if not (drop_diagonal and j == i):
                idx[k] = j
                k += 1
        ptr[i + 1] = k
    return ptr, idx[:k].copy()


@njit(cache=True)
def is_symmetric_arrays(ptr, idx):
    """Whether a square CSR structure with sorted rows equals its transpose: row ``i``'s
    entries ``j > i`` are matched in order against a cursor into row ``j`` (no transpose)."""
    n = ptr.size - 1
    cur = ptr[:-1].copy()
    for i in range(n):
        c = cur[i]
        if c < ptr[i + 1] and idx[c] < i:
            return False  # an entry (i, j < i) that row j did not have
        for k in range(ptr[i], ptr[i + 1]):
            j = idx[k]
            if j > i:
                c = cur[j]
                if c >= ptr[j + 1] or idx[c] != i:
                    return False
                cur[j] = c + 1
    return True


def symmetrize(p: sp.csr_array) -> sp.csr_array:
    """Structural symmetrization ``p ∪ p.T`` of a square pattern, diagonal included (``p``
    itself when it is already symmetric)."""
    if p.shape[0] != p.shape[1]:
        raise ValueError(f"a symmetric coloring needs a square pattern, got shape {p.shape}")
    pp, pi = csr_arrays(p)
    if is_symmetric_arrays(pp, pi):
        return p
    tp, ti = transpose_arrays(pp, pi, p.shape[1])
    ptr, idx = _union_rows(pp, pi, tp, ti, False)
    return sp.csr_array((np.ones(idx.size, dtype=np.int8), idx, ptr), shape=p.shape)


def adjacency(sym: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Adjacency graph ``(ptr, idx)`` of a symmetric pattern: its off-diagonal entries."""
    ptr, idx = csr_arrays(sym)
    empty = np.zeros(ptr.size, dtype=np.int64)
    return _union_rows(ptr, idx, empty, idx[:0], True)


def bipartite_augmented(p: sp.csr_array) -> sp.csr_array:
    """Symmetric ``(m+n, m+n)`` pattern ``[[0, A], [A.T, 0]]``: rows first, then columns."""
    m, n = p.shape
    coo = p.tocoo()
    r = np.concatenate([coo.row, coo.col + m]).astype(np.int64)
    c = np.concatenate([coo.col + m, coo.row]).astype(np.int64)
    aug = sp.csr_array((np.ones(r.size, dtype=np.int8), (r, c)), shape=(m + n, m + n))
    aug.sort_indices()
    return aug
