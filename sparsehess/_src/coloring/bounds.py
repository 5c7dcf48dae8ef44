"""Lower bounds on color counts: cliques found greedily (compiled, linear in the degrees
of the vertices tried)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def masked_degrees(ptr, idx, mask):
    """Degrees in the subgraph of the vertices where ``mask`` is True (-1 outside it)."""
    n = ptr.size - 1
    deg = np.full(n, -1, dtype=np.int64)
    for v in range(n):
        if mask[v]:
            d = 0
            for a in range(ptr[v], ptr[v + 1]):
                if mask[idx[a]]:
                    d += 1
            deg[v] = d
    return deg


@njit(cache=True)
def greedy_clique(ptr, idx, mask, deg, starts):
    """Size of the largest clique grown greedily from each vertex of ``starts`` in the graph
    ``(ptr, idx)`` (CSR, no self loops, symmetric) restricted to the vertices where ``mask``
    is True: candidates are the start's neighbours by decreasing ``deg``, each added when
    adjacent to every member so far."""
    n = ptr.size - 1
    hits = np.zeros(n, dtype=np.int64)      # clique members adjacent to each vertex
    best = 0
    for v in starts:
        if not mask[v]:
            continue
        nb = idx[ptr[v]:ptr[v + 1]]
        cand = nb[np.argsort(-deg[nb], kind="mergesort")]
        size = 1
        for a in range(ptr[v], ptr[v + 1]):
            hits[idx[a]] += 1
        members = [v]
        for w in cand:
            if mask[w] and hits[w] == size:
                size += 1
                members.append(w)
                for a in range(ptr[w], ptr[w + 1]):
                    hits[idx[a]] += 1
        for u in members:
            for a in range(ptr[u], ptr[u + 1]):
                hits[idx[a]] = 0
        if size > best:
            best = size
    return best


def clique_bound(ptr: np.ndarray, idx: np.ndarray, mask: np.ndarray | None = None,
                 tries: int = 16) -> int:
    """Greedy clique size of the graph ``(ptr, idx)`` (of the vertices where ``mask`` holds),
    grown from its ``tries`` highest-degree vertices; 0 for an empty vertex set."""
    n = ptr.size - 1
    if mask is None:
        mask = np.ones(n, dtype=np.bool_)
        deg = np.diff(ptr)
    else:
        deg = masked_degrees(ptr, idx, mask)
    if n == 0 or not mask.any():
        return 0
    top = np.argpartition(-deg, tries - 1)[:tries] if n > tries else np.arange(n)
    starts = top[np.argsort(-deg[top], kind="stable")]
    return int(greedy_clique(ptr, idx, mask, deg, starts))
