"""Improvement stage after greedy: fewer colors within a time budget (``color(..., effort=s)``).

Two searches, both keeping the coloring valid for its method and never returning more colors
than they were given:

* Iterated greedy (Culberson & Luo 1996): recolor first-fit in an order that lists the current
  color classes one after another (reversed, largest first, smallest first, random). For
  distance-1 colorings — and partial distance-2, which is distance-1 on the column intersection
  graph — first fit in such an order never uses more colors; for star and acyclic colorings the
  greedy kernels re-run in those orders and the result is kept only when it is no worse.
* Tabu search (TabuCol, Hertz & de Werra 1987, with Galinier & Hao's tenure) for the
  distance-1 formulations (``column``, ``row``, ``distance1``): merge the smallest class into the
  others and minimise the number of conflicting edges with ``k - 1`` colors; at zero conflicts
  the class is gone and the next one is attacked. It works on the explicit conflict graph,
  built when it fits in :data:`MAX_CONFLICT_ENTRIES` entries (iterated greedy alone otherwise).

The search runs in rounds of fixed work; the clock is read between rounds only, so for a given
seed the sequence of colorings is fixed and the budget only decides where it stops
(``rounds=`` makes the stopping point fixed too).
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from . import kernels
from .bounds import clique_bound

MAX_CONFLICT_ENTRIES = 60_000_000
"""Largest conflict graph (CSR entries, int32) the tabu search builds (~240 MB)."""

MAX_GAMMA_ENTRIES = 60_000_000
"""Largest ``n x colors`` table of neighbour color counts the tabu search allocates."""

TABU_STEPS = 20_000
"""Tabu moves per round."""

TENURES = (0, 10, 50, 100, 300)
"""Base tabu tenures, one per round in turn (short ones suit dense conflict graphs, long ones
large sparse ones; the tenure of a move is ``base + 0.6 * conflicting + rand(max(10, base))``)."""


# ------------------------------------------------------------------------- conflict graphs
@njit(cache=True)
def conflict_size_bound(n, ptr1, idx1, ptr2):
    """Upper bound on the entries of the distance-2 conflict graph: sum over each vertex's
    rows of the row lengths."""
    total = 0
    for v in range(n):
        for a in range(ptr1[v], ptr1[v + 1]):
            i = idx1[a]
            total += ptr2[i + 1] - ptr2[i]
    return total


@njit(cache=True)
def conflict_graph(n, ptr1, idx1, ptr2, idx2, dist2):
    """CSR ``(ptr int64, idx int32)`` of the graph whose edges join vertices that may not share
    a color: distance-2 neighbours for ``dist2`` (columns sharing a row), else the adjacency
    ``(ptr1, idx1)`` itself (without self loops)."""
    mark = np.full(n, -1, dtype=np.int64)
    buf = np.empty(n, dtype=np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        ptr[v + 1] = ptr[v] + kernels.collect_neighbors(v, ptr1, idx1, ptr2, idx2, dist2,
                                                        mark, v, buf)
    idx = np.empty(ptr[n], dtype=np.int32)
    mark[:] = -1
    for v in range(n):
        k = kernels.collect_neighbors(v, ptr1, idx1, ptr2, idx2, dist2, mark, v + n, buf)
        for t in range(k):
            idx[ptr[v] + t] = buf[t]
    return ptr, idx


# ---------------------------------------------------------------------- iterated greedy
def class_order(colors: np.ndarray, kind: int, rng: np.random.Generator) -> np.ndarray:
    """Vertices grouped by color class, classes in an order derived from ``colors``: kind 0
    reversed, 1 largest class first, 2 smallest class first, 3 random; vertices inside a class
    keep their index order. Returns an int64 permutation."""
    k = int(colors.max(initial=-1)) + 1
    sizes = np.bincount(colors, minlength=k)
    if kind == 0:
        rank = np.arange(k)[::-1]
    elif kind == 1:
        rank = np.argsort(-sizes, kind="stable")
    elif kind == 2:
        rank = np.argsort(sizes, kind="stable")
    else:
        rank = rng.permutation(k)
    pos = np.empty(k, dtype=np.int64)
    pos[rank] = np.arange(k)
    return np.argsort(pos[colors], kind="stable").astype(np.int64)


def greedy_explicit(order, ptr, idx):
    """First-fit coloring of the explicit graph ``(ptr, idx)`` in ``order`` (int64 colors)."""
    return kernels.greedy_coloring(order, ptr.size - 1, ptr, idx, ptr, idx, False)


# -------------------------------------------------------------------------------- tabu
@njit(cache=True)
def _tabu_init(ptr, idx, color, k):
    """Neighbour color counts ``gamma (n, k)`` and the number of conflicting edges."""
    n = ptr.size - 1
    gamma = np.zeros((n, k), dtype=np.int32)
    conf = 0
    for v in range(n):
        for a in range(ptr[v], ptr[v + 1]):
            gamma[v, color[idx[a]]] += 1
        conf += gamma[v, color[v]]
    return gamma, conf // 2


@njit(cache=True)
def _merge_class(ptr, idx, color, drop):
    """Move every vertex of class ``drop`` to the color (among the others) with the fewest
    neighbours of that color, then renumber colors above ``drop`` down by one."""
    n = ptr.size - 1
    k = int(color.max()) + 1
    cnt = np.zeros(k, dtype=np.int64)
    for v in range(n):
        if color[v] != drop:
            continue
        for a in range(ptr[v], ptr[v + 1]):
            cnt[color[idx[a]]] += 1
        best, bc = -1, 1 << 62
        for c in range(k):
            if c != drop and cnt[c] < bc:
                best, bc = c, cnt[c]
        for a in range(ptr[v], ptr[v + 1]):
            cnt[color[idx[a]]] = 0
        color[v] = best
    for v in range(n):
        if color[v] > drop:
            color[v] -= 1


@njit(cache=True, inline="always")
def _relist(v, conflicting, pos, lst, nl):
    """Add ``v`` to / remove it from the list ``lst[:nl]`` of conflicting vertices (``pos``:
    its place, -1 when absent) as ``conflicting`` says; returns the new length."""
    if conflicting and pos[v] < 0:
        pos[v] = nl
        lst[nl] = v
        return nl + 1
    if not conflicting and pos[v] >= 0:
        last = lst[nl - 1]
        lst[pos[v]] = last
        pos[last] = pos[v]
        pos[v] = -1
        return nl - 1
    return nl


@njit(cache=True)
def tabu_steps(ptr, idx, color, gamma, tabu, conf, it0, steps, seed, tenure):
    """Run up to ``steps`` TabuCol moves from iteration ``it0``; stops early at zero conflicts.

    ``color`` (n,), ``gamma`` (n, k) and ``tabu`` (n, k, iteration until which moving the vertex
    back to that color is forbidden) are updated in place. Returns ``(conflicts, iteration)``.
    Moves: a conflicting vertex to the color with the largest conflict decrease that is not
    tabu (or that beats the best seen: aspiration); ties broken at random from ``seed``; the
    color left stays tabu for the vertex for ``tenure`` (see :data:`TENURES`) more moves.
    """
    np.random.seed(seed)
    n = ptr.size - 1
    k = gamma.shape[1]
    # list of conflicting vertices
    pos = np.full(n, -1, dtype=np.int64)
    lst = np.empty(n, dtype=np.int64)
    nl = 0
    for v in range(n):
        if gamma[v, color[v]] > 0:
            pos[v] = nl
            lst[nl] = v
            nl += 1
    best_seen = conf
    it = it0
    for _ in range(steps):
        if conf == 0:
            break
        it += 1
        bd = 1 << 30
        bv, bc, ties = -1, -1, 0
        for t in range(nl):
            v = lst[t]
            cv = color[v]
            gv = gamma[v, cv]
            for c in range(k):
                if c == cv:
                    continue
                d = gamma[v, c] - gv
                if tabu[v, c] > it and conf + d >= best_seen:
                    continue
                if d < bd:
                    bd, bv, bc, ties = d, v, c, 1
                elif d == bd:
                    ties += 1
                    if np.random.randint(0, ties) == 0:
                        bv, bc = v, c
        if bv < 0:  # every move tabu: take a random conflicting vertex and color
            bv = lst[np.random.randint(0, nl)]
            bc = np.random.randint(0, k - 1)
            if bc >= color[bv]:
                bc += 1
            bd = gamma[bv, bc] - gamma[bv, color[bv]]
        old = color[bv]
        color[bv] = bc
        conf += bd
        tabu[bv, old] = it + tenure + int(0.6 * nl) + np.random.randint(0, max(10, tenure))
        for a in range(ptr[bv], ptr[bv + 1]):
            w = idx[a]
            gamma[w, old] -= 1
            gamma[w, bc] += 1
            cw = color[w]
            if cw == old or cw == bc:
                nl = _relist(w, gamma[w, cw] > 0, pos, lst, nl)
        nl = _relist(bv, gamma[bv, bc] > 0, pos, lst, nl)
        if conf < best_seen:
            best_seen = conf
    return conf, it


# ------------------------------------------------------------------------------ driver
class _Budget:
    def __init__(self, effort: float, rounds: int | None):
        self.deadline = time.perf_counter() + effort
        self.rounds = rounds

    def spend(self) -> bool:
        """Whether another round may start (and count it)."""
        if self.rounds is not None:
            if self.rounds <= 0:
                return False
            self.rounds -= 1
            return True
        return time.perf_counter() < self.deadline


def _ncolors(colors: np.ndarray) -> int:
    return int(colors.max(initial=-1)) + 1


def improve_distance1(colors, ptr, idx, *, effort, seed=0, lower_bound=0, rounds=None):
    """Fewer colors for a proper coloring of the explicit graph ``(ptr, idx)`` (the distance-1
    form of column, row and distance-1 colorings). Returns int64 colors, never more than
    ``colors`` uses; stops at ``lower_bound`` colors, after ``effort`` seconds or ``rounds``."""
    budget = _Budget(effort, rounds)
    rng = np.random.default_rng(seed)
    best = np.asarray(colors, dtype=np.int64).copy()
    n = best.size
    kind = 0
    # a few iterated-greedy passes first: cheap and often several colors
    cur = best
    for _ in range(8):
        if _ncolors(best) <= max(lower_bound, 1) or not budget.spend():
            return best
        cur = greedy_explicit(class_order(cur, kind % 4, rng), ptr, idx)
        kind += 1
        if _ncolors(cur) < _ncolors(best):
            best = cur
    k = _ncolors(best)
    if n == 0 or n * k > MAX_GAMMA_ENTRIES:
        return best
    while k - 1 >= max(lower_bound, 1):
        trial = best.copy()
        sizes = np.bincount(trial, minlength=k)
        _merge_class(ptr, idx, trial, int(np.argmin(sizes)))
        gamma, conf = _tabu_init(ptr, idx, trial, k - 1)
        tabu = np.zeros((n, k - 1), dtype=np.int64)
        it, r = 0, 0
        while conf > 0:
            if not budget.spend():
                return best
            conf, it = tabu_steps(ptr, idx, trial, gamma, tabu, conf, it, TABU_STEPS,
                                  int(rng.integers(2**31)), TENURES[r % len(TENURES)])
            r += 1
        best = trial
        # iterated greedy on the new coloring can drop further classes at once
        again = greedy_explicit(class_order(best, 0, rng), ptr, idx)
        if _ncolors(again) < _ncolors(best):
            best = again
        k = _ncolors(best)
    return best


def perturbed_degree_order(degrees: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Largest degree first with ties, and degrees a few apart, shuffled: ``degree + noise``
    with noise uniform in [0, s), s drawn from (0.5, 2, 5)."""
    key = degrees + rng.random(degrees.size) * float(rng.choice([0.5, 2.0, 5.0]))
    return np.argsort(-key, kind="stable").astype(np.int64)


def improve_by_orders(colors, recolor, *, effort, seed=0, lower_bound=0, rounds=None,
                      degrees=None):
    """Iterated greedy for colorings whose greedy kernel is not monotone in class orders (star,
    acyclic): ``recolor(order) -> colors`` is run in class orders of the current coloring
    (and, every other round when ``degrees`` is given, in a :func:`perturbed_degree_order`);
    a result with no more colors becomes the current one, the fewest-color one is returned."""
    budget = _Budget(effort, rounds)
    rng = np.random.default_rng(seed)
    best = np.asarray(colors, dtype=np.int64).copy()
    cur = best
    kind = 0
    while _ncolors(best) > max(lower_bound, 1) and budget.spend():
        if degrees is not None and kind % 2:
            order = perturbed_degree_order(degrees, rng)
        else:
            order = class_order(cur, (kind // (1 if degrees is None else 2)) % 4, rng)
        trial = recolor(order)
        kind += 1
        if _ncolors(trial) <= _ncolors(cur):
            cur = trial
            if _ncolors(trial) < _ncolors(best):
                best = trial
    return best


def explicit_graph(view) -> tuple[np.ndarray, np.ndarray] | None:
    """Conflict graph of ``view = (n, ptr1, idx1, ptr2, idx2, dist2)``, or ``None`` when larger
    than :data:`MAX_CONFLICT_ENTRIES` entries."""
    n, ptr1, idx1, ptr2, idx2, dist2 = view
    size = conflict_size_bound(n, ptr1, idx1, ptr2) if dist2 else idx1.size
    if size > MAX_CONFLICT_ENTRIES:
        return None
    return conflict_graph(n, ptr1, idx1, ptr2, idx2, dist2)


def improve_view(colors, view, *, effort, seed=0, lower_bound=0, rounds=None):
    """Improve a column / row / distance-1 coloring given by its ``view``: tabu search and
    iterated greedy on the explicit conflict graph when it fits, otherwise iterated greedy on
    the implicit view (:func:`kernels.greedy_coloring`). Returns ``(colors, lower_bound)``, the
    bound raised to a greedy clique of the conflict graph when that graph was built."""
    graph = explicit_graph(view)
    if graph is not None:
        lower_bound = max(lower_bound, clique_bound(*graph))
        return improve_distance1(colors, *graph, effort=effort, seed=seed,
                                 lower_bound=lower_bound, rounds=rounds), lower_bound

    def recolor(order):
        return kernels.greedy_coloring(order, *view)
    return improve_by_orders(colors, recolor, effort=effort, seed=seed,
                             lower_bound=lower_bound, rounds=rounds), lower_bound
