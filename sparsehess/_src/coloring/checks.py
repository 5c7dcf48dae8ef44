"""Independent validity checkers for colorings (plain numpy / scipy; no coloring kernels).

``check_coloring(pattern, coloring_or_colors, method)`` returns ``True`` for a valid coloring
and raises ``ValueError`` naming the first violation otherwise (with ``raise_on_failure=False``
it returns ``False`` instead). ``coloring_or_colors`` is a :class:`Coloring` or the colors
themselves: an int array (0-based; for ``"row"`` one per row, otherwise one per column) or, for
``"bicoloring"``, a pair ``(row_colors, column_colors)``, 0-based with -1 meaning "in no seed".
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ...errors import InvalidColoringError

CHECKED_METHODS = ("column", "row", "distance1", "star", "acyclic", "bicoloring")


def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of the int64 array ``keys``: ``np.unique`` by sorting (NumPy
    2.3+'s hash-based ``np.unique`` takes seconds on 10^6 keys, a sort tens of ms)."""
    s = np.sort(keys)
    if s.size:
        s = s[np.concatenate([[True], s[1:] != s[:-1]])]
    return s


def _coo(pattern):
    """Structural nonzeros ``(rows, cols, shape)``, duplicates merged, explicit zeros dropped."""
    if sp.issparse(pattern):
        a = sp.coo_array(pattern)
        keep = a.data != 0
        r, c = a.row[keep].astype(np.int64), a.col[keep].astype(np.int64)
        shape = a.shape
    else:
        d = np.asarray(pattern)
        r, c = np.nonzero(d)
        shape = d.shape
    key = _unique(r.astype(np.int64) * max(shape[1], 1) + c)
    return key // max(shape[1], 1), key % max(shape[1], 1), shape


def _unique_pairs(group, color, what):
    """Raise if two entries share ``(group, color)``."""
    if group.size == 0:
        return
    k = int(color.max()) + 1
    key = group * k + color
    u, counts = np.unique(key, return_counts=True)
    bad = counts > 1
    if bad.any():
        g, c = divmod(int(u[bad][0]), k)
        raise InvalidColoringError(f"{what} {g} holds color {c} more than once")


def _symmetric_edges(r, c, shape):
    if shape[0] != shape[1]:
        raise InvalidColoringError(f"symmetric coloring of a non-square pattern {shape}")
    off = r != c
    u = np.minimum(r[off], c[off])
    v = np.maximum(r[off], c[off])
    key = _unique(u * max(shape[0], 1) + v)
    return key // max(shape[0], 1), key % max(shape[0], 1)


def _symmetrized(r, c, shape):
    """Entries of ``P ∪ P.T`` (diagonal kept where present), sorted by (row, column)."""
    if shape[0] != shape[1]:
        raise InvalidColoringError(f"symmetric coloring of a non-square pattern {shape}")
    n = max(shape[0], 1)
    key = _unique(np.concatenate([r * n + c, c * n + r]))
    return key // n, key % n


def _symmetric_direct(r, c, shape, colors):
    """Symmetric direct recovery from ``B = A @ S`` (Coleman & Moré's symmetrically orthogonal
    partition): each entry ``(i, j)`` of ``P ∪ P.T`` is the only one of row ``i`` in column
    ``j``'s color class, or ``(j, i)`` is the only one of row ``j`` in column ``i``'s class.
    With a full diagonal this is exactly a star coloring; without, adjacent vertices may share
    a color and colors nothing reads may be merged."""
    if r.size == 0:
        return
    n = max(shape[0], 1)
    k = int(colors.max()) + 1
    key = r * k + colors[c]
    _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    alone = counts[inv] == 1
    mirror = np.searchsorted(r * n + c, c * n + r)  # (r, c) is sorted and symmetric
    ok = alone | alone[mirror]
    if not ok.all():
        e = int(np.flatnonzero(~ok)[0])
        raise InvalidColoringError(f"not a star coloring: entry ({r[e]}, {c[e]}) can be read neither from "
                       f"row {r[e]} nor from row {c[e]} of B = A @ S")


def _two_colored_components(u, v, colors):
    """For every connected component of every 2-colored subgraph: (nodes, edges, max degree)."""
    a = np.minimum(colors[u], colors[v])
    b = np.maximum(colors[u], colors[v])
    k = int(colors.max(initial=0)) + 1
    pair = a * k + b
    ends = np.concatenate([u * (k * k) + pair, v * (k * k) + pair])
    nodes, inv = np.unique(ends, return_inverse=True)
    e = u.size
    src, dst = inv[:e], inv[e:]
    g = sp.coo_array((np.ones(e), (src, dst)), shape=(nodes.size, nodes.size))
    ncomp, label = connected_components(g, directed=False)
    nnodes = np.bincount(label, minlength=ncomp)
    nedges = np.bincount(label[src], minlength=ncomp)
    deg = np.bincount(np.concatenate([src, dst]), minlength=nodes.size)
    maxdeg = np.zeros(ncomp, dtype=np.int64)
    np.maximum.at(maxdeg, label, deg)
    return nnodes, nedges, maxdeg


def _check(r, c, shape, colors, method):
    if method == "bicoloring":
        rc, cc = (np.asarray(x, dtype=np.int64) for x in colors)
        if rc.shape != (shape[0],) or cc.shape != (shape[1],):
            raise InvalidColoringError(f"bicoloring needs {shape[0]} row and {shape[1]} column colors")
        if min(rc.min(initial=0), cc.min(initial=0)) < -1:
            raise InvalidColoringError("bicoloring colors are 0-based, -1 for \"in no seed\"")
        def isolated(group, col):
            k = int(col.max(initial=-1)) + 2
            key = group * k + col + 1
            _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
            return (col >= 0) & (counts[inv] == 1)
        ok = isolated(r, cc[c]) | isolated(c, rc[r])
        if not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            raise InvalidColoringError(f"entry ({r[k]}, {c[k]}) is isolated neither by its column color in "
                           f"B_c nor by its row color in B_r")
        return
    colors = np.asarray(colors, dtype=np.int64)
    n_expected = shape[0] if method == "row" else shape[1]
    if colors.shape != (n_expected,):
        raise InvalidColoringError(f"expected {n_expected} colors, got shape {colors.shape}")
    if colors.size and colors.min() < 0:
        raise InvalidColoringError("negative color")
    if method == "column":
        _unique_pairs(r, colors[c], "row")
        return
    if method == "row":
        _unique_pairs(c, colors[r], "column")
        return
    if method == "star":
        sr, sc = _symmetrized(r, c, shape)
        if np.count_nonzero(sr == sc) < shape[0]:
            _symmetric_direct(sr, sc, shape, colors)
            return
    u, v = _symmetric_edges(r, c, shape)
    same = colors[u] == colors[v]
    if same.any():
        k = int(np.flatnonzero(same)[0])
        raise InvalidColoringError(f"adjacent vertices {u[k]} and {v[k]} share color {colors[u[k]]}")
    if method == "distance1" or u.size == 0:
        return
    nnodes, nedges, maxdeg = _two_colored_components(u, v, colors)
    if method == "acyclic":
        if np.any(nedges != nnodes - 1):
            raise InvalidColoringError("a 2-colored subgraph contains a cycle")
        return
    star = (nedges == nnodes - 1) & ((nnodes <= 2) | (maxdeg == nnodes - 1))
    if not star.all():
        raise InvalidColoringError("a 2-colored subgraph is not a star (a path on 4 vertices uses 2 colors)")


def check_coloring(pattern, coloring_or_colors, method: str, *, raise_on_failure: bool = True) -> bool:
    """Check that the colors are valid for ``method`` on ``pattern`` (see module docstring).

    column: no row holds two columns of one color. row: no column holds two rows of one color.
    distance1: adjacent vertices of ``pattern ∪ pattern.T`` differ. star: distance1 and every
    2-colored connected subgraph is a star when every diagonal entry is present; otherwise the
    exact condition for direct symmetric recovery (every entry of ``pattern ∪ pattern.T`` is
    alone in its column's color class in its row or in its mirror's row), which lets the
    post-processed star colorings of :func:`color` merge or neutralise unread colors. acyclic: distance1 and every 2-colored subgraph is a
    forest. bicoloring: every nonzero is the only one of its row in its column color class (so
    ``B_c`` isolates it) or the only one of its column in its row color class.
    """
    if method not in CHECKED_METHODS:
        raise ValueError(f"unknown method {method!r}; accepted: {', '.join(CHECKED_METHODS)}")
    colors = coloring_or_colors
    if hasattr(colors, "method"):
        colors = ((colors.row_colors, colors.column_colors) if method == "bicoloring"
                  else colors.colors)
    r, c, shape = _coo(pattern)
    try:
        _check(r, c, shape, colors, method)
    except InvalidColoringError as exc:
        if raise_on_failure:
            raise ValueError(f"invalid {method} coloring: {exc}") from None
        return False
    return True
