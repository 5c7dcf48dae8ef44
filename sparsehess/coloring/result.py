"""The :class:`Coloring` result: seed matrices, compression and decompression.

Conventions (``A`` has the colored pattern, shape ``(m, n)``; ``k = ncolors``):

* ``column``, ``star``, ``acyclic``, ``distance1``: ``S = seed_matrix()`` has shape ``(n, k)``
  with ``S[j, colors[j]] = 1``; the compressed matrix is ``B = A @ S``, shape ``(m, k)``.
* ``row``: ``S`` has shape ``(m, k)`` with ``S[i, colors[i]] = 1``; ``B = S.T @ A``, shape
  ``(k, n)``.
* ``bicoloring``: ``column_colors`` (shape ``(n,)``) and ``row_colors`` (shape ``(m,)``) hold
  1-based colors, 0 meaning "not in any seed". ``seed_matrices()`` returns
  ``(S_c, S_r)`` of shapes ``(n, kc)`` and ``(m, kr)`` with ``S_c[j, column_colors[j]-1] = 1``;
  the compressed matrices are ``B_c = A @ S_c`` (``(m, kc)``) and ``B_r = S_r.T @ A``
  (``(kr, n)``); ``ncolors = kc + kr``.

Symmetric methods (star, acyclic, distance1) assume ``A`` symmetric with pattern contained in
``pattern``; ``pattern`` is then the symmetrization ``P ∪ P.T`` (diagonal kept when present).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from numba import njit

from . import decompression, kernels

DIRECT = ("column", "row", "star", "distance1")


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


def _one_hot(colors: np.ndarray, k: int, dtype) -> np.ndarray:
    s = np.zeros((colors.size, k), dtype=dtype)
    used = colors >= 0
    s[np.flatnonzero(used), colors[used]] = 1
    return s


def _sparse_seed(colors: np.ndarray, k: int) -> sp.csr_array:
    used = np.flatnonzero(colors >= 0)
    return sp.csr_array(
        (np.ones(used.size), (used, colors[used])), shape=(colors.size, k)
    )


def _right_mul(a, s: sp.csr_array) -> np.ndarray:
    """Dense ``a @ s`` for ``a`` dense or sparse."""
    if sp.issparse(a):
        return np.asarray((sp.csr_array(a) @ s).toarray())
    a = np.asarray(a)
    return np.asarray((s.T @ a.T).T)


class Coloring:
    """A coloring of a sparsity pattern and everything needed to compress and recover.

    Attributes: ``method``, ``order`` (as requested; ``chosen_order`` is the one used, which
    differs only for ``"best"``), ``shape`` (of the input pattern), ``pattern`` (canonical csr
    pattern that ``decompress`` fills), ``colors`` (int64, 0-based, one per column — per row
    for ``"row"``; for bicoloring the concatenation ``[row_colors, column_colors]``),
    ``ncolors``, ``lower_bound`` (a valid lower bound on the colors any coloring of this kind
    needs).
    """

    def __init__(self, method, order, shape, pattern, colors, lower_bound, *,
                 chosen_order=None, adjacency=None, row_colors=None, column_colors=None):
        self.method = method
        self.order = order
        self.chosen_order = chosen_order or order
        self.shape = tuple(shape)
        self.pattern = pattern
        self.colors = np.asarray(colors, dtype=np.int64)
        self.lower_bound = int(lower_bound)
        self._adjacency = adjacency
        self._jax_fns = {}                  # decompress_jax functions by layout
        if method == "bicoloring":
            self.row_colors = np.asarray(row_colors, dtype=np.int64)
            self.column_colors = np.asarray(column_colors, dtype=np.int64)
            self.nrow_colors = int(self.row_colors.max(initial=0))
            self.ncolumn_colors = int(self.column_colors.max(initial=0))
            self.ncolors = self.nrow_colors + self.ncolumn_colors
        else:
            self.ncolors = int(self.colors.max(initial=-1)) + 1

    def __repr__(self):
        return (f"Coloring(method={self.method!r}, order={self.chosen_order!r}, "
                f"shape={self.shape}, ncolors={self.ncolors}, lower_bound={self.lower_bound})")

    # ----------------------------------------------------------------- seeds & compression
    def seed_matrix(self, dtype=np.float64) -> np.ndarray:
        """Dense one-hot seed ``S``: ``(n, ncolors)``, or ``(m, ncolors)`` for ``"row"``."""
        if self.method == "bicoloring":
            raise ValueError("bicoloring has two seeds: use seed_matrices()")
        return _one_hot(self.colors, self.ncolors, dtype)

    def seed_matrices(self, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
        """Bicoloring seeds ``(S_c, S_r)`` of shapes ``(n, kc)`` and ``(m, kr)``."""
        if self.method != "bicoloring":
            raise ValueError(f"seed_matrices() is for bicoloring; {self.method!r} has seed_matrix()")
        return (_one_hot(self.column_colors - 1, self.ncolumn_colors, dtype),
                _one_hot(self.row_colors - 1, self.nrow_colors, dtype))

    def compress(self, a):
        """``B = A @ S`` (``S.T @ A`` for ``"row"``) as a dense ndarray; for bicoloring the pair
        ``(B_c, B_r)``."""
        if self.method == "bicoloring":
            sc = _sparse_seed(self.column_colors - 1, self.ncolumn_colors)
            sr = _sparse_seed(self.row_colors - 1, self.nrow_colors)
            at = a.T if sp.issparse(a) else np.asarray(a).T
            return _right_mul(a, sc), _right_mul(at, sr).T
        s = _sparse_seed(self.colors, self.ncolors)
        if self.method == "row":
            at = a.T if sp.issparse(a) else np.asarray(a).T
            return _right_mul(at, s).T
        return _right_mul(a, s)

    # ----------------------------------------------------------------------- direct gather
    @cached_property
    def _gather(self):
        p = self.pattern
        if self.method == "distance1":
            n = self.shape[0]
            ar = np.arange(n, dtype=np.int64)
            return ar, ar.copy(), ar.copy(), self.colors.copy()
        rows = np.repeat(np.arange(p.shape[0], dtype=np.int64), np.diff(p.indptr))
        cols = p.indices.astype(np.int64)
        if self.method == "column":
            return rows, cols, rows.copy(), self.colors[cols]
        if self.method == "row":
            return rows, cols, self.colors[rows], cols.copy()
        if self.method == "star":
            ptr, idx = p.indptr.astype(np.int64), cols
            cnt = kernels.exclusive_counts(ptr, idx, self.colors, self.ncolors)
            rev = kernels.reverse_positions(ptr, idx)
            b_rows = np.empty_like(rows)
            b_cols = np.empty(idx.size, self.colors.dtype)
            if not _star_reads(ptr, idx, self.colors, cnt, rev, b_rows, b_cols):
                raise ValueError("not a star coloring: some entry cannot be read directly")
            return rows, cols, b_rows, b_cols
        if self.method == "bicoloring":
            ptr, idx = p.indptr.astype(np.int64), cols
            cc = self.column_colors - 1
            rc = self.row_colors - 1
            cnt_c = kernels.exclusive_counts(ptr, idx, cc, self.ncolumn_colors)
            t = sp.csr_array((np.arange(idx.size, dtype=np.int64), idx, ptr), shape=p.shape).T.tocsr()
            t.sort_indices()
            cnt_t = kernels.exclusive_counts(t.indptr.astype(np.int64),
                                             t.indices.astype(np.int64), rc, self.nrow_colors)
            cnt_r = np.empty_like(cnt_t)
            cnt_r[t.data] = cnt_t
            from_col = (cc[cols] >= 0) & (cnt_c == 1)
            from_row = (rc[rows] >= 0) & (cnt_r == 1)
            if not np.all(from_col | from_row):
                raise ValueError("not a valid bicoloring: some entry cannot be read directly")
            source = np.where(from_col, 0, 1).astype(np.int64)
            b_rows = np.where(from_col, rows, rc[rows])
            b_cols = np.where(from_col, cc[cols], cols)
            return rows, cols, source, b_rows, b_cols
        raise ValueError(f"{self.method!r} needs substitution: use values() or decompress_jax()")

    def gather_indices(self):
        """Direct methods: int64 ``(rows, cols, b_rows, b_cols)`` in CSR order of ``pattern``
        (for distance1: the diagonal ``i = 0..n-1``) with ``A[rows, cols] == B[b_rows, b_cols]``.

        Bicoloring: ``(rows, cols, source, b_rows, b_cols)``; ``source`` is 0 where the entry is
        read from ``B_c`` and 1 where it is read from ``B_r``.
        """
        return tuple(a.copy() for a in self._gather)

    # ----------------------------------------------------------------------- acyclic schedule
    @cached_property
    def _schedule(self):
        ptr, idx, rev = self._adjacency
        return decompression.tree_schedule(ptr, idx, rev, self.colors, max(self.ncolors, 1))

    @cached_property
    def _tour(self):
        """``(preorder, tin, tout, depth)`` of the substitution forest (see euler_tour)."""
        return decompression.euler_tour(self._schedule[4])

    @cached_property
    def _max_terms(self) -> int:
        """Most entries of B one recovered nonzero is computed from (1 when read directly;
        for acyclic, the largest subtree of the substitution): the factor by which the
        rounding errors of B can add up in a recovered nonzero."""
        if self.method != "acyclic":
            return 1
        parent = self._schedule[4]
        _, tin, tout, _ = self._tour
        return int(np.max(tout - tin, where=parent >= 0, initial=1))

    @cached_property
    def _offdiag(self):
        p = self.pattern
        rows = np.repeat(np.arange(p.shape[0], dtype=np.int64), np.diff(p.indptr))
        return rows, p.indices.astype(np.int64), rows != p.indices

    # ----------------------------------------------------------------------- decompression
    def values(self, b):
        """Entries of ``pattern`` in CSR order recovered from ``b`` (numpy, shape ``(nnz,)``);
        for distance1 the diagonal, shape ``(n,)``; for bicoloring ``b = (B_c, B_r)``."""
        if self.method == "bicoloring":
            bc, br = (np.asarray(x) for x in b)
            _, _, source, b_rows, b_cols = self._gather
            dtype = np.result_type(bc.dtype, br.dtype)
            out = np.empty(source.size, dtype=dtype)
            c = source == 0
            out[c] = bc[b_rows[c], b_cols[c]]
            out[~c] = br[b_rows[~c], b_cols[~c]]
            return out
        b = np.asarray(b)
        if self.method in DIRECT:
            _, _, b_rows, b_cols = self._gather
            return b[b_rows, b_cols]
        rows, _, off = self._offdiag
        order, _, brow, bcol, parent, child_of = self._schedule
        out = np.empty(rows.size, dtype=b.dtype)
        if b.size:
            val = decompression.tree_values(order, brow, bcol, parent, np.ascontiguousarray(b))
            out[off] = val[child_of]
        out[~off] = b[rows[~off], self.colors[rows[~off]]]
        return out

    def decompress(self, b):
        """Recovered matrix as a ``csr_array`` with the structure of ``pattern``; for distance1
        the diagonal as a 1-D ndarray of shape ``(n,)``."""
        v = self.values(b)
        if self.method == "distance1":
            return v
        p = self.pattern
        return sp.csr_array((v, p.indices.copy(), p.indptr.copy()), shape=p.shape)

    def decompress_jax(self, b=None, *, transposed=False):
        """JAX version of :meth:`values`. Called with ``b`` it returns the values; called
        without it returns the jittable function ``f(B) -> values`` (bicoloring:
        ``f(B_c, B_r)``). ``transposed=True`` takes ``B.T`` instead of ``B`` (shape ``(k, m)``,
        the layout of k stacked products; not for row or bicoloring).

        The function is a :class:`~sparsehess.coloring.jax_recovery.Recovery`, a pytree
        holding its index arrays on the device, prepared once: passed as an argument of a
        jitted function, they stay arguments rather than constants compiled into it."""
        if transposed and self.method in ("row", "bicoloring"):
            raise ValueError(f"transposed=True is for column-compressed methods, not {self.method!r}")
        f = self._jax_fns.get(bool(transposed))
        if f is None:
            f = self._jax_fns[bool(transposed)] = self._build_jax_fn(transposed)
        if b is None:
            return f
        return f(*b) if self.method == "bicoloring" else f(b)

    def _flat_b(self, rows, cols, transposed):
        """Positions of ``B[rows, cols]`` in the raveled ``B`` (or ``B.T`` when transposed)."""
        return cols * self.shape[0] + rows if transposed else rows * self.ncolors + cols

    def _build_jax_fn(self, transposed):
        from . import jax_recovery

        if self.method == "bicoloring":
            _, _, source, b_rows, b_cols = self._gather
            flat_c = np.where(source == 0, b_rows * self.ncolumn_colors + b_cols, 0)
            flat_r = np.where(source == 1, b_rows * self.shape[1] + b_cols, 0)
            return jax_recovery.bicoloring(flat_c, flat_r, source == 0)
        if self.method in DIRECT:
            _, _, b_rows, b_cols = self._gather
            if self.method == "row":
                return jax_recovery.gather(b_rows * self.shape[1] + b_cols)
            b_shape = (self.ncolors, self.shape[0]) if transposed else None
            return jax_recovery.gather(self._flat_b(b_rows, b_cols, transposed), b_shape)
        rows, _, off = self._offdiag
        _, _, brow, bcol, parent, child_of = self._schedule
        preorder, tin, tout, depth = self._tour
        # a root reads the B entry of its tree edges (its children's color), which makes
        # the alternating sum over every tree zero and keeps the prefix sums small
        col = bcol.copy()
        child = np.flatnonzero(parent >= 0)
        col[parent[child]] = self.colors[brow[child]]
        b_tour = self._flat_b(brow[preorder], col[preorder], transposed)
        sign = np.where(depth[preorder] % 2 == 0, 1, -1).astype(np.int8)   # tour order
        diag_rows = rows[~off]
        # each entry reads its edge's value (tour position of the child) or its diagonal
        entry = np.empty(rows.size, np.int64)
        entry[off] = tin[child_of]
        entry[~off] = preorder.size + np.arange(diag_rows.size)
        return jax_recovery.substitution(
            b_tour, sign, tout[preorder],
            self._flat_b(diag_rows, self.colors[diag_rows], transposed), entry)
