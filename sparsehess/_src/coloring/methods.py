"""Coloring methods as objects: one ``Method`` per name of ``METHODS``, holding in one place
what the method colors, its lower bound, its greedy kernel, its improvement stage, how its
result is recovered and which products its sweeps take.

A method colors a ``Graphs`` object (the views of one pattern that its kernels read, built
once per ``color`` call and shared by every order tried). Recovery kinds:
``"direct"`` (every nonzero read from one entry of the compressed matrix), ``"substitution"``
(acyclic: solved along 2-colored trees) and ``"bidirectional"`` (bicoloring: read from
``A S_c`` or from ``S_r^T A``). Sweep kinds: ``"jvp"`` (forward products ``A s``), ``"vjp"``
(reverse products ``s^T A``), ``"hvp"`` (Hessian-vector products) and ``"jvp+vjp"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ...errors import InternalError
from ..recovery import direct
from . import bicoloring, improve, kernels
from .bounds import clique_bound
from .graphs import (adjacency, bipartite_augmented, csr_arrays, is_symmetric_arrays, symmetrize,
                     transpose_arrays)


@dataclass
class Graphs:
    """What the kernels of one method read, for one pattern ``p`` (csr, shape ``(m, n)``).

    ``pattern``: the pattern the result recovers (``P ∪ P.T`` for symmetric methods);
    ``view``: the distance-k view ``(nvertices, ptr1, idx1, ptr2, idx2, dist2)`` of the vertices
    colored (see ``kernels.neighbours``); ``adjacency``: ``(ptr, idx, rev)`` of the adjacency
    graph colored by star / acyclic / bicoloring kernels (``rev`` only for acyclic), else None;
    ``lower_bound``: colors every coloring of this kind needs at least; ``pattern_arrays``:
    int64 CSR ``(ptr, idx)`` of ``pattern`` where the star post-processing reads it.
    """

    p: sp.csr_array
    pattern: sp.csr_array
    view: tuple
    lower_bound: int
    adjacency: tuple | None = None
    full_diagonal: bool = False
    pattern_arrays: tuple | None = None


def _forest_bound(n: int, nedges: int) -> int:
    """Fewest colors k such that pairwise 2-colored forests can hold ``nedges`` edges:
    ``nedges <= (k - 1) n - k (k - 1) / 2`` (valid for acyclic and star colorings)."""
    if n == 0:
        return 0
    k = 1
    while (k - 1) * n - k * (k - 1) // 2 < nedges and k <= n:
        k += 1
    return k


def forest_lower_bound(p: sp.csr_array) -> int:
    """Colors every star or acyclic coloring of the symmetric pattern ``p`` needs at least,
    from its number of off-diagonal edges alone (:func:`_forest_bound`; O(n))."""
    n = p.shape[0]
    ndiag = int(np.count_nonzero(p.diagonal())) if n else 0
    return _forest_bound(n, (p.nnz - ndiag) // 2)


def star_colors(order: np.ndarray, ptr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The fewer-color of the two greedy star colorings of :func:`kernels.star_coloring`
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


@dataclass(frozen=True)
class Method:
    """One coloring method. ``symmetric``: colors ``P ∪ P.T`` of a square pattern;
    ``seeds``: ``"columns"`` or ``"rows"`` (what ``colors`` has one entry per; bicoloring:
    ``"both"``); ``recovery`` and ``sweep``: see the module docstring; ``reads``: for direct
    recovery, the table builder ``(pattern, colors, ncolors) -> (rows, cols, b_rows, b_cols)``
    of :mod:`sparsehess._src.recovery.direct`; ``recovers``: ``"matrix"`` or ``"diagonal"``;
    ``checker``: the method name :func:`~.checks.check_coloring` validates it under;
    ``graph`` (per class): ``"bipartite"`` (one side of the row/column graph, distance 2),
    ``"adjacency"`` (of ``P ∪ P.T``) or ``"augmented"`` (of ``[[0, A], [A.T, 0]]``)."""

    graph: ClassVar[str] = ""    # what it colors: "bipartite", "adjacency" or "augmented"

    name: str
    symmetric: bool
    seeds: str
    recovery: str
    sweep: str
    reads: object = None
    recovers: str = "matrix"

    @property
    def checker(self) -> str:
        return self.name

    def graphs(self, p: sp.csr_array) -> Graphs:
        raise NotImplementedError

    def greedy(self, graphs: Graphs, order: np.ndarray, order_name: str, seed: int) -> dict:
        """Greedy colors in the vertex ``order`` (named ``order_name``): ``{"colors": ...}``
        (bicoloring adds ``row_colors`` and ``column_colors``)."""
        raise NotImplementedError

    def improve(self, graphs: Graphs, colors, lower_bound, *, effort, seed, rounds):
        """``(colors, lower_bound)`` after the improvement stage (:mod:`.improve`); never
        more colors than ``colors``."""
        return colors, lower_bound


@dataclass(frozen=True)
class _ViewColoring(Method):
    """Shared by the first-fit colorings of a distance-k view (partial distance-2, distance-1):
    greedy in the order, improved by iterated greedy and tabu search on the view."""

    def greedy(self, graphs, order, order_name, seed):
        return {"colors": kernels.greedy_coloring(order, *graphs.view)}

    def improve(self, graphs, colors, lower_bound, *, effort, seed, rounds):
        return improve.improve_view(colors, graphs.view, effort=effort, seed=seed,
                                    lower_bound=lower_bound, rounds=rounds)


@dataclass(frozen=True)
class PartialDistance2(_ViewColoring):
    """Partial distance-2 coloring of the columns (or rows) of the bipartite graph: no row
    (column) holds two columns (rows) of one color. Bound: the longest row (column)."""

    graph = "bipartite"

    def graphs(self, p):
        pp, pi = csr_arrays(p)
        if p.shape[0] == p.shape[1] and is_symmetric_arrays(pp, pi):
            tp, ti = pp, pi  # a structurally symmetric pattern is its own transpose
        else:
            tp, ti = transpose_arrays(pp, pi, p.shape[1])
        if self.seeds == "columns":
            view, lower = (p.shape[1], tp, ti, pp, pi, True), np.diff(pp).max(initial=0)
        else:
            view, lower = (p.shape[0], pp, pi, tp, ti, True), np.diff(tp).max(initial=0)
        return Graphs(p, p, view, int(lower))


def _adjacency_graphs(p, sym, *, with_rev=False):
    """``Graphs`` over the adjacency graph of the symmetric pattern ``sym``, lower bound 0
    (each method sets its own)."""
    ptr, idx = adjacency(sym)
    rev = direct.reverse_positions(ptr, idx) if with_rev else None
    n = ptr.size - 1
    return Graphs(p, sym, (n, ptr, idx, ptr, idx, False), 0, adjacency=(ptr, idx, rev),
                  full_diagonal=sym.nnz - idx.size == n)


def _tree_bound(graphs) -> int:
    """Lower bound of star and acyclic colorings: a greedy clique, and the colors pairwise
    2-colored forests need to hold every edge."""
    ptr, idx, _ = graphs.adjacency
    return max(clique_bound(ptr, idx), _forest_bound(ptr.size - 1, idx.size // 2))


@dataclass(frozen=True)
class Distance1(_ViewColoring):
    """Proper coloring of the adjacency graph of ``P ∪ P.T`` (enough for the diagonal)."""

    graph = "adjacency"

    def graphs(self, p):
        g = _adjacency_graphs(p, symmetrize(p))
        g.lower_bound = clique_bound(*g.adjacency[:2])
        return g


@dataclass(frozen=True)
class _TreeColoring(Method):
    """Shared by star and acyclic colorings: symmetric, improved by re-running the greedy
    kernel in orders derived from the current color classes."""

    graph = "adjacency"

    def greedy(self, graphs, order, order_name, seed):
        return {"colors": self.colors_in_order(graphs, order)}

    def colors_in_order(self, graphs, order):
        raise NotImplementedError

    def improve(self, graphs, colors, lower_bound, *, effort, seed, rounds):
        improved = improve.improve_by_orders(
            colors, lambda order: self.colors_in_order(graphs, order), effort=effort,
            seed=seed, lower_bound=graphs.lower_bound, rounds=rounds,
            degrees=np.diff(graphs.adjacency[0]).astype(np.float64))
        return improved, lower_bound


@dataclass(frozen=True)
class Star(_TreeColoring):
    """Star coloring (Gebremedhin et al. 2007, Algorithm 4.1) post-processed for direct
    recovery when the diagonal is not full: every entry of ``P ∪ P.T`` is alone in its
    column's color class in its row or in its mirror's row."""

    def graphs(self, p):
        sym = symmetrize(p)
        g = _adjacency_graphs(p, sym)
        if g.full_diagonal:
            g.lower_bound = _tree_bound(g)
            return g
        # post-processed colorings need not be distance-1 colorings off the diagonal:
        # n * k values of B must hold the nnz_upper unknowns, and vertices with a
        # diagonal entry that are pairwise adjacent need distinct colors
        ptr, idx, _ = g.adjacency
        n = ptr.size - 1
        g.pattern_arrays = sp_ptr, sp_idx = csr_arrays(sym)
        diag = np.zeros(n, dtype=bool)
        rows = np.repeat(np.arange(n), np.diff(sp_ptr))
        diag[rows[rows == sp_idx]] = True
        nupper = (sym.nnz + int(diag.sum())) // 2
        g.lower_bound = max(-(-nupper // n) if n else 0, clique_bound(ptr, idx, mask=diag))
        return g

    def colors_in_order(self, graphs, order):
        colors = star_colors(order, *graphs.adjacency[:2])
        if not graphs.full_diagonal and colors.size:
            sp_ptr, sp_idx = graphs.pattern_arrays
            colors, ok = kernels.star_postprocess(sp_ptr, sp_idx, colors, int(colors.max()) + 1)
            if not ok:
                raise InternalError("star post-processing broke direct recovery of the coloring")
        return colors


@dataclass(frozen=True)
class Acyclic(_TreeColoring):
    """Acyclic coloring (Gebremedhin et al. 2007, Algorithm 3.1): every 2-colored subgraph is
    a forest, recovered by substitution along its trees."""

    def graphs(self, p):
        g = _adjacency_graphs(p, symmetrize(p), with_rev=True)
        g.lower_bound = _tree_bound(g)
        return g

    def colors_in_order(self, graphs, order):
        return kernels.acyclic_coloring(order, *graphs.adjacency[:2])


@dataclass(frozen=True)
class Bicoloring(Method):
    """Star bicoloring of rows and columns together (:mod:`.bicoloring`): the better of the
    post-processed star coloring of ``[[0, A], [A.T, 0]]`` and the best dense-rows /
    dense-columns split. Not improved after greedy."""

    graph = "augmented"

    def graphs(self, p):
        g = _adjacency_graphs(p, bipartite_augmented(p))
        g.pattern, g.lower_bound = p, 1 if p.nnz else 0
        return g

    def greedy(self, graphs, order, order_name, seed):
        colors = star_colors(order, *graphs.adjacency[:2])
        rc, cc = bicoloring.split_star_coloring(graphs.p, colors)
        rc2, cc2 = bicoloring.partition_bicoloring(graphs.p, order_name, seed)
        if rc2.max(initial=-1) + cc2.max(initial=-1) < rc.max(initial=-1) + cc.max(initial=-1):
            rc, cc = rc2, cc2
        return {"colors": np.concatenate([rc, cc]), "row_colors": rc, "column_colors": cc}


METHODS = {m.name: m for m in (
    PartialDistance2("column", symmetric=False, seeds="columns", recovery="direct", sweep="jvp",
                     reads=direct.column_reads),
    PartialDistance2("row", symmetric=False, seeds="rows", recovery="direct", sweep="vjp",
                     reads=direct.row_reads),
    Star("star", symmetric=True, seeds="columns", recovery="direct", sweep="hvp",
         reads=direct.star_reads),
    Acyclic("acyclic", symmetric=True, seeds="columns", recovery="substitution", sweep="hvp"),
    Distance1("distance1", symmetric=True, seeds="columns", recovery="direct", sweep="hvp",
              reads=direct.diagonal_reads, recovers="diagonal"),
    Bicoloring("bicoloring", symmetric=False, seeds="both", recovery="bidirectional",
               sweep="jvp+vjp"),
)}
"""{name: Method} of every coloring method :func:`sparsehess.coloring.color` accepts."""
