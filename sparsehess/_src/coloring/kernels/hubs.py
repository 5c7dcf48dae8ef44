"""Hub rows of a distance-2 view: vertices grouped by the set of long rows they lie in (numba).

On a distance-2 view ``(n, ptr1, idx1, ptr2, idx2)`` (see :mod:`.neighbours`) a "hub" is a row
(``is_hub[i]``, any subset of the rows) whose members are all neighbours of each other.
Vertices in the same set of hubs form a *class*; the members of the union of a class's hubs
are counted once per class instead of once per vertex, which makes distance-2 degrees and
dynamic orders on an arrowhead O(nnz) instead of O(n^2).

For a vertex ``v`` of class ``c`` the distance-2 degree splits exactly as
``union[c] - has_hubs[c] + light[v]``: the members of its hubs' union other than ``v``, plus
the vertices reached through its other ("light") rows that are outside that union.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _signature_order(n, ptr1, idx1, is_hub):
    """Vertices sorted so that those in the same set of hub rows are adjacent: by a hash of
    their (sorted) hub rows, then by vertex. Returns the int64 permutation."""
    key = np.zeros(n, dtype=np.int64)
    for v in range(n):
        h = np.int64(0)
        for a in range(ptr1[v], ptr1[v + 1]):
            i = idx1[a]
            if is_hub[i]:
                h = h * np.int64(1_000_003) + i + 1
        key[v] = h
    return np.argsort(key, kind="mergesort")


@njit(cache=True)
def _share_hubs(u, v, ptr1, idx1, is_hub, same):
    """Whether vertices ``u`` and ``v`` lie in exactly the same hub rows (``same=True``) or in
    at least one common hub row (``same=False``); rows are sorted in ``idx1``."""
    a, b = ptr1[u], ptr1[v]
    while True:
        while a < ptr1[u + 1] and not is_hub[idx1[a]]:
            a += 1
        while b < ptr1[v + 1] and not is_hub[idx1[b]]:
            b += 1
        end_a, end_b = a == ptr1[u + 1], b == ptr1[v + 1]
        if end_a or end_b:
            return same and end_a and end_b
        if idx1[a] == idx1[b]:
            if not same:
                return True
            a += 1
            b += 1
        elif same:
            return False
        elif idx1[a] < idx1[b]:
            a += 1
        else:
            b += 1


@njit(cache=True)
def hub_classes(n, ptr1, idx1, ptr2, idx2, is_hub):
    """Group the ``n`` vertices by their hub rows and split their distance-2 degrees.

    Returns ``(cls, rep, union, light)``: ``cls`` (n,) the class of each vertex, numbered in
    order of first appearance along the signature order; ``rep`` (K,) one vertex of each class;
    ``union`` (K,) the size of the union of the class's hub rows (0 for no hubs); ``light``
    (n,) the distinct vertices other than ``v`` reached through its non-hub rows and outside
    that union. A hash collision may split one set of hubs into two classes, never merge two.
    """
    cls = np.empty(n, dtype=np.int64)
    rep = np.empty(n, dtype=np.int64)
    union = np.zeros(n, dtype=np.int64)
    light = np.zeros(n, dtype=np.int64)
    in_union = np.full(n, -1, dtype=np.int64)   # class stamp: member of the hubs' union
    seen = np.full(n, -1, dtype=np.int64)       # vertex stamp: counted for this vertex
    perm = _signature_order(n, ptr1, idx1, is_hub)
    group = -1
    for q in range(n):
        v = perm[q]
        if q == 0 or not _share_hubs(perm[q - 1], v, ptr1, idx1, is_hub, True):
            group += 1
            rep[group] = v
            for a in range(ptr1[v], ptr1[v + 1]):
                i = idx1[a]
                if is_hub[i]:
                    for b in range(ptr2[i], ptr2[i + 1]):
                        w = idx2[b]
                        if in_union[w] != group:
                            in_union[w] = group
                            union[group] += 1
        cls[v] = group
        seen[v] = v
        count = 0
        for a in range(ptr1[v], ptr1[v + 1]):
            i = idx1[a]
            if is_hub[i]:
                continue
            for b in range(ptr2[i], ptr2[i + 1]):
                w = idx2[b]
                if in_union[w] != group and seen[w] != v:
                    seen[w] = v
                    count += 1
        light[v] = count
    k = group + 1
    return cls, rep[:k].copy(), union[:k].copy(), light


@njit(cache=True)
def classes_meet(rep, ptr1, idx1, is_hub):
    """``meets`` (K, K) bool: whether classes ``c`` and ``d`` share a hub row, i.e. whether
    every member of ``d`` is a distance-2 neighbour of every member of ``c``."""
    k = rep.size
    meets = np.zeros((k, k), dtype=np.bool_)
    for c in range(k):
        for d in range(c, k):
            m = _share_hubs(rep[c], rep[d], ptr1, idx1, is_hub, False)
            meets[c, d] = m
            meets[d, c] = m
    return meets


@njit(cache=True)
def distance2_degrees(n, ptr1, idx1, ptr2, idx2, is_hub):
    """Distinct distance-2 neighbours of each of the ``n`` vertices (as
    :func:`.neighbours.degrees` with ``dist2=True``), in O(nnz + sum of hub lengths per
    class) instead of O(sum of squared row lengths)."""
    cls, _, union, light = hub_classes(n, ptr1, idx1, ptr2, idx2, is_hub)
    deg = np.empty(n, dtype=np.int64)
    for v in range(n):
        u = union[cls[v]]
        deg[v] = light[v] + (u - 1 if u > 0 else 0)
    return deg
