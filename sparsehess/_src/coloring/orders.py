"""Vertex orders for greedy coloring.

An order is an int64 permutation of ``range(n)``. Degrees are those of the graph being colored:
distance-1 degrees for symmetric methods, numbers of distinct distance-2 neighbours (columns
sharing a row, or rows sharing a column) for partial distance-2 coloring.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import kernels

ORDERS = (
    "natural",
    "largest_first",
    "smallest_last",
    "incidence_degree",
    "dynamic_largest_first",
    "random",
)
"""Orders accepted by :func:`vertex_order` (``color`` also accepts ``"best"``)."""

_DYNAMIC = {"smallest_last": 0, "incidence_degree": 1, "dynamic_largest_first": 2}


def vertex_order(name: str, view: tuple, *, seed: int = 0) -> np.ndarray:
    """Order the ``n`` vertices of ``view = (n, ptr1, idx1, ptr2, idx2, dist2)``.

    ``natural``: 0..n-1. ``largest_first``: decreasing degree, ties in natural order
    (distance-2 degrees with hub rows through :func:`distance2_degrees`, linear time).
    ``smallest_last`` / ``incidence_degree`` / ``dynamic_largest_first``: bucket-queue kernels
    in :func:`kernels.dynamic_order`. ``random``: a permutation drawn from ``seed``.
    """
    n = view[0]
    if name == "natural":
        return np.arange(n, dtype=np.int64)
    if name == "random":
        return np.random.default_rng(seed).permutation(n).astype(np.int64)
    if name == "largest_first":
        hubs = hub_rows(n, view[3]) if view[5] else None
        deg = kernels.degrees(*view) if hubs is None else distance2_degrees(*view[:5], hubs)
        return np.argsort(-deg, kind="stable").astype(np.int64)
    if name in _DYNAMIC:
        return kernels.dynamic_order(_DYNAMIC[name], *view)
    raise ValueError(f"unknown order {name!r}; accepted: {', '.join(ORDERS)} and 'best'")


@njit(cache=True)
def _hub_signature_order(n, ptr1, idx1, is_hub):
    """Vertices sorted so that those in the same set of hub rows are adjacent: by a hash of
    their (sorted) hub rows, then by vertex. Returns ``(perm, key)``."""
    key = np.zeros(n, dtype=np.int64)
    for v in range(n):
        h = np.int64(0)
        for a in range(ptr1[v], ptr1[v + 1]):
            i = idx1[a]
            if is_hub[i]:
                h = h * np.int64(1_000_003) + i + 1
        key[v] = h
    return np.argsort(key, kind="mergesort"), key


@njit(cache=True)
def _same_hubs(u, v, ptr1, idx1, is_hub):
    """Whether vertices ``u`` and ``v`` lie in the same hub rows (rows sorted in ``idx1``)."""
    a, b = ptr1[u], ptr1[v]
    while True:
        while a < ptr1[u + 1] and not is_hub[idx1[a]]:
            a += 1
        while b < ptr1[v + 1] and not is_hub[idx1[b]]:
            b += 1
        end_a, end_b = a == ptr1[u + 1], b == ptr1[v + 1]
        if end_a or end_b:
            return end_a and end_b
        if idx1[a] != idx1[b]:
            return False
        a += 1
        b += 1


@njit(cache=True)
def distance2_degrees(n, ptr1, idx1, ptr2, idx2, is_hub):
    """Distinct distance-2 neighbours of each of the ``n`` vertices (as
    :func:`kernels.degrees` with ``dist2=True``), with hub rows (``is_hub``) counted once
    per set of hubs: vertices in the same hub rows share the size of those rows' union,
    marked once, and walk only their other rows. An arrowhead costs O(nnz), not O(n^2)."""
    deg = np.zeros(n, dtype=np.int64)
    in_union = np.full(n, -1, dtype=np.int64)   # group stamp: member of the hubs' union
    seen = np.full(n, -1, dtype=np.int64)       # vertex stamp: counted for this vertex
    perm, _ = _hub_signature_order(n, ptr1, idx1, is_hub)
    group = -1
    union = 0
    for q in range(n):
        v = perm[q]
        if q == 0 or not _same_hubs(perm[q - 1], v, ptr1, idx1, is_hub):
            group += 1
            union = 0
            for a in range(ptr1[v], ptr1[v + 1]):
                i = idx1[a]
                if is_hub[i]:
                    for b in range(ptr2[i], ptr2[i + 1]):
                        w = idx2[b]
                        if in_union[w] != group:
                            in_union[w] = group
                            union += 1
        count = union
        for a in range(ptr1[v], ptr1[v + 1]):
            i = idx1[a]
            if is_hub[i]:
                continue
            for b in range(ptr2[i], ptr2[i + 1]):
                w = idx2[b]
                if in_union[w] != group and seen[w] != v:
                    seen[w] = v
                    count += 1
        # v itself is in one of its rows: not its own neighbour
        deg[v] = count - 1 if ptr1[v + 1] > ptr1[v] else 0
    return deg


def hub_rows(n, ptr2) -> np.ndarray | None:
    """``is_hub`` for the rows of at least ``max(64, n // 64)`` entries (at most ``64 nnz / n``
    of them), or ``None`` when there is none."""
    lengths = np.diff(ptr2)
    is_hub = lengths >= max(64, n // 64)
    return is_hub if is_hub.any() else None
