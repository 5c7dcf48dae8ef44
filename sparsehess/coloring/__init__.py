"""Graph coloring of sparsity patterns for compressed Jacobian / Hessian evaluation.

``color(pattern, method, order)`` returns a :class:`Coloring`; see :mod:`.result` for the
seed / compression conventions of each method and :mod:`.checks` for independent validity
checkers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import bicoloring as _bicoloring
from . import kernels
from .checks import check_coloring
from .graphs import adjacency, as_pattern, bipartite_augmented, csr_arrays, symmetrize, transpose_pattern
from .matrix_market import load_pattern
from .orders import ORDERS, vertex_order
from .result import Coloring

__all__ = ["color", "Coloring", "check_coloring", "load_pattern", "METHODS", "ORDERS",
           "BEST_ORDERS"]

METHODS = ("column", "row", "star", "acyclic", "distance1", "bicoloring")
"""Coloring methods accepted by :func:`color`."""

BEST_ORDERS = ("natural", "largest_first", "smallest_last", "incidence_degree",
               "dynamic_largest_first")
"""Orders tried by ``order="best"`` (the first with the fewest colors wins)."""

SYMMETRIC = ("star", "acyclic", "distance1")


def _clique_bound(ptr: np.ndarray, idx: np.ndarray, tries: int = 8, cap: int = 256,
                  mask: np.ndarray | None = None) -> int:
    """Size of a greedy clique grown from a few highest-degree vertices (a lower bound);
    with ``mask``, a clique of the vertices where ``mask`` is True."""
    n = ptr.size - 1
    if mask is not None:
        if not mask.any():
            return 0
        rows = np.repeat(np.arange(n), np.diff(ptr))
        keep = mask[idx] & mask[rows]
        ptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=n))])
        idx = idx[keep]
        deg = np.diff(ptr)
        deg[~mask] = -1
        if idx.size == 0:
            return 1
    else:
        if n == 0:
            return 0
        if idx.size == 0:
            return 1
        deg = np.diff(ptr)
    best = 2
    for v in np.argsort(-deg, kind="stable")[:tries]:
        if mask is not None and not mask[v]:
            continue
        nb = idx[ptr[v]:ptr[v + 1]]
        nb = nb[np.argsort(-deg[nb], kind="stable")][:cap]
        clique = [int(v)]
        for w in nb:
            nbw = idx[ptr[w]:ptr[w + 1]]
            if np.all(np.isin(clique, nbw)):
                clique.append(int(w))
        best = max(best, len(clique))
    return best


def _forest_bound(n: int, nedges: int) -> int:
    """Fewest colors k such that pairwise 2-colored forests can hold ``nedges`` edges:
    ``nedges <= (k - 1) n - k (k - 1) / 2`` (valid for acyclic and star colorings)."""
    if n == 0:
        return 0
    k = 1
    while (k - 1) * n - k * (k - 1) // 2 < nedges and k <= n:
        k += 1
    return k


class _Prepared:
    """Graph structures shared by all orders of one ``color`` call."""

    def __init__(self, p: sp.csr_array, method: str):
        self.p = p
        if method in ("column", "row"):
            pp, pi = csr_arrays(p)
            tp, ti = csr_arrays(transpose_pattern(p))
            if method == "column":
                self.view = (p.shape[1], tp, ti, pp, pi, True)
                self.lower = int(np.diff(pp).max(initial=0))
            else:
                self.view = (p.shape[0], pp, pi, tp, ti, True)
                self.lower = int(np.diff(tp).max(initial=0))
            self.pattern = p
        else:
            sym = symmetrize(p) if method in SYMMETRIC else bipartite_augmented(p)
            ptr, idx = adjacency(sym)
            rev = kernels.reverse_positions(ptr, idx) if method == "acyclic" else None
            self.adj = (ptr, idx, rev)
            self.view = (ptr.size - 1, ptr, idx, ptr, idx, False)
            self.pattern = sym if method in SYMMETRIC else p
            clique = _clique_bound(ptr, idx)
            n = ptr.size - 1
            self.full_diagonal = method in SYMMETRIC and sym.nnz - idx.size == n
            if method == "distance1":
                self.lower = clique
            elif method == "bicoloring":
                self.lower = 1 if p.nnz else 0
            elif method == "star" and not self.full_diagonal:
                # post-processed colorings need not be distance-1 colorings off the diagonal:
                # n * k values of B must hold the nnz_upper unknowns, and vertices with a
                # diagonal entry that are pairwise adjacent need distinct colors
                diag = np.zeros(n, dtype=bool)
                sp_ptr, sp_idx = csr_arrays(sym)
                rows = np.repeat(np.arange(n), np.diff(sp_ptr))
                diag[rows[rows == sp_idx]] = True
                nupper = (sym.nnz + int(diag.sum())) // 2
                self.lower = max(-(-nupper // n) if n else 0, _clique_bound(ptr, idx, mask=diag))
            else:
                self.lower = max(clique, _forest_bound(ptr.size - 1, idx.size // 2))


def star_coloring(order: np.ndarray, ptr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The fewer-color of the two greedy star colorings of :func:`kernels.star_coloring_bits`
    (restricted rules, as CasADi's ``star_coloring``, and Gebremedhin et al. 2007) in
    ``order``; the second run stops as soon as it cannot beat the first."""
    first = kernels.star_coloring(order, ptr, idx, restricted=True, max_colors=32)
    if first is not None:
        other = kernels.star_coloring(order, ptr, idx, max_colors=int(first.max(initial=0)))
    else:  # many colors (or an order the restricted rules handle badly): 2007 rules first
        first = kernels.star_coloring(order, ptr, idx)
        other = kernels.star_coloring(order, ptr, idx, restricted=True,
                                      max_colors=int(first.max(initial=0)))
    return first if other is None else other


def _color_with_order(prep: _Prepared, method: str, order_name: str, requested: str, seed: int):
    order = vertex_order(order_name, prep.view, seed=seed)
    extra = {}
    if method in ("column", "row", "distance1"):
        colors = kernels.greedy_coloring(order, *prep.view)
    elif method == "acyclic":
        colors = kernels.acyclic_coloring(order, *prep.adj)
    else:
        colors = star_coloring(order, *prep.adj[:2])
        if method == "star" and not prep.full_diagonal and colors.size:
            sp_ptr, sp_idx = csr_arrays(prep.pattern)
            colors, ok = kernels.star_postprocess(sp_ptr, sp_idx, colors,
                                                  int(colors.max()) + 1)
            assert ok, "star coloring failed its own recovery check"
        if method == "bicoloring":
            rc, cc = _bicoloring.split_star_coloring(prep.p, colors)
            rc2, cc2 = _bicoloring.partition_bicoloring(prep.p, order_name, seed)
            if rc2.max(initial=0) + cc2.max(initial=0) < rc.max(initial=0) + cc.max(initial=0):
                rc, cc = rc2, cc2
            extra = {"row_colors": rc, "column_colors": cc}
            colors = np.concatenate([rc, cc])
    return Coloring(method, requested, prep.p.shape, prep.pattern, colors, prep.lower,
                    chosen_order=order_name,
                    adjacency=getattr(prep, "adj", None) if method == "acyclic" else None,
                    **extra)


def color(pattern, method: str, order: str = "largest_first", *, seed: int = 0) -> Coloring:
    """Color the sparsity pattern ``pattern`` (scipy sparse or dense; nonzeros are structural,
    explicit stored zeros are dropped) for compressed differentiation.

    method: ``"column"`` / ``"row"`` (partial distance-2 coloring of columns / rows),
    ``"star"`` (symmetric, direct recovery), ``"acyclic"`` (symmetric, substitution),
    ``"distance1"`` (proper coloring of the adjacency graph, for diagonals), ``"bicoloring"``
    (star bicoloring of rows and columns). Symmetric methods need a square pattern and color
    ``pattern ∪ pattern.T``.
    order: one of :data:`ORDERS` or ``"best"`` (tries :data:`BEST_ORDERS`, keeps the fewest
    colors). ``seed`` drives ``"random"``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown coloring method {method!r}; accepted: {', '.join(METHODS)}")
    if order != "best" and order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; accepted: {', '.join(ORDERS)}, best")
    p = as_pattern(pattern)
    if method in SYMMETRIC and p.shape[0] != p.shape[1]:
        raise ValueError(f"method {method!r} needs a square pattern, got shape {p.shape}; "
                         "use 'column', 'row' or 'bicoloring' for rectangular patterns")
    prep = _Prepared(p, method)
    if order != "best":
        return _color_with_order(prep, method, order, order, seed)
    best = None
    for name in BEST_ORDERS:
        c = _color_with_order(prep, method, name, "best", seed)
        if best is None or c.ncolors < best.ncolors:
            best = c
    return best
