"""Dependency patterns: boolean CSR matrices, one row per array element, one column per input.

Every function here treats a pattern as structure only (``dtype=bool``), so unions and
products never cancel.  Row index ``-1`` in a gather means "depends on nothing".
"""

import numpy as np
import scipy.sparse as sp


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
    nrows, ncols = pattern.shape
    if pattern.nnz == 0:
        return empty(len(idx), ncols)
    if idx.size and idx.min() < 0:
        # Append one empty row and send the -1 entries there.
        indptr = np.append(pattern.indptr, pattern.indptr[-1])
        padded = sp.csr_array((pattern.data, pattern.indices, indptr), shape=(nrows + 1, ncols))
        idx = np.where(idx < 0, nrows, idx)
        return padded[idx]
    return pattern[idx]


def union(a: sp.csr_array, b: sp.csr_array) -> sp.csr_array:
    """Elementwise OR of two patterns of the same shape."""
    if a.nnz == 0:
        return b
    if b.nnz == 0:
        return a
    return sp.csr_array(a + b)


def row_mask(pattern: sp.csr_array) -> np.ndarray:
    """Boolean vector: which rows depend on at least one input."""
    return np.diff(pattern.indptr) > 0


def row_union(pattern: sp.csr_array) -> np.ndarray:
    """Sorted column indices on which any row of the pattern depends."""
    return np.unique(pattern.indices)


def outer_product(a_rows: sp.csr_array, b_rows: sp.csr_array) -> sp.csr_array:
    """Sum over k of the outer products a_rows[k]ᵀ b_rows[k]: an (ncols, ncols) pattern."""
    if a_rows.nnz == 0 or b_rows.nnz == 0:
        return empty(a_rows.shape[1], b_rows.shape[1])
    return sp.csr_array(a_rows.T @ b_rows)


def as_bool_csr(matrix) -> sp.csr_array:
    """Structural nonzeros of a dense or sparse matrix as a bool CSR array (explicit zeros dropped)."""
    if sp.issparse(matrix):
        m = sp.csr_array(matrix, copy=True)
        m.eliminate_zeros()
        m.sum_duplicates()
        return sp.csr_array((np.ones(m.nnz, bool), m.indices, m.indptr), shape=m.shape)
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ValueError(f"a pattern must be 2-D, got an array of shape {arr.shape}")
    return sp.csr_array(arr != 0)
