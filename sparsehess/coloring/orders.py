"""Vertex orders for greedy coloring.

An order is an int64 permutation of ``range(n)``. Degrees are those of the graph being colored:
distance-1 degrees for symmetric methods, numbers of distinct distance-2 neighbours (columns
sharing a row, or rows sharing a column) for partial distance-2 coloring.
"""

from __future__ import annotations

import numpy as np

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

    ``natural``: 0..n-1. ``largest_first``: decreasing degree, ties in natural order.
    ``smallest_last`` / ``incidence_degree`` / ``dynamic_largest_first``: bucket-queue kernels
    in :func:`kernels.dynamic_order`. ``random``: a permutation drawn from ``seed``.
    """
    n = view[0]
    if name == "natural":
        return np.arange(n, dtype=np.int64)
    if name == "random":
        return np.random.default_rng(seed).permutation(n).astype(np.int64)
    if name == "largest_first":
        deg = kernels.degrees(*view)
        return np.argsort(-deg, kind="stable").astype(np.int64)
    if name in _DYNAMIC:
        return kernels.dynamic_order(_DYNAMIC[name], *view)
    raise ValueError(f"unknown order {name!r}; accepted: {', '.join(ORDERS)} and 'best'")
