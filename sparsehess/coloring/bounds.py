"""Lower bounds on color counts: cliques found greedily (compiled, linear in the degrees
of the vertices tried)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def greedy_clique(ptr, idx, mask, tries):
    """Size of the largest clique grown greedily from each of the ``tries`` highest-degree
    vertices of the graph ``(ptr, idx)`` (CSR, no self loops, symmetric) restricted to the
    vertices where ``mask`` is True: candidates are the start's neighbours by decreasing
    degree, each added when adjacent to every member so far. 0 for an empty vertex set."""
    n = ptr.size - 1
    deg = np.zeros(n, dtype=np.int64)
    for v in range(n):
        if mask[v]:
            for a in range(ptr[v], ptr[v + 1]):
                if mask[idx[a]]:
                    deg[v] += 1
    starts = np.argsort(-deg, kind="mergesort")
    hits = np.zeros(n, dtype=np.int64)      # clique members adjacent to each vertex
    best = 0
    for t in range(min(tries, n)):
        v = starts[t]
        if not mask[v]:
            break
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
    """Greedy clique size of the graph ``(ptr, idx)`` (of the vertices where ``mask`` holds)."""
    n = ptr.size - 1
    if mask is None:
        mask = np.ones(n, dtype=np.bool_)
    return int(greedy_clique(ptr, idx, mask, tries))
