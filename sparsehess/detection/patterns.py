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
    present = np.zeros(pattern.shape[1], bool)
    present[pattern.indices] = True
    return np.flatnonzero(present)


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


class HessianAccumulator:
    """Union of outer products a_kᵀ b_k into an (n, n) pattern.

    For n up to ``DENSE_LIMIT`` the pattern is a dense bool array.  When an interaction's
    rows are dense-ish (the block spanned by its columns is not much larger than the sum
    of its outer products), a block already fully present is skipped after one cheap check
    (loops add the same block at every step) and a new one is formed with a dense product
    over only the columns involved; otherwise the sparse outer products are added.  Larger
    n collects sparse products.
    """

    DENSE_LIMIT = 8192
    # A dense block costs about this many times less per entry than a sparse product term.
    DENSE_ADVANTAGE = 8

    def __init__(self, n: int):
        self.n = n
        self.dense = np.zeros((n, n), bool) if n <= self.DENSE_LIMIT else None
        self.blocks = []

    def add(self, a_rows: sp.csr_array, b_rows: sp.csr_array):
        if a_rows.nnz == 0 or b_rows.nnz == 0:
            return
        if self.dense is None:
            self.blocks.append(outer_product(a_rows, b_rows))
            return
        sparse_work = int(np.dot(np.diff(a_rows.indptr), np.diff(b_rows.indptr)))
        cols_a, cols_b = row_union(a_rows), row_union(b_rows)
        block_size = len(cols_a) * len(cols_b)
        if block_size <= self.DENSE_ADVANTAGE * sparse_work:
            block = np.ix_(cols_a, cols_b)
            if self.dense[block].all():
                return
            if a_rows.shape[0] * block_size <= self.DENSE_ADVANTAGE * sparse_work:
                a = a_rows[:, cols_a].toarray().astype(np.float32)
                b = b_rows[:, cols_b].toarray().astype(np.float32)
                self.dense[block] |= (a.T @ b) > 0
                return
        prod = outer_product(a_rows, b_rows).tocoo()
        self.dense[prod.row, prod.col] = True

    def result(self) -> sp.csr_array:
        """The symmetrized pattern (H ∪ Hᵀ) as bool CSR."""
        if self.dense is not None:
            return sp.csr_array(self.dense | self.dense.T)
        total = empty(self.n, self.n)
        for block in self.blocks:
            total = union(total, block)
        return union(total, sp.csr_array(total.T))
