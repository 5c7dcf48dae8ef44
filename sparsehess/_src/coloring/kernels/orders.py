"""Degree-driven dynamic vertex orders on a distance-k view (numba).

smallest_last after Matula and Beck, "Smallest-last ordering and clustering and graph coloring
algorithms", J. ACM 30 (1983); incidence_degree after Coleman and More, "Estimation of sparse
Jacobian matrices and graph coloring problems", SIAM J. Numer. Anal. 20 (1983);
dynamic_largest_first as in ColPack (Gebremedhin, Nguyen, Patwary, Pothen, ACM TOMS 40, 2013).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .neighbours import collect_neighbors, degrees


@njit(cache=True)
def dynamic_order(kind, n, ptr1, idx1, ptr2, idx2, dist2):
    """Degree-driven vertex orders with bucket queues (doubly linked lists, LIFO in a bucket).

    kind 0: smallest_last (repeatedly remove a vertex of minimum remaining degree; the order is
    the reverse removal sequence). kind 1: incidence_degree (repeatedly pick a vertex with the
    most already-picked neighbours). kind 2: dynamic_largest_first (repeatedly pick a vertex
    with the most not-yet-picked neighbours). Returns an int64 permutation of ``range(n)``.
    """
    order = np.empty(n, dtype=np.int64)
    if n == 0:
        return order
    deg = degrees(n, ptr1, idx1, ptr2, idx2, dist2)
    key = np.zeros(n, dtype=np.int64)
    if kind != 1:
        key[:] = deg
    maxkey = n + 1
    head = np.full(maxkey + 1, -1, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    prv = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    # Insertion order; LIFO buckets make the last inserted vertex the first picked. For
    # smallest_last the lowest index of a bucket goes first, for incidence_degree the largest
    # degree, for dynamic_largest_first the highest index.
    if kind == 0:
        ins = np.arange(n)[::-1].copy()
    elif kind == 1:
        ins = np.argsort(deg, kind="mergesort")
    else:
        ins = np.arange(n)
    for v in ins:
        _push(head, nxt, prv, key[v], v)
    mark = np.full(n, -1, dtype=np.int64)
    buf = np.empty(n, dtype=np.int64)
    if kind != 0:
        ptr_key = 0
        for v in range(n):
            if key[v] > ptr_key:
                ptr_key = key[v]
    else:
        ptr_key = maxkey
        for v in range(n):
            if key[v] < ptr_key:
                ptr_key = key[v]
    for step in range(n):
        if kind == 0:
            while head[ptr_key] < 0:
                ptr_key += 1
        else:
            while head[ptr_key] < 0:
                ptr_key -= 1
        v = head[ptr_key]
        _unlink(head, nxt, prv, key[v], v)
        done[v] = True
        if kind == 0:
            order[n - 1 - step] = v
        else:
            order[step] = v
        cnt = collect_neighbors(v, ptr1, idx1, ptr2, idx2, dist2, mark, v, buf)
        for t in range(cnt):
            w = buf[t]
            if done[w]:
                continue
            _unlink(head, nxt, prv, key[w], w)   # w moves to the neighbouring bucket
            if kind == 1:
                key[w] += 1
                if key[w] > ptr_key:
                    ptr_key = key[w]
            else:
                key[w] -= 1
                if kind == 0 and key[w] < ptr_key:
                    ptr_key = key[w]
            _push(head, nxt, prv, key[w], w)
    return order


@njit(cache=True, inline="always")
def _push(head, nxt, prv, bucket, v):
    """Insert vertex ``v`` at the front of the doubly linked list of ``bucket``."""
    h = head[bucket]
    nxt[v] = h
    prv[v] = -1
    if h >= 0:
        prv[h] = v
    head[bucket] = v


@njit(cache=True, inline="always")
def _unlink(head, nxt, prv, bucket, v):
    """Remove vertex ``v`` from the doubly linked list of ``bucket``."""
    if prv[v] >= 0:
        nxt[prv[v]] = nxt[v]
    else:
        head[bucket] = nxt[v]
    if nxt[v] >= 0:
        prv[nxt[v]] = prv[v]
