"""Greedy star coloring of a symmetric adjacency graph (numba), four variants, one result.

Algorithm 4.1 of Gebremedhin, Tarafdar, Manne and Pothen, "New acyclic and star coloring
algorithms with application to computing Hessians", SIAM J. Sci. Comput. 29 (2007): per-vertex
color bitsets while they fit in memory, per-edge bookkeeping otherwise; ``restricted`` gives the
restricted star coloring used for the diagonal-free case. Colors are 0-based.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...recovery.direct import reverse_positions
from .neighbours import first_free_color, forbid_colors


@njit(cache=True, inline="always")
def _lowest_zero_bit(m):
    """Index of the lowest zero bit of the int64 ``m`` (``m != -1``)."""
    inv = ~m
    low = inv & -inv
    b = 0
    while low != 1:
        low = (low >> 1) & 0x7FFFFFFFFFFFFFFF
        b += 1
    return b


@njit(cache=True)
def star_coloring_bits(order, ptr, idx, words, restricted, max_colors):
    """Greedy star coloring with per-vertex color bitsets (``32 * words`` colors at most).

    Rules (``(ptr, idx)`` adjacency without self loops; ``v`` is being colored):
    a color is forbidden if a neighbour ``w`` has it; if ``w`` is colored and some neighbour
    ``x`` of ``w`` is the hub of the 2-colored star through ``w`` (``x`` has two or more
    neighbours of color ``color[w]``), ``color[x]`` is forbidden (else ``v - w - x - y`` would
    be a 2-colored path); if two neighbours of ``v`` share a color, ``v`` becomes the hub of
    their star and all colors around them are forbidden (Gebremedhin, Tarafdar, Manne, Pothen
    2007, Algorithm 4.1). ``restricted=True`` adds: an uncolored neighbour ``w`` forbids the
    colors of all colored neighbours of ``w`` (so earlier neighbours of a vertex always have
    distinct colors and the third rule never fires; "What color is your Jacobian?" 2005,
    Algorithm 4.1, the rule CasADi's ``star_coloring`` uses). Both give star colorings.

    State per vertex: color, NC (colors of its colored neighbours), F (colors of the hubs
    adjacent to it through its own star edges), HUB (colors it sees twice), so a vertex costs
    O(degree * words) plus a rare rescan when a neighbour becomes a hub.
    Returns ``(colors, status)``: 0 done, 1 needs more ``words``, 2 would exceed
    ``max_colors`` (colors are partial for 1 and 2).
    """
    n = ptr.size - 1
    W = words
    # uint32 words keep a vertex's state in 16 bytes for up to 32 colors (cache-bound kernel)
    st = np.zeros((n, 1 + 3 * W), dtype=np.uint32)  # color+1 | NC | F | HUB
    f = np.zeros(W, dtype=np.int64)
    seen = np.zeros(W, dtype=np.int64)
    dup = np.zeros(W, dtype=np.int64)
    full = np.int64(0xFFFFFFFF)
    status = 0
    for v in order:
        f[:] = 0
        seen[:] = 0
        anydup = False
        for k in range(ptr[v], ptr[v + 1]):
            w = idx[k]
            cw = np.int64(st[w, 0]) - 1
            if cw >= 0:
                qw = cw >> 5
                bw = np.int64(1) << (cw & 31)
                if seen[qw] & bw:
                    if not anydup:
                        dup[:] = 0
                        anydup = True
                    dup[qw] |= bw
                seen[qw] |= bw
                for q in range(W):
                    f[q] |= st[w, 1 + W + q]
            elif restricted:
                for q in range(W):
                    f[q] |= st[w, 1 + q]
        if anydup:
            # v is the hub of the stars of its repeated colors: treat those neighbours
            for k in range(ptr[v], ptr[v + 1]):
                w = idx[k]
                cw = np.int64(st[w, 0]) - 1
                if cw >= 0 and (dup[cw >> 5] & (np.int64(1) << (cw & 31))):
                    for q in range(W):
                        f[q] |= st[w, 1 + q]
            for q in range(W):
                st[v, 1 + 2 * W + q] = dup[q]
        c = -1
        for q in range(W):
            fq = f[q] | seen[q]
            if fq != full:
                c = 32 * q + _lowest_zero_bit(fq)
                break
        if c < 0:
            status = 1
            break
        if c >= max_colors:
            status = 2
            break
        st[v, 0] = c + 1
        qc = 1 + (c >> 5)
        bc = np.int64(1) << (c & 31)
        for k in range(ptr[v], ptr[v + 1]):
            x = idx[k]
            cx = np.int64(st[x, 0]) - 1
            nc = np.int64(st[x, qc])
            if cx >= 0:
                qx = 1 + W + (cx >> 5)
                bx = np.int64(1) << (cx & 31)
                if nc & bc:
                    # x already had a c-neighbour y: x is the hub over v and y
                    st[v, qx] |= bx
                    if not (st[x, 2 * W + qc] & bc):
                        st[x, 2 * W + qc] |= bc
                        for kk in range(ptr[x], ptr[x + 1]):
                            y = idx[kk]
                            if y != v and st[y, 0] == c + 1:
                                st[y, qx] |= bx
                                break
                if anydup and (dup[cx >> 5] & bx):
                    st[x, qc + W] |= bc  # v is the hub over x
            st[x, qc] = nc | bc
    return st[:, 0].astype(np.int64) - 1, status


@njit(cache=True)
def star_coloring_bits1(order, ptr, idx, restricted, max_colors):
    """:func:`star_coloring_bits` with ``words=1`` (32 colors), the state words in registers."""
    n = ptr.size - 1
    st = np.zeros((n, 4), dtype=np.uint32)
    full = np.int64(0xFFFFFFFF)
    for v in order:
        f = np.int64(0); seen = np.int64(0); dup = np.int64(0)
        for k in range(ptr[v], ptr[v + 1]):
            w = idx[k]
            cw = np.int64(st[w, 0]) - 1
            if cw >= 0:
                bw = np.int64(1) << cw
                dup |= seen & bw
                seen |= bw
                f |= st[w, 2]
            elif restricted:
                f |= st[w, 1]
        if dup:
            for k in range(ptr[v], ptr[v + 1]):
                w = idx[k]
                cw = np.int64(st[w, 0]) - 1
                if cw >= 0 and (dup & (np.int64(1) << cw)):
                    f |= st[w, 1]
            st[v, 3] = dup
        fq = f | seen
        if fq == full:
            return st[:, 0].astype(np.int64) - 1, 1
        c = _lowest_zero_bit(fq)
        if c >= max_colors:
            return st[:, 0].astype(np.int64) - 1, 2
        st[v, 0] = c + 1
        bc = np.int64(1) << c
        fv = np.int64(0)
        for k in range(ptr[v], ptr[v + 1]):
            x = idx[k]
            cx = np.int64(st[x, 0]) - 1
            nc = np.int64(st[x, 1])
            if cx >= 0:
                bx = np.int64(1) << cx
                if nc & bc:
                    fv |= bx
                    if not (st[x, 3] & bc):
                        st[x, 3] |= bc
                        for kk in range(ptr[x], ptr[x + 1]):
                            y = idx[kk]
                            if y != v and st[y, 0] == c + 1:
                                st[y, 2] |= bx
                                break
                if dup & bx:
                    st[x, 2] |= bc
            st[x, 1] = nc | bc
        st[v, 2] |= fv
    return st[:, 0].astype(np.int64) - 1, 0


@njit(cache=True)
def star_coloring_restricted_edges(order, ptr, idx, rev, max_colors):
    """``restricted=True`` rules of :func:`star_coloring_bits` with per-edge hub flags:
    memory O(nnz) whatever the number of colors, cost O(sum of squared degrees).
    Returns ``(colors, ok)`` as :func:`star_coloring_edges`.
    """
    n = ptr.size - 1
    color = np.full(n, -1, dtype=np.int64)
    forb = np.full(n + 1, -1, dtype=np.int64)
    hub = np.zeros(idx.size, dtype=np.uint8)  # hub[(w, x)]: x has >= 2 neighbours of color[w]
    for v in order:
        for k in range(ptr[v], ptr[v + 1]):
            w = idx[k]
            cw = color[w]
            if cw >= 0:
                forb[cw] = v
                for kk in range(ptr[w], ptr[w + 1]):
                    if hub[kk]:
                        forb[color[idx[kk]]] = v
            else:
                forbid_colors(idx, ptr[w], ptr[w + 1], color, forb, v)
        c = first_free_color(forb, v)
        if c >= max_colors:
            return color, False
        color[v] = c
        for k in range(ptr[v], ptr[v + 1]):
            x = idx[k]
            if color[x] < 0:
                continue
            for kk in range(ptr[x], ptr[x + 1]):
                y = idx[kk]
                if y != v and color[y] == c:
                    hub[k] = 1
                    hub[rev[kk]] = 1
                    break
    return color, True


STAR_BITSET_BYTES = 1 << 27
"""Memory allowed to the per-vertex bitsets of :func:`star_coloring_bits` beyond ``16 * nnz``
bytes; larger color counts use the O(nnz) edge kernels."""


def star_coloring(order, ptr, idx, rev=None, restricted=False, max_colors=None):
    """Greedy star coloring in ``order`` (see :func:`star_coloring_bits` for the rules).

    Uses the bitset kernel while its state fits ``16 * nnz + STAR_BITSET_BYTES`` bytes, the
    per-edge kernels otherwise (same result). Returns int64 colors, or ``None`` if more than
    ``max_colors`` colors would be needed.
    """
    n = ptr.size - 1
    cap = np.iinfo(np.int64).max if max_colors is None else int(max_colors)
    budget = 16 * idx.size + STAR_BITSET_BYTES
    words = 1
    while n * (1 + 3 * words) * 4 <= budget or words == 1:
        if words == 1:
            colors, status = star_coloring_bits1(order, ptr, idx, restricted, cap)
        else:
            colors, status = star_coloring_bits(order, ptr, idx, words, restricted, cap)
        if status == 0:
            return colors
        if status == 2:
            return None
        if 32 * words >= cap:
            return None
        words *= 4
    if rev is None:
        rev = reverse_positions(ptr, idx)
    kernel = star_coloring_restricted_edges if restricted else star_coloring_edges
    colors, ok = kernel(order, ptr, idx, rev, cap)
    return colors if ok else None


@njit(cache=True)
def star_coloring_edges(order, ptr, idx, rev, max_colors):
    """Star coloring (``restricted=False`` rules of :func:`star_coloring_bits`) with explicit
    2-colored-star bookkeeping per edge: memory O(nnz) whatever the number of colors, cost
    O(sum of squared degrees). Returns ``(colors, ok)``; ``ok`` is False (colors partial) when a
    color ``>= max_colors`` would be needed.
    """
    n = ptr.size - 1
    color = np.full(n, -1, dtype=np.int64)
    forb = np.full(n + 1, -1, dtype=np.int64)
    first_v = np.full(n + 1, -1, dtype=np.int64)
    multi = np.full(n + 1, -1, dtype=np.int64)
    upd_v = np.full(n + 1, -1, dtype=np.int64)
    upd_k = np.full(n + 1, -1, dtype=np.int64)
    star = np.full(idx.size, -1, dtype=np.int64)
    hub = np.full(idx.size // 2 + 1, -1, dtype=np.int64)
    # per vertex y, a linked list of the positions (y, h) where h is the hub of y's star
    hub_head = np.full(n, -1, dtype=np.int64)
    hub_next = np.full(idx.size, -1, dtype=np.int64)
    nstars = 0
    for v in order:
        # distance-1 constraints; detect colors held by two or more neighbours of v
        for k in range(ptr[v], ptr[v + 1]):
            d = color[idx[k]]
            if d < 0:
                continue
            forb[d] = v
            if first_v[d] != v:
                first_v[d] = v
            else:
                multi[d] = v
        for k in range(ptr[v], ptr[v + 1]):
            w = idx[k]
            d = color[w]
            if d < 0:
                continue
            if multi[d] == v:
                # v will be the hub of the {c, d} star: none of its d-neighbours may have a
                # c-neighbour besides v
                for kk in range(ptr[w], ptr[w + 1]):
                    x = idx[kk]
                    if x != v and color[x] >= 0:
                        forb[color[x]] = v
            else:
                # v becomes a spoke of w: forbidden if w is a spoke of a star whose hub is x
                kk = hub_head[w]
                while kk >= 0:
                    if idx[kk] != v:
                        forb[color[idx[kk]]] = v
                    kk = hub_next[kk]
        color[v] = c = first_free_color(forb, v)
        if c >= max_colors:                    # the colors returned are then discarded
            return color, False
        # record the new edges in their 2-colored stars
        for k in range(ptr[v], ptr[v + 1]):
            w = idx[k]
            d = color[w]
            if d < 0 or w == v:
                continue
            found = -1
            for kk in range(ptr[w], ptr[w + 1]):
                x = idx[kk]
                if x != v and color[x] == c:
                    found = kk
                    break
            if found >= 0:
                s = star[found]
                if hub[s] < 0:
                    hub[s] = w
                    q = idx[found]
                    hub_next[rev[found]] = hub_head[q]
                    hub_head[q] = rev[found]
                hub_next[k] = hub_head[v]
                hub_head[v] = k
            elif upd_v[d] == v:
                s = star[upd_k[d]]
                if hub[s] < 0:
                    hub[s] = v
                    q = idx[upd_k[d]]
                    hub_next[rev[upd_k[d]]] = hub_head[q]
                    hub_head[q] = rev[upd_k[d]]
                hub_next[rev[k]] = hub_head[w]
                hub_head[w] = rev[k]
            else:
                upd_v[d] = v
                upd_k[d] = k
                s = nstars
                nstars += 1
                hub[s] = -1
            star[k] = s
            star[rev[k]] = s
    return color, True
