"""Greedy acyclic coloring of a symmetric adjacency graph (numba).

Algorithm 3.1 of Gebremedhin, Tarafdar, Manne and Pothen, "New acyclic and star coloring
algorithms with application to computing Hessians", SIAM J. Sci. Comput. 29 (2007): disjoint
sets of 2-colored trees, on a relabelling of the graph by the order. Colors are 0-based.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .neighbours import first_free_color


@njit(cache=True)
def renumber_by_order(order, ptr, idx):
    """Relabel a symmetric adjacency graph so that ``order[i]`` becomes vertex ``i``.

    Returns ``(nptr, adj, m)``: ``nptr`` int64 row pointers, ``adj`` an ``(nnz, 2)`` int32
    array with ``adj[k, 0]`` the neighbour (rows sorted ascending, so the already-colored
    neighbours of vertex ``v`` in a greedy pass in this order are the prefix ``< v`` of its
    row) and ``adj[k, 1]`` the number of the undirected edge, numbered in order of its later
    endpoint (the order in which edges get both ends colored); ``m`` edges.
    """
    n = ptr.size - 1
    inv = np.empty(n, dtype=np.int32)
    for i in range(n):
        inv[order[i]] = i
    nptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        o = order[i]
        nptr[i + 1] = nptr[i] + (ptr[o + 1] - ptr[o])
    adj = np.empty((idx.size, 2), dtype=np.int32)
    cursor = nptr[:-1].copy()
    upper = nptr[:-1].copy()  # first entry > j of row j, then next unnumbered one
    # row j receives i in increasing i: rows come out sorted (the graph is symmetric)
    for i in range(n):
        o = order[i]
        for k in range(ptr[o], ptr[o + 1]):
            j = inv[idx[k]]
            adj[cursor[j], 0] = i
            cursor[j] += 1
            if i < j:
                upper[j] += 1
    m = 0
    for i in range(n):
        for k in range(nptr[i], nptr[i + 1]):
            j = adj[k, 0]
            if j >= i:
                break
            adj[k, 1] = m
            adj[upper[j], 1] = m
            upper[j] += 1
            m += 1
    return nptr, adj, m


@njit(cache=True, inline="always")
def _uf_find(uf, a):
    """Root of ``a`` in the union-find rows ``uf[:, 0]`` (parents), path halving."""
    p = uf[a, 0]
    while p != a:
        g = uf[p, 0]
        uf[a, 0] = g
        a = p
        p = g
    return a


@njit(cache=True, inline="always")
def _uf_union(uf, a, b):
    ra = _uf_find(uf, a)
    rb = _uf_find(uf, b)
    if ra == rb:
        return
    if uf[ra, 3] < uf[rb, 3]:
        ra, rb = rb, ra
    uf[rb, 0] = ra
    if uf[ra, 3] == uf[rb, 3]:
        uf[ra, 3] += 1


ACYCLIC_HUB_DEGREE = 64
"""Rows of at least this many entries are "hubs" in :func:`acyclic_coloring_renumbered`: the
2-paths through them are read from one record per neighbour color, not per neighbour."""


def _hub_slots(nptr, hub_len):
    """``(slot, roff)``: ``slot[w]`` the hub number of row ``w`` (rows of at least
    ``hub_len`` entries; -1 for the others) and ``roff`` the offsets of the hubs' color
    records (one per entry of the hub's row)."""
    deg = np.diff(nptr)
    is_hub = deg >= hub_len
    slot = np.where(is_hub, np.cumsum(is_hub) - 1, -1).astype(np.int64)
    roff = np.concatenate([[0], np.cumsum(deg[is_hub])]).astype(np.int64)
    return slot, roff


@njit(cache=True)
def _hub_neighbors(nptr, adj, slot):
    """The hubs next to each vertex (``slot[w] >= 0``), as CSR ``(hptr, hub, hedge)``:
    ``hub[k]`` a hub neighbour, ``hedge[k]`` the edge number."""
    n = nptr.size - 1
    hptr = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        cnt = 0
        for k in range(nptr[v], nptr[v + 1]):
            if slot[adj[k, 0]] >= 0:
                cnt += 1
        hptr[v + 1] = hptr[v] + cnt
    hub = np.empty(hptr[n], dtype=np.int32)
    hedge = np.empty(hptr[n], dtype=np.int32)
    for v in range(n):
        q = hptr[v]
        for k in range(nptr[v], nptr[v + 1]):
            w = adj[k, 0]
            if slot[w] >= 0:
                hub[q] = w
                hedge[q] = adj[k, 1]
                q += 1
    return hptr, hub, hedge


@njit(cache=True)
def acyclic_coloring_renumbered(nptr, adj, m, slot, roff):
    """Greedy acyclic coloring of vertices ``0..n-1`` in natural order on the graph of
    :func:`renumber_by_order` (Gebremedhin, Tarafdar, Manne, Pothen 2007, disjoint sets of
    2-colored trees). The colored vertices when ``v`` is colored are ``0..v-1``: a sorted
    row's colored part is its prefix ``< v``. One 16-byte union-find record per edge holds
    parent, visit (v, w) and rank, so a find that hits a root costs one cache line. The
    2-paths ``v - w - x`` are gathered first (their records touched in a branch-free loop so
    the cache misses overlap) and reused for the merge.

    All edges from ``w`` to neighbours of one color lie in one 2-colored tree (the tree of
    ``w``), so one path per color of ``x`` suffices: a hub ``w`` (``slot[w] >= 0``, see
    :func:`_hub_slots`) keeps one ``(color, edge)`` record per color among its colored neighbours and
    its paths are read from those, so a hub of degree ``D`` costs ``O(colors around it)``
    per visit instead of ``O(D)`` (an arrowhead is linear, not quadratic). Same colors as
    walking every row. Returns int32 colors.
    """
    n = nptr.size - 1
    color = np.zeros(n, dtype=np.int32)
    forb = np.full(n + 1, -1, dtype=np.int32)
    uf = np.empty((m, 4), dtype=np.int32)  # parent | visit v | visit w | rank
    for e in range(m):
        uf[e, 0] = e
        uf[e, 1] = -1
        uf[e, 2] = -1
        uf[e, 3] = 0
    first_v = np.full(n + 1, -1, dtype=np.int32)
    first_e = np.zeros(n + 1, dtype=np.int32)
    hptr, hub, hedge = _hub_neighbors(nptr, adj, slot)
    rcol = np.empty(roff[-1], dtype=np.int32)   # per hub: colors of its colored neighbours
    redge = np.empty(roff[-1], dtype=np.int32)  # and an edge to a neighbour of that color
    rlen = np.zeros(roff.size - 1, dtype=np.int64)
    cap = 1024
    bw = np.empty(cap, dtype=np.int32)  # w of the 2-path v - w - x
    be = np.empty(cap, dtype=np.int32)  # edge number of (w, x)
    bc = np.empty(cap, dtype=np.int32)  # color of x
    touch = np.int32(0)
    for v in range(n):
        s = nptr[v]
        t = nptr[v + 1]
        kend = s
        need = 0
        while kend < t and adj[kend, 0] < v:
            w = adj[kend, 0]
            forb[color[w]] = v
            if slot[w] >= 0:
                need += rlen[slot[w]]
            else:
                need += nptr[w + 1] - nptr[w]
            kend += 1
        if need > cap:
            cap = max(need, 2 * cap)
            bw = np.empty(cap, dtype=np.int32)
            be = np.empty(cap, dtype=np.int32)
            bc = np.empty(cap, dtype=np.int32)
        # gather the 2-paths v - w - x through colored w, x (x's color not yet forbidden)
        cnt = 0
        for k in range(s, kend):
            w = adj[k, 0]
            h = slot[w]
            if h >= 0:
                for r in range(roff[h], roff[h] + rlen[h]):
                    cx = rcol[r]
                    if forb[cx] == v:
                        continue
                    bw[cnt] = w
                    be[cnt] = redge[r]
                    bc[cnt] = cx
                    cnt += 1
                continue
            for kk in range(nptr[w], nptr[w + 1]):
                x = adj[kk, 0]
                if x >= v:
                    break
                cx = color[x]
                if forb[cx] == v:
                    continue
                e = adj[kk, 1]
                bw[cnt] = w
                be[cnt] = e
                bc[cnt] = cx
                cnt += 1
        for q in range(cnt):  # prefetch: independent loads, misses overlap
            touch ^= uf[uf[be[q], 0], 1]
        # color cx is forbidden if two d-neighbours of v lie in one {cx, d} tree
        for q in range(cnt):
            cx = bc[q]
            if forb[cx] == v:
                continue
            r = _uf_find(uf, be[q])
            if uf[r, 1] != v:
                uf[r, 1] = v
                uf[r, 2] = bw[q]
            elif uf[r, 2] != bw[q]:
                forb[cx] = v
        c = first_free_color(forb, v)
        color[v] = c
        # merge the new edges into their 2-colored trees
        q = 0
        for k in range(s, kend):
            w = adj[k, 0]
            d = color[w]
            e = adj[k, 1]
            while q < cnt and bw[q] == w:
                if bc[q] == c:
                    _uf_union(uf, e, be[q])
                q += 1
            if first_v[d] == v:
                _uf_union(uf, e, first_e[d])
            else:
                first_v[d] = v
                first_e[d] = e
        # hubs next to v now have a neighbour of color c
        for a in range(hptr[v], hptr[v + 1]):
            h = slot[hub[a]]
            r0 = roff[h]
            r1 = r0 + rlen[h]
            r = r0
            while r < r1 and rcol[r] != c:
                r += 1
            if r == r1:
                rcol[r] = c
                redge[r] = hedge[a]
                rlen[h] += 1
    if touch == -12345:  # keep the prefetch loads alive
        color[0] = color[0]
    return color


def acyclic_coloring(order, ptr, idx, hub_degree=ACYCLIC_HUB_DEGREE):
    """Greedy acyclic coloring in ``order`` with disjoint sets of 2-colored trees (after
    Gebremedhin, Tarafdar, Manne, Pothen 2007): every 2-colored subgraph of the result is a
    forest. The graph is first relabelled by ``order`` (:func:`renumber_by_order`) so that
    colored vertices and activated edges are dense prefixes of the arrays and the scattered
    reads of the tree bookkeeping touch less memory; the colors do not depend on the
    labelling (only on the graph and the order). Rows of at least ``hub_degree`` entries are
    read by neighbour color (same colors whatever ``hub_degree``). Returns int64 colors.
    Assumes fewer than 2**31 vertices and CSR entries.
    """
    order = np.asarray(order, dtype=np.int64)
    nptr, adj, m = renumber_by_order(order, ptr, idx)
    cnew = acyclic_coloring_renumbered(nptr, adj, m, *_hub_slots(nptr, hub_degree))
    colors = np.empty(order.size, dtype=np.int64)
    colors[order] = cnew
    return colors
