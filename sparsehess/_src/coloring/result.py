"""Coloring results, one class per recovery kind: seed matrices, compression, recovery.

Conventions (``A`` has the colored pattern, shape ``(m, n)``; ``k = ncolors``; colors are
0-based int64, ``-1`` meaning "in no seed"):

* column-seeded methods (``column``, ``star``, ``acyclic``, ``distance1``):
  ``S = seed_matrix()`` has shape ``(n, k)`` with ``S[j, colors[j]] = 1``; the compressed
  matrix is ``B = A @ S``, shape ``(m, k)``.
* ``row``: ``S`` has shape ``(m, k)`` with ``S[i, colors[i]] = 1``; ``B = S.T @ A``, shape
  ``(k, n)``.
* ``bicoloring``: ``column_colors`` (shape ``(n,)``) and ``row_colors`` (shape ``(m,)``);
  ``seed_matrices()`` returns ``(S_c, S_r)`` of shapes ``(n, kc)`` and ``(m, kr)``; the
  compressed matrices are ``B_c = A @ S_c`` (``(m, kc)``) and ``B_r = S_r.T @ A``
  (``(kr, n)``); ``ncolors = kc + kr``.

Symmetric methods (star, acyclic, distance1) assume ``A`` symmetric with pattern contained in
``pattern``; ``pattern`` is then the symmetrization ``P ∪ P.T`` (diagonal kept when present).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ..recovery import direct
from ..recovery.substitution import SubstitutionTables


def _one_hot(colors: np.ndarray, k: int, dtype) -> np.ndarray:
    s = np.zeros((colors.size, k), dtype=dtype)
    used = colors >= 0
    s[np.flatnonzero(used), colors[used]] = 1
    return s


def _sparse_seed(colors: np.ndarray, k: int) -> sp.csr_array:
    used = np.flatnonzero(colors >= 0)
    return sp.csr_array((np.ones(used.size), (used, colors[used])), shape=(colors.size, k))


def _right_mul(a, s: sp.csr_array) -> np.ndarray:
    """Dense ``a @ s`` for ``a`` dense or sparse."""
    if sp.issparse(a):
        return np.asarray((sp.csr_array(a) @ s).toarray())
    a = np.asarray(a)
    return np.asarray((s.T @ a.T).T)


def _transpose(a):
    return a.T if sp.issparse(a) else np.asarray(a).T


class Coloring:
    """A coloring of a sparsity pattern and everything needed to compress and recover.

    Attributes: ``method`` (its name), ``spec`` (its :class:`~.methods.Method`), ``order``
    (as requested; ``chosen_order`` is the one used, which differs only for ``"best"``),
    ``shape`` (of the input pattern), ``pattern`` (canonical csr pattern that ``decompress``
    fills), ``colors`` (int64, one per column — per row for ``"row"``; for bicoloring the
    concatenation ``[row_colors, column_colors]``), ``ncolors``, ``lower_bound`` (a valid lower
    bound on the colors any coloring of this kind needs). Subclasses by recovery kind:
    :class:`DirectColoring`, :class:`SubstitutionColoring`, :class:`BidirectionalColoring`.
    """

    def __init__(self, spec, order, shape, pattern, colors, lower_bound, *, chosen_order=None):
        self.spec = spec
        self.method = spec.name
        self.order = order
        self.chosen_order = chosen_order or order
        self.shape = tuple(shape)
        self.pattern = pattern
        self.colors = np.asarray(colors, dtype=np.int64)
        self.lower_bound = int(lower_bound)
        self.ncolors = int(self.colors.max(initial=-1)) + 1
        self._jax_fns = {}                  # decompress_jax functions by layout

    def __repr__(self):
        return (f"Coloring(method={self.method!r}, order={self.chosen_order!r}, "
                f"shape={self.shape}, ncolors={self.ncolors}, lower_bound={self.lower_bound})")

    # ----------------------------------------------------------------- seeds & compression
    def seed_matrix(self, dtype=np.float64) -> np.ndarray:
        """Dense one-hot seed ``S``: ``(n, ncolors)``, or ``(m, ncolors)`` for ``"row"``."""
        return _one_hot(self.colors, self.ncolors, dtype)

    def seed_matrices(self, dtype=np.float64):
        raise ValueError(f"seed_matrices() is for bicoloring; {self.method!r} has seed_matrix()")

    def compress(self, a):
        """``B = A @ S`` (``S.T @ A`` for ``"row"``) as a dense ndarray; for bicoloring the pair
        ``(B_c, B_r)``."""
        s = _sparse_seed(self.colors, self.ncolors)
        if self.spec.seeds == "rows":
            return _right_mul(_transpose(a), s).T
        return _right_mul(a, s)

    # ----------------------------------------------------------------------- recovery
    def gather_indices(self):
        """Direct methods: int64 ``(rows, cols, b_rows, b_cols)`` in CSR order of ``pattern``
        (for distance1: the diagonal ``i = 0..n-1``) with ``A[rows, cols] == B[b_rows, b_cols]``.

        Bicoloring: ``(rows, cols, source, b_rows, b_cols)``; ``source`` is 0 where the entry is
        read from ``B_c`` and 1 where it is read from ``B_r``.
        """
        raise ValueError(f"{self.method!r} needs substitution: use values() or decompress_jax()")

    def values(self, b):
        """Entries of ``pattern`` in CSR order recovered from ``b`` (numpy, shape ``(nnz,)``);
        for distance1 the diagonal, shape ``(n,)``; for bicoloring ``b = (B_c, B_r)``."""
        raise NotImplementedError

    def decompress(self, b):
        """Recovered matrix as a ``csr_array`` with the structure of ``pattern``; for distance1
        the diagonal as a 1-D ndarray of shape ``(n,)``."""
        v = self.values(b)
        if self.spec.recovers == "diagonal":
            return v
        p = self.pattern
        return sp.csr_array((v, p.indices.copy(), p.indptr.copy()), shape=p.shape)

    def decompress_jax(self, b=None, *, transposed=False):
        """JAX version of :meth:`values`. Called with ``b`` it returns the values; called
        without it returns the jittable function ``f(B) -> values`` (bicoloring:
        ``f(B_c, B_r)``). ``transposed=True`` takes ``B.T`` instead of ``B`` (shape ``(k, m)``,
        the layout of k stacked products; not for row or bicoloring).

        The function is a :class:`~sparsehess._src.recovery.jax_recovery.Recovery`, a pytree
        holding its index arrays on the device, prepared once: passed as an argument of a
        jitted function, they stay arguments rather than constants compiled into it."""
        if transposed and self.spec.seeds != "columns":
            raise ValueError(f"transposed=True is for column-compressed methods, not {self.method!r}")
        f = self._jax_fns.get(bool(transposed))
        if f is None:
            from ..recovery import jax_recovery   # JAX is loaded only when asked for

            f = self._jax_fns[bool(transposed)] = self._jax_recovery(jax_recovery, transposed)
        if b is None:
            return f
        return f(*b) if self.spec.seeds == "both" else f(b)

    def _flat_b(self, rows, cols, transposed):
        """Positions of ``B[rows, cols]`` in the raveled ``B`` (or ``B.T`` when transposed)."""
        return cols * self.shape[0] + rows if transposed else rows * self.ncolors + cols

    def _jax_recovery(self, jax_recovery, transposed):
        raise NotImplementedError


class DirectColoring(Coloring):
    """Every nonzero is read from one entry of ``B`` (column, row, star, distance1)."""

    @cached_property
    def _reads(self):
        return self.spec.reads(self.pattern, self.colors, self.ncolors)

    def gather_indices(self):
        return tuple(a.copy() for a in self._reads)

    def values(self, b):
        _, _, b_rows, b_cols = self._reads
        return np.asarray(b)[b_rows, b_cols]

    def _jax_recovery(self, jax_recovery, transposed):
        _, _, b_rows, b_cols = self._reads
        if self.spec.seeds == "rows":
            return jax_recovery.gather(b_rows * self.shape[1] + b_cols)
        b_shape = (self.ncolors, self.shape[0]) if transposed else None
        return jax_recovery.gather(self._flat_b(b_rows, b_cols, transposed), b_shape)


class SubstitutionColoring(Coloring):
    """Nonzeros solved along the 2-colored trees of an acyclic coloring (``adjacency``: the
    ``(ptr, idx, rev)`` of the colored graph)."""

    def __init__(self, *args, adjacency, **kwargs):
        super().__init__(*args, **kwargs)
        self._adjacency = adjacency

    @cached_property
    def substitution(self) -> SubstitutionTables:
        """The substitution schedule (built on first use)."""
        return SubstitutionTables(self.pattern, self._adjacency, self.colors, self.ncolors)

    @property
    def max_terms(self) -> int:
        """Most entries of B one recovered nonzero is computed from: the factor by which the
        rounding errors of B can add up in a recovered nonzero."""
        return self.substitution.max_terms

    def values(self, b):
        return self.substitution.values(np.asarray(b))

    def _jax_recovery(self, jax_recovery, transposed):
        tables = self.substitution.tour_tables(
            lambda rows, cols: self._flat_b(rows, cols, transposed))
        return jax_recovery.substitution(*tables)


class BidirectionalColoring(Coloring):
    """Star bicoloring: every nonzero is read from ``B_c = A @ S_c`` or ``B_r = S_r.T @ A``."""

    def __init__(self, spec, order, shape, pattern, colors, lower_bound, *, row_colors,
                 column_colors, chosen_order=None):
        super().__init__(spec, order, shape, pattern, colors, lower_bound,
                         chosen_order=chosen_order)
        self.row_colors = np.asarray(row_colors, dtype=np.int64)
        self.column_colors = np.asarray(column_colors, dtype=np.int64)
        self.nrow_colors = int(self.row_colors.max(initial=-1)) + 1
        self.ncolumn_colors = int(self.column_colors.max(initial=-1)) + 1
        self.ncolors = self.nrow_colors + self.ncolumn_colors

    def seed_matrix(self, dtype=np.float64):
        raise ValueError("bicoloring has two seeds: use seed_matrices()")

    def seed_matrices(self, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
        """Bicoloring seeds ``(S_c, S_r)`` of shapes ``(n, kc)`` and ``(m, kr)``."""
        return (_one_hot(self.column_colors, self.ncolumn_colors, dtype),
                _one_hot(self.row_colors, self.nrow_colors, dtype))

    def compress(self, a):
        sc = _sparse_seed(self.column_colors, self.ncolumn_colors)
        sr = _sparse_seed(self.row_colors, self.nrow_colors)
        return _right_mul(a, sc), _right_mul(_transpose(a), sr).T

    @cached_property
    def _reads(self):
        return direct.bidirectional_reads(self.pattern, self.row_colors, self.column_colors,
                                          self.nrow_colors, self.ncolumn_colors)

    def gather_indices(self):
        return tuple(a.copy() for a in self._reads)

    def values(self, b):
        bc, br = (np.asarray(x) for x in b)
        _, _, source, b_rows, b_cols = self._reads
        out = np.empty(source.size, dtype=np.result_type(bc.dtype, br.dtype))
        c = source == 0
        out[c] = bc[b_rows[c], b_cols[c]]
        out[~c] = br[b_rows[~c], b_cols[~c]]
        return out

    def _jax_recovery(self, jax_recovery, transposed):
        _, _, source, b_rows, b_cols = self._reads
        flat_c = np.where(source == 0, b_rows * self.ncolumn_colors + b_cols, 0)
        flat_r = np.where(source == 1, b_rows * self.shape[1] + b_cols, 0)
        return jax_recovery.bicoloring(flat_c, flat_r, source == 0)


RESULTS = {"direct": DirectColoring, "substitution": SubstitutionColoring,
           "bidirectional": BidirectionalColoring}
"""The result class of each recovery kind (``Method.recovery``)."""
