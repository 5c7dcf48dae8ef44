"""Graph coloring of sparsity patterns for compressed Jacobian / Hessian evaluation.

``color(pattern, method, order)`` returns a :class:`Coloring`; see :mod:`.result` for the
seed / compression conventions of each method and :mod:`.checks` for independent validity
checkers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import InternalError
from . import bicoloring as _bicoloring
from . import improve, kernels
from .bounds import clique_bound
from .checks import check_coloring
from .graphs import (adjacency, as_pattern, bipartite_augmented, csr_arrays, is_symmetric_arrays,
                     symmetrize, transpose_arrays)
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
            if p.shape[0] == p.shape[1] and is_symmetric_arrays(pp, pi):
                tp, ti = pp, pi  # a structurally symmetric pattern is its own transpose
            else:
                tp, ti = transpose_arrays(pp, pi, p.shape[1])
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
            clique = clique_bound(ptr, idx)
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
                self.lower = max(-(-nupper // n) if n else 0, clique_bound(ptr, idx, mask=diag))
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


def _symmetric_colors(prep: _Prepared, method: str, order: np.ndarray) -> np.ndarray:
    """Greedy star / acyclic colors of ``prep`` in ``order`` (star post-processed when the
    diagonal is not full)."""
    if method == "acyclic":
        return kernels.acyclic_coloring(order, *prep.adj[:2])
    colors = star_coloring(order, *prep.adj[:2])
    if method == "star" and not prep.full_diagonal and colors.size:
        sp_ptr, sp_idx = csr_arrays(prep.pattern)
        colors, ok = kernels.star_postprocess(sp_ptr, sp_idx, colors, int(colors.max()) + 1)
        if not ok:
            raise InternalError("star post-processing broke direct recovery of the coloring")
    return colors


def _color_with_order(prep: _Prepared, method: str, order_name: str, requested: str, seed: int):
    order = vertex_order(order_name, prep.view, seed=seed)
    extra = {}
    if method in ("column", "row", "distance1"):
        colors = kernels.greedy_coloring(order, *prep.view)
    elif method in ("star", "acyclic"):
        colors = _symmetric_colors(prep, method, order)
    else:
        colors = star_coloring(order, *prep.adj[:2])
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


def _improved(prep: _Prepared, method: str, c: Coloring, effort: float, seed: int,
              rounds: int | None) -> Coloring:
    """``c`` after the improvement stage of :mod:`.improve` (bicoloring: unchanged)."""
    if method == "bicoloring" or c.ncolors <= max(prep.lower, 1):
        return c
    lower = c.lower_bound
    if method in ("column", "row", "distance1"):
        colors, lower = improve.improve_view(c.colors, prep.view, effort=effort, seed=seed,
                                             lower_bound=lower, rounds=rounds)
    else:
        colors = improve.improve_by_orders(
            c.colors, lambda order: _symmetric_colors(prep, method, order), effort=effort,
            seed=seed, lower_bound=prep.lower, rounds=rounds,
            degrees=np.diff(prep.adj[0]).astype(np.float64))
    return Coloring(method, c.order, c.shape, c.pattern, colors, lower,
                    chosen_order=c.chosen_order,
                    adjacency=prep.adj if method == "acyclic" else None)


def color(pattern, method: str, order: str = "largest_first", *, seed: int = 0,
          effort: float = 0.0, rounds: int | None = None) -> Coloring:
    """Color the sparsity pattern ``pattern`` (scipy sparse or dense; nonzeros are structural,
    explicit stored zeros are dropped) for compressed differentiation.

    method: ``"column"`` / ``"row"`` (partial distance-2 coloring of columns / rows),
    ``"star"`` (symmetric, direct recovery), ``"acyclic"`` (symmetric, substitution),
    ``"distance1"`` (proper coloring of the adjacency graph, for diagonals), ``"bicoloring"``
    (star bicoloring of rows and columns). Symmetric methods need a square pattern and color
    ``pattern ∪ pattern.T``.
    order: one of :data:`ORDERS` or ``"best"`` (tries :data:`BEST_ORDERS`, keeps the fewest
    colors). ``seed`` drives ``"random"`` and the improvement stage.
    effort: seconds for the improvement stage after greedy (:mod:`.improve`: iterated greedy,
    and tabu search for column / row / distance1; never more colors than greedy, valid for the
    method; bicoloring is not improved). ``0`` (default) is plain greedy. The search stops
    early at ``lower_bound``. ``rounds`` replaces the clock by a fixed number of search rounds
    (same seed, same rounds: same colors).
    """
    if method not in METHODS:
        raise ValueError(f"unknown coloring method {method!r}; accepted: {', '.join(METHODS)}")
    if order != "best" and order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; accepted: {', '.join(ORDERS)}, best")
    if not np.isscalar(effort) or not effort >= 0:
        raise ValueError(f"effort must be a number of seconds >= 0, got {effort!r}")
    if rounds is not None and (not isinstance(rounds, (int, np.integer)) or rounds < 0):
        raise ValueError(f"rounds must be None or an int >= 0, got {rounds!r}")
    p = as_pattern(pattern)
    if method in SYMMETRIC and p.shape[0] != p.shape[1]:
        raise ValueError(f"method {method!r} needs a square pattern, got shape {p.shape}; "
                         "use 'column', 'row' or 'bicoloring' for rectangular patterns")
    prep = _Prepared(p, method)
    if order != "best":
        best = _color_with_order(prep, method, order, order, seed)
    else:
        best = None
        for name in BEST_ORDERS:
            c = _color_with_order(prep, method, name, "best", seed)
            if best is None or c.ncolors < best.ncolors:
                best = c
    if effort > 0 or rounds is not None:
        best = _improved(prep, method, best, float(effort), seed, rounds)
    return best
