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

    ``natural``: 0..n-1. ``largest_first``: decreasing degree, ties in natural order
    (distance-2 degrees with hub rows through :func:`kernels.distance2_degrees`, linear time).
    ``smallest_last`` / ``incidence_degree`` / ``dynamic_largest_first``: bucket-queue kernels
    in :func:`kernels.dynamic_order`, or :func:`kernels.dynamic_order_hubs` where long rows
    would make exact distance-2 degree updates quadratic (:func:`order_hub_rows`).
    ``random``: a permutation drawn from ``seed``.
    """
    n = view[0]
    if name == "natural":
        return np.arange(n, dtype=np.int64)
    if name == "random":
        return np.random.default_rng(seed).permutation(n).astype(np.int64)
    if name == "largest_first":
        hubs = hub_rows(n, view[3]) if view[5] else None
        deg = kernels.degrees(*view) if hubs is None else \
            kernels.distance2_degrees(*view[:5], hubs)
        return np.argsort(-deg, kind="stable").astype(np.int64)
    if name in _DYNAMIC:
        hubs = order_hub_rows(n, view[3]) if view[5] else None
        if hubs is None:
            return kernels.dynamic_order(_DYNAMIC[name], *view)
        return dynamic_order_with_hubs(_DYNAMIC[name], view, hubs)
    raise ValueError(f"unknown order {name!r}; accepted: {', '.join(ORDERS)} and 'best'")


def hub_rows(n, ptr2) -> np.ndarray | None:
    """``is_hub`` for the rows of at least ``max(64, n // 64)`` entries (at most ``64 nnz / n``
    of them), or ``None`` when there is none."""
    lengths = np.diff(ptr2)
    is_hub = lengths >= max(64, n // 64)
    return is_hub if is_hub.any() else None


HUB_ORDER_WORK = 3 * 10**7
"""Dynamic orders on a distance-2 view treat long rows as hubs once the squared lengths of
those rows sum past this (below it the per-vertex updates are cheap)."""

MAX_HUB_CLASSES = 64
"""At most this many classes of vertices (distinct sets of hub rows) in a dynamic order:
each step of :func:`kernels.dynamic_order_hubs` looks at every class."""


def order_hub_rows(n, ptr2) -> np.ndarray | None:
    """The hub rows for a dynamic order on a distance-2 view with ``n`` vertices whose rows
    have pointers ``ptr2``: :func:`hub_rows` if their squared lengths sum to at least
    :data:`HUB_ORDER_WORK`, else ``None``."""
    hubs = hub_rows(n, ptr2)
    if hubs is None:
        return None
    lengths = np.diff(ptr2)[hubs].astype(np.int64)
    return hubs if int(lengths @ lengths) >= HUB_ORDER_WORK else None


def dynamic_order_with_hubs(kind: int, view: tuple, hubs: np.ndarray) -> np.ndarray:
    """:func:`kernels.dynamic_order_hubs` of ``view`` with the rows ``hubs`` (bool, one per
    row) as hubs, keeping the longest of them while there are more than
    :data:`MAX_HUB_CLASSES` classes; with none left, the plain per-vertex kernel."""
    n, ptr1, idx1, ptr2, idx2, _ = view
    lengths = np.diff(ptr2)
    hubs = hubs.copy()
    while hubs.any():
        cls, rep, union, light = kernels.hub_classes(n, ptr1, idx1, ptr2, idx2, hubs)
        if rep.size <= MAX_HUB_CLASSES:
            meets = kernels.classes_meet(rep, ptr1, idx1, hubs)
            return kernels.dynamic_order_hubs(kind, n, ptr1, idx1, ptr2, idx2, hubs, cls,
                                              union, light, meets)
        hubs &= lengths > np.median(lengths[hubs])   # drop the shorter half of the hubs
    return kernels.dynamic_order(kind, *view)


def dynamic_order_work(n, ptr2) -> int:
    """Steps of a dynamic order's degree updates on a distance-2 view with ``n`` vertices
    whose rows have pointers ``ptr2``: squared lengths of the rows updated per vertex, plus
    the entries of the hub rows (:func:`order_hub_rows`), updated per class."""
    lengths = np.diff(ptr2).astype(np.int64)
    hubs = order_hub_rows(n, ptr2)
    if hubs is None:
        return int(lengths @ lengths)
    light = lengths[~hubs]
    return int(light @ light + lengths[hubs].sum())


def warm_up_hub_orders() -> None:
    """Load (or compile) the hub kernels of the dynamic orders, which small patterns below
    :data:`HUB_ORDER_WORK` never reach."""
    # vertices 0, 1, 2; row 0 (the hub) holds all three, row 1 holds 1 and 2
    view = (3, np.array([0, 1, 3, 5]), np.array([0, 0, 1, 0, 1]), np.array([0, 3, 5]),
            np.array([0, 1, 2, 1, 2]), True)
    for kind in _DYNAMIC.values():
        dynamic_order_with_hubs(kind, view, np.array([True, False]))
