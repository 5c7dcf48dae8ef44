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


@njit(cache=True)
def dynamic_order_hubs(kind, n, ptr1, idx1, ptr2, idx2, is_hub, cls, union, light, meets):
    """:func:`dynamic_order` on a distance-2 view, with the members of hub rows updated per
    class instead of per vertex (arguments from :func:`.hubs.hub_classes` and
    :func:`.hubs.classes_meet`; K classes).

    A vertex ``u`` of class ``c`` has ``A[c] + B[u]`` neighbours not yet removed: ``A[c]`` in
    the union of its hub rows (one counter per class, lowered for every class that meets the
    removed vertex's class) and ``B[u]`` outside it, through its other rows (lowered per vertex
    by walking those rows only). Each class keeps its own bucket queue on ``B`` (on
    ``light - B`` for incidence_degree); a step picks the best head over the K classes
    (ties: the lowest class). Cost O(n K + sum of squared non-hub row lengths + hub entries).
    Same kinds and definitions as :func:`dynamic_order`; ties may break differently.
    """
    order = np.empty(n, dtype=np.int64)
    if n == 0:
        return order
    k = union.size
    has_hubs = union > 0
    a = union - has_hubs              # hub-union neighbours not yet removed, per class
    a0 = a.copy()
    # per-class bucket arrays laid end to end: keys 0..max(light in class)
    size = np.ones(k, dtype=np.int64)
    for v in range(n):
        if light[v] + 1 > size[cls[v]]:
            size[cls[v]] = light[v] + 1
    base = np.zeros(k + 1, dtype=np.int64)
    for c in range(k):
        base[c + 1] = base[c] + size[c]
    head = np.full(base[k], -1, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    prv = np.full(n, -1, dtype=np.int64)
    members = np.zeros(k, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    if kind != 1:
        key[:] = light
    if kind == 0:
        ins = np.arange(n)[::-1].copy()
    elif kind == 1:
        deg = a[cls] + light
        ins = np.argsort(deg, kind="mergesort")
    else:
        ins = np.arange(n)
    for v in ins:
        _push(head, nxt, prv, base[cls[v]] + key[v], v)
        members[cls[v]] += 1
    ptr = np.zeros(k, dtype=np.int64)      # smallest (kind 0) or largest key present
    if kind != 1:
        for c in range(k):
            ptr[c] = size[c] - 1 if kind == 2 else 0
    done = np.zeros(n, dtype=np.bool_)
    mark = np.full(n, -1, dtype=np.int64)
    for step in range(n):
        best_c = -1
        best = 0
        for c in range(k):
            if members[c] == 0:
                continue
            if kind == 0:
                while head[base[c] + ptr[c]] < 0:
                    ptr[c] += 1
                val = a[c] + ptr[c]
                better = best_c < 0 or val < best
            else:
                while head[base[c] + ptr[c]] < 0:
                    ptr[c] -= 1
                val = a[c] + ptr[c] if kind == 2 else a0[c] - a[c] + ptr[c]
                better = best_c < 0 or val > best
            if better:
                best_c, best = c, val
        v = head[base[best_c] + ptr[best_c]]
        _unlink(head, nxt, prv, base[best_c] + key[v], v)
        members[best_c] -= 1
        done[v] = True
        if kind == 0:
            order[n - 1 - step] = v
        else:
            order[step] = v
        cv = cls[v]
        for c in range(k):
            if meets[cv, c]:
                a[c] -= 1
        mark[v] = v
        for p in range(ptr1[v], ptr1[v + 1]):
            i = idx1[p]
            if is_hub[i]:
                continue
            for q in range(ptr2[i], ptr2[i + 1]):
                w = idx2[q]
                if done[w] or mark[w] == v:
                    continue
                mark[w] = v
                cw = cls[w]
                if meets[cw, cv]:
                    continue                 # counted in a[cw] already
                _unlink(head, nxt, prv, base[cw] + key[w], w)
                if kind == 1:
                    key[w] += 1
                    if key[w] > ptr[cw]:
                        ptr[cw] = key[w]
                else:
                    key[w] -= 1
                    if kind == 0 and key[w] < ptr[cw]:
                        ptr[cw] = key[w]
                _push(head, nxt, prv, base[cw] + key[w], w)
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
