"""Distance-k neighbourhoods and degrees of a graph view (numba).

Graphs are CSR pairs ``(ptr, idx)`` of int64. A "distance-k view" of a vertex set is given by
``(ptr1, idx1, ptr2, idx2, dist2)``: with ``dist2=False`` the neighbours of ``v`` are
``idx1[ptr1[v]:ptr1[v+1]]`` (an adjacency graph without self loops); with ``dist2=True`` they
are the vertices reached in two steps ``v -> i -> w`` with ``i`` in ``idx1[ptr1[v]:ptr1[v+1]]``
and ``w`` in ``idx2[ptr2[i]:ptr2[i+1]]``, ``w != v`` (columns sharing a row, for partial
distance-2 coloring of a bipartite graph).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def collect_neighbors(v, ptr1, idx1, ptr2, idx2, dist2, mark, stamp, buf):
    """Write the distinct neighbours of ``v`` into ``buf``; return how many.

    ``mark`` is an int64 scratch array, ``stamp`` a value not used in it yet.
    """
    mark[v] = stamp
    if not dist2:
        return _add_unmarked(idx1, ptr1[v], ptr1[v + 1], mark, stamp, buf, 0)
    k = 0
    for a in range(ptr1[v], ptr1[v + 1]):
        i = idx1[a]
        k = _add_unmarked(idx2, ptr2[i], ptr2[i + 1], mark, stamp, buf, k)
    return k


@njit(cache=True, inline="always")
def _add_unmarked(idx, start, stop, mark, stamp, buf, k):
    """Append the vertices ``idx[start:stop]`` not yet marked with ``stamp`` to ``buf`` (which
    holds ``k``), marking them; returns the new count."""
    for b in range(start, stop):
        w = idx[b]
        if mark[w] != stamp:
            mark[w] = stamp
            buf[k] = w
            k += 1
    return k


@njit(cache=True)
def degrees(n, ptr1, idx1, ptr2, idx2, dist2):
    """Number of distinct (distance-1 or distance-2) neighbours of each of the ``n`` vertices."""
    deg = np.zeros(n, dtype=np.int64)
    if not dist2:
        for v in range(n):
            deg[v] = ptr1[v + 1] - ptr1[v]
        return deg
    mark = np.full(n, -1, dtype=np.int64)
    buf = np.empty(n, dtype=np.int64)
    for v in range(n):
        deg[v] = collect_neighbors(v, ptr1, idx1, ptr2, idx2, dist2, mark, v, buf)
    return deg


@njit(cache=True, inline="always")
def first_free_color(forb, v):
    """The smallest color ``c`` with ``forb[c] != v`` (``forb[c] == v``: a neighbour of the
    vertex ``v`` being colored holds ``c``)."""
    c = 0
    while forb[c] == v:
        c += 1
    return c


@njit(cache=True, inline="always")
def forbid_colors(idx, start, stop, color, forb, v):
    """Mark the colors held by the vertices ``idx[start:stop]`` as forbidden to ``v``."""
    for b in range(start, stop):
        c = color[idx[b]]
        if c >= 0:
            forb[c] = v
