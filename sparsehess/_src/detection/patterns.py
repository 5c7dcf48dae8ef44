"""Dependency patterns: boolean CSR matrices, one row per array element, one column per input.

Every function here treats a pattern as structure only (``dtype=bool``), so unions and
products never cancel.  Row index ``-1`` in a gather means "depends on nothing".
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse import _sparsetools

from . import pattern_kernels


# Below this many entries, numpy on the index arrays beats scipy's per-call overhead.
_SMALL_NNZ = 4096


def _from_arrays(indices: np.ndarray, indptr: np.ndarray, shape) -> sp.csr_array:
    """A bool CSR array from canonical index arrays, without scipy's input validation
    (the hot path of propagation builds tens of thousands of small patterns)."""
    out = sp.csr_array.__new__(sp.csr_array)
    out._shape = (int(shape[0]), int(shape[1]))
    out.maxprint = 50
    out.indices = indices
    out.indptr = indptr.astype(indices.dtype, copy=False)
    out.data = np.ones(len(indices), bool)
    return out


def nnz(pattern: sp.csr_array) -> int:
    """Number of stored entries (cheaper than scipy's ``.nnz`` property)."""
    return int(pattern.indptr[-1])


def empty(nrows: int, ncols: int) -> sp.csr_array:
    """An all-false (nrows, ncols) pattern."""
    return sp.csr_array((nrows, ncols), dtype=bool)


def identity_block(size: int, offset: int, ncols: int) -> sp.csr_array:
    """(size, ncols) pattern whose row i depends on column offset + i."""
    indptr = np.arange(size + 1, dtype=np.int64)
    indices = np.arange(offset, offset + size, dtype=np.int64)
    return sp.csr_array((np.ones(size, bool), indices, indptr), shape=(size, ncols))


def gather_rows(pattern: sp.csr_array, idx: np.ndarray) -> sp.csr_array:
    """Rows ``pattern[idx]``, shape (len(idx), ncols); ``idx == -1`` gives an empty row."""
    idx = np.asarray(idx, dtype=np.int64)
    ncols = pattern.shape[1]
    if nnz(pattern) == 0:
        return empty(len(idx), ncols)
    dtype = pattern.indices.dtype         # int32 pointers where they fit: no conversion
    new_indptr = np.empty(len(idx) + 1, dtype=dtype)
    total = pattern_kernels.gathered_indptr(pattern.indptr, idx, new_indptr,
                                            np.iinfo(dtype).max)
    if total < 0:
        pattern = _from_arrays(pattern.indices.astype(np.int64), pattern.indptr, pattern.shape)
        return gather_rows(pattern, idx)
    indices = np.empty(total, pattern.indices.dtype)
    pattern_kernels.gather_indices(pattern.indptr, pattern.indices, idx, new_indptr, indices)
    return _from_arrays(indices, new_indptr, (len(idx), ncols))


def row_slice(pattern: sp.csr_array, start: int, stop: int) -> sp.csr_array:
    """Rows start .. stop-1 of the pattern, shape (stop - start, ncols)."""
    indptr = pattern.indptr[start:stop + 1]
    indices = pattern.indices[indptr[0]:indptr[-1]]
    return _from_arrays(indices, indptr - indptr[0], (stop - start, pattern.shape[1]))


def column_blocks(pattern: sp.csr_array, offsets: np.ndarray):
    """(k, block) for every column range offsets[k] .. offsets[k + 1] - 1 that holds entries:
    the pattern's entries in that range, columns counted from its start."""
    entries = pattern.indices[:nnz(pattern)]
    owner = np.searchsorted(offsets, entries, side="right") - 1
    row_of = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    for k in np.unique(owner):
        keep = owner == k
        indptr = np.zeros(pattern.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(row_of[keep], minlength=pattern.shape[0]), out=indptr[1:])
        yield int(k), _from_arrays(entries[keep] - offsets[k], indptr,
                                   (pattern.shape[0], offsets[k + 1] - offsets[k]))


def with_columns(pattern: sp.csr_array, indices: np.ndarray, ncols: int) -> sp.csr_array:
    """The pattern with its entries' columns replaced by ``indices`` (same order)."""
    return _from_arrays(indices, pattern.indptr, (pattern.shape[0], ncols))


def stack(parts, ncols: int) -> sp.csr_array:
    """The rows of ``parts`` (patterns with ``ncols`` columns) one after another."""
    counts = [nnz(p) for p in parts]
    starts = np.cumsum([0] + counts[:-1])
    indices = np.concatenate([p.indices[:k] for p, k in zip(parts, counts)] or [np.zeros(0, int)])
    indptr = np.concatenate([np.zeros(1, np.int64)]
                            + [p.indptr[1:] + s for p, s in zip(parts, starts)])
    return _from_arrays(indices, indptr, (len(indptr) - 1, ncols))


def product(a: sp.csr_array, b: sp.csr_array) -> sp.csr_array:
    """Boolean product a @ b, (a rows, b cols): row i is the union of b's rows at a's row i.

    Calls scipy's CSR kernels directly, without the format conversions and validation of
    ``a @ b`` (loops multiply small patterns once per iteration)."""
    arrays = [a.indptr, a.indices, b.indptr, b.indices]
    wide = any(x.dtype == np.int64 for x in arrays)
    arrays = [x.astype(np.int64 if wide else np.int32, copy=False) for x in arrays]
    nrows, ncols = a.shape[0], b.shape[1]
    total = _sparsetools.csr_matmat_maxnnz(nrows, ncols, *arrays)
    if not wide and total > np.iinfo(np.int32).max:
        return product(_from_arrays(a.indices.astype(np.int64), a.indptr, a.shape), b)
    indptr = np.empty(nrows + 1, arrays[0].dtype)
    indices = np.empty(total, arrays[0].dtype)
    _sparsetools.csr_matmat(nrows, ncols, arrays[0], arrays[1], np.ones(nnz(a), bool),
                            arrays[2], arrays[3], np.ones(nnz(b), bool),
                            indptr, indices, np.empty(total, bool))
    return _from_arrays(indices[:indptr[-1]], indptr, (nrows, ncols))


def union(a: sp.csr_array, b: sp.csr_array) -> sp.csr_array:
    """Elementwise OR of two patterns of the same shape."""
    if nnz(a) == 0:
        return b
    if nnz(b) == 0:
        return a
    return a + b




def row_union(pattern: sp.csr_array) -> np.ndarray:
    """Sorted column indices on which any row of the pattern depends."""
    present = np.zeros(pattern.shape[1], bool)
    present[pattern.indices] = True
    return np.flatnonzero(present)


def columns_of_rows(pattern: sp.csr_array, rows: np.ndarray) -> np.ndarray:
    """Bool (ncols,): the columns on which any of the ``rows`` (bool mask) depends."""
    if nnz(pattern) > _SMALL_NNZ:
        # Counts in int32: int8 ones would wrap around past 127 rows.
        return (pattern.T @ rows.astype(np.int32)) > 0
    present = np.zeros(pattern.shape[1], bool)
    present[pattern.indices[:nnz(pattern)][np.repeat(rows, np.diff(pattern.indptr))]] = True
    return present


def outer_product(a_rows: sp.csr_array, b_rows: sp.csr_array) -> sp.csr_array:
    """Sum over k of the outer products a_rows[k]ᵀ b_rows[k]: an (ncols, ncols) pattern."""
    if nnz(a_rows) == 0 or nnz(b_rows) == 0:
        return empty(a_rows.shape[1], b_rows.shape[1])
    return sp.csr_array(a_rows.T @ b_rows)


def symmetric_outer_union(blocks, n: int, base: sp.csr_array | None = None) -> sp.csr_array:
    """(n, n) pattern base ∪ ⋃_k (a_kᵀ b_k ∪ b_kᵀ a_k) over the pairs (a_rows, b_rows) in
    ``blocks`` (patterns with n columns, equal row counts), canonical CSR.  ``base`` (n, n),
    when given, is taken as it is (not symmetrized).  One count and one fill pass per block,
    then one merge; no transposes (see pattern_kernels)."""
    counts = np.zeros(n, np.int64)
    if base is not None:
        pattern_kernels.count_row_entries(base.indptr, counts)
    for a, b in blocks:
        pattern_kernels.count_outer_entries(a.indptr, a.indices, b.indptr, b.indices, counts)
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=starts[1:])
    del counts
    index_dtype = np.int32 if max(n, starts[-1]) <= np.iinfo(np.int32).max else np.int64
    cols = np.empty(starts[-1], index_dtype)
    pos = starts[:-1].copy()
    if base is not None:
        pattern_kernels.fill_row_entries(base.indptr, base.indices, pos, cols)
    for a, b in blocks:
        pattern_kernels.fill_outer_entries(a.indptr, a.indices, b.indptr, b.indices, pos, cols)
    del pos
    indptr = np.empty(n + 1, np.int64)
    total = pattern_kernels.merge_rows(starts, cols, indptr)
    cols.resize(total, refcheck=False)    # shrinks in place: no copy, no view of cols exists
    return _from_arrays(cols, indptr, (n, n))


def _as_slice(cols: np.ndarray):
    """A slice for a contiguous run of sorted column indices (cheap block views), else cols."""
    if len(cols) and cols[-1] - cols[0] + 1 == len(cols):
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


def _dense_rows(rows: sp.csr_array, cols: np.ndarray) -> np.ndarray:
    """float32 (nrows, len(cols)): the pattern's rows over ``cols``, the sorted columns that
    hold all of its entries."""
    out = np.zeros((rows.shape[0], len(cols)), np.float32)
    row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
    out[row_of, np.searchsorted(cols, rows.indices[:nnz(rows)])] = 1
    return out


class HessianAccumulator:
    """Union of outer products a_kᵀ b_k into an (n, n) pattern.

    For n up to ``DENSE_LIMIT`` the pattern is a dense bool array.  When an interaction's
    rows are dense-ish (the block spanned by its columns is not much larger than the sum
    of its outer products), a block already fully present is skipped after one cheap check
    (loops add the same block at every step) and a new one is formed with a dense product
    over only the columns involved; otherwise the sparse outer products are added.  Larger
    n merges each symmetrized sparse product into a running CSR total
    (``symmetric_outer_union``, no transposes).
    """

    DENSE_LIMIT = 8192
    # A dense block costs about this many times less per entry than a sparse product term.
    DENSE_ADVANTAGE = 8
    # A sparse block with more outer-product terms than this many times its entries is
    # multiplied by scipy first, which drops duplicate terms as it goes.
    DUPLICATED_TERMS = 2

    def __init__(self, n: int):
        self.n = n
        self.dense = np.zeros((n, n), bool) if n <= self.DENSE_LIMIT else None
        self.total = None if self.dense is not None else empty(n, n)

    def add(self, a_rows: sp.csr_array, b_rows: sp.csr_array):
        if nnz(a_rows) == 0 or nnz(b_rows) == 0:
            return
        terms = int(np.dot(np.diff(a_rows.indptr), np.diff(b_rows.indptr)))
        if self.dense is None:
            if terms > self.DUPLICATED_TERMS * (nnz(a_rows) + nnz(b_rows)):
                # Rows share columns: scipy's product drops the duplicate terms row by row
                # (bounded memory); its rows P_i enter as the outer products e_iᵀ P_i.
                a_rows, b_rows = identity_block(self.n, 0, self.n), outer_product(a_rows, b_rows)
            # Merged at once (as the union before it did): memory stays that of the pattern.
            self.total = symmetric_outer_union([(a_rows, b_rows)], self.n, self.total)
            return
        cols_a, cols_b = row_union(a_rows), row_union(b_rows)
        block_size = len(cols_a) * len(cols_b)
        if block_size <= self.DENSE_ADVANTAGE * terms:
            block = (_as_slice(cols_a), _as_slice(cols_b))
            if isinstance(block[0], np.ndarray) or isinstance(block[1], np.ndarray):
                block = np.ix_(cols_a, cols_b)
            if self.dense[block].all():
                return
            if a_rows.shape[0] * block_size <= self.DENSE_ADVANTAGE * terms:
                self.dense[block] |= (_dense_rows(a_rows, cols_a).T
                                      @ _dense_rows(b_rows, cols_b)) > 0
                return
        prod = outer_product(a_rows, b_rows).tocoo()
        self.dense[prod.row, prod.col] = True

    def result(self) -> sp.csr_array:
        """The symmetrized pattern (H ∪ Hᵀ) as bool CSR."""
        if self.dense is not None:
            return sp.csr_array(self.dense | self.dense.T)
        return self.total
