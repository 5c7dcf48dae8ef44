"""Greedy first-fit distance-1 and partial distance-2 colorings (numba).

Partial distance-2 coloring of a bipartite graph is Algorithm 3.2 of Gebremedhin, Manne and
Pothen, "What color is your Jacobian? Graph coloring for computing derivatives", SIAM Review 47
(2005). Colors are 0-based; -1 means uncolored.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .neighbours import first_free_color, forbid_colors


@njit(cache=True)
def _greedy_plain(order, n, ptr1, idx1, ptr2, idx2, dist2):
    """First-fit coloring walking every row (no long rows): see :func:`greedy_coloring`."""
    color = np.full(n, -1, dtype=np.int64)
    forb = np.full(n + 1, -1, dtype=np.int64)
    for v in order:
        if dist2:
            for a in range(ptr1[v], ptr1[v + 1]):
                i = idx1[a]
                forbid_colors(idx2, ptr2[i], ptr2[i + 1], color, forb, v)
        else:
            forbid_colors(idx1, ptr1[v], ptr1[v + 1], color, forb, v)
        color[v] = first_free_color(forb, v)
    return color


PREFETCH_AHEAD = 8
"""The distance-2 greedy touches the row blocks of the vertex this many steps ahead."""


@njit(cache=True)
def _dist2_degree_bound(n, ptr1, idx1, ptr2):
    """``max_v sum_(i in rows of v) (len(i) - 1)``: no vertex has more distance-2 neighbours,
    so first fit uses at most this many colors plus one."""
    best = 0
    for v in range(n):
        t = 0
        for a in range(ptr1[v], ptr1[v + 1]):
            i = idx1[a]
            t += ptr2[i + 1] - ptr2[i] - 1
        if t > best:
            best = t
    return best


@njit(cache=True, inline="always")
def _lowest_zero_bit_fast(m):
    """Index of the lowest zero bit of the int64 ``m`` (``m != -1``), by halving."""
    low = ~m & (m + 1)  # the lowest zero bit alone
    b = 0
    for shift in (32, 16, 8, 4, 2, 1):
        if (low & ((np.int64(1) << shift) - 1)) == 0 and low != 0:
            low = (low >> shift) & 0x7FFFFFFFFFFFFFFF
            b += shift
    return b


@njit(cache=True)
def _greedy_dist2_bits(order, n, ptr1, idx1, ptr2, idx2, long_len, words):
    """Distance-2 first-fit coloring (as :func:`greedy_coloring`, same colors) that reads the
    colors already used in each row instead of the colors of the row's members.

    Rows of fewer than ``long_len`` entries keep the list of their members' colors (distinct,
    since members of a row never share a color), appended as members get colored, in an int32
    block ``[count, colors...]`` at ``ptr2[i] + i``; ``off`` holds the block of each entry of
    ``idx1``, so that a visit of a row reads one contiguous block (usually one cache line)
    instead of gathering ``color[w]`` from scattered columns. Rows of at least ``long_len``
    entries keep a bitset of ``words`` int64 (colors < ``64 * words``, see
    :func:`_dist2_degree_bound`) OR-ed word by word up to the highest color seen: a dense row
    costs ``O(colors / 64)`` per visit, not ``O(n)``; with ``long_len >= words`` the bitsets
    take at most ``8 * nnz`` bytes.
    """
    color = np.full(n, -1, dtype=np.int64)
    nrows = ptr2.size - 1
    slot = np.full(nrows, -1, dtype=np.int64)
    nlong = 0
    for i in range(nrows):
        if ptr2[i + 1] - ptr2[i] >= long_len:
            slot[i] = nlong
            nlong += 1
    blk = np.zeros(ptr2[nrows] + nrows, dtype=np.int32)
    off = np.empty(idx1.size, dtype=np.int32)      # block of row idx1[a], or -1 - bitset slot
    for a in range(idx1.size):
        i = idx1[a]
        off[a] = ptr2[i] + i if slot[i] < 0 else -1 - slot[i]
    bits = np.zeros((nlong, words), dtype=np.int64)
    hiw = np.zeros(nlong, dtype=np.int64)  # words in use per long row
    acc = np.zeros(words, dtype=np.int64)  # colors forbidden for the current vertex
    touch = np.int32(0)
    norder = order.size
    for t in range(norder):
        v = order[t]
        if t + PREFETCH_AHEAD < norder:  # independent loads of a later vertex's blocks
            u = order[t + PREFETCH_AHEAD]
            for a in range(ptr1[u], ptr1[u + 1]):
                o = off[a]
                touch ^= blk[o] if o >= 0 else 0
        accw = 0
        for a in range(ptr1[v], ptr1[v + 1]):
            o = off[a]
            if o < 0:
                s = -1 - o
                h = hiw[s]
                if h > accw:
                    accw = h
                for q in range(h):
                    acc[q] |= bits[s, q]
            else:
                for b in range(o + 1, o + 1 + blk[o]):
                    c = blk[b]
                    q = c >> 6
                    acc[q] |= np.int64(1) << (c & 63)
                    if q >= accw:
                        accw = q + 1
        # smallest color not in acc, then clear acc
        q = 0
        while q < accw and acc[q] == -1:
            q += 1
        c = 64 * q + (_lowest_zero_bit_fast(acc[q]) if q < accw else 0)
        for t in range(accw):
            acc[t] = 0
        color[v] = c
        qc = c >> 6
        bc = np.int64(1) << (c & 63)
        for a in range(ptr1[v], ptr1[v + 1]):
            o = off[a]
            if o < 0:
                s = -1 - o
                bits[s, qc] |= bc
                if qc + 1 > hiw[s]:
                    hiw[s] = qc + 1
            else:
                blk[o] += 1
                blk[o + blk[o]] = c
    if touch == -12345:  # keep the prefetch loads alive
        color[0] = color[0]
    return color


def greedy_coloring(order, n, ptr1, idx1, ptr2, idx2, dist2):
    """First-fit coloring in ``order``: no two (distance-1 or distance-2) neighbours share a color.

    With ``dist2=True`` on (column->rows, row->columns) CSR this is partial distance-2 column
    coloring (structurally orthogonal column groups). Returns int64 colors of shape ``(n,)``.
    The distance-2 kernel reads per-row lists of used colors, and color bitsets for rows of at
    least ``max(64, words)`` entries, ``words`` the int64 words holding the largest possible
    color (:func:`_greedy_dist2_bits`, same colors as walking every row).
    """
    if dist2 and ptr2.size > 1 and ptr2[-1] + ptr2.size < 2**31:  # int32 block offsets
        words = (min(n, _dist2_degree_bound(n, ptr1, idx1, ptr2)) + 64) // 64
        return _greedy_dist2_bits(order, n, ptr1, idx1, ptr2, idx2, max(64, words), words)
    return _greedy_plain(order, n, ptr1, idx1, ptr2, idx2, dist2)
