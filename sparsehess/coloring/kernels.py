"""Compiled (numba) kernels: neighbourhoods, vertex orders and greedy colorings.

Graphs are CSR pairs ``(ptr, idx)`` of int64. A "distance-k view" of a vertex set is given by
``(ptr1, idx1, ptr2, idx2, dist2)``: with ``dist2=False`` the neighbours of ``v`` are
``idx1[ptr1[v]:ptr1[v+1]]`` (an adjacency graph without self loops); with ``dist2=True`` they
are the vertices reached in two steps ``v -> i -> w`` with ``i`` in ``idx1[ptr1[v]:ptr1[v+1]]``
and ``w`` in ``idx2[ptr2[i]:ptr2[i+1]]``, ``w != v`` (columns sharing a row, for partial
distance-2 coloring of a bipartite graph). Colors are 0-based; -1 means uncolored.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def collect_neighbors(v, ptr1, idx1, ptr2, idx2, dist2, mark, stamp, buf):
    """Write the distinct neighbours of ``v`` into ``buf``; return how many.

    ``mark`` is an int64 scratch array, ``stamp`` a value not used in it yet.
    """
    k = 0
    mark[v] = stamp
    if not dist2:
        for a in range(ptr1[v], ptr1[v + 1]):
            w = idx1[a]
            if mark[w] != stamp:
                mark[w] = stamp
                buf[k] = w
                k += 1
        return k
    for a in range(ptr1[v], ptr1[v + 1]):
        i = idx1[a]
        for b in range(ptr2[i], ptr2[i + 1]):
            w = idx2[b]
            if mark[w] != stamp:
                mark[w] = stamp
                buf[k] = w
                k += 1
    return k


@njit(cache=True)
def degrees(n, ptr1, idx1, ptr2, idx2, dist2):
    """Number of distinct (distance-1 or distance-2) neighbours of each of the ``n`` vertices."""
    deg = np.zeros(n, dtype=np.int64)
    if not dist2:
        for v in range(n):
            deg[v] = ptr1[v + 1] - ptr1[v]
        return deg
    mark = np.full(n, -1, dtype=np.int64)
    buf = np.empty(n, dtype=np.int64)
    for v in range(n):
        deg[v] = collect_neighbors(v, ptr1, idx1, ptr2, idx2, dist2, mark, v, buf)
    return deg


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
        h = head[key[v]]
        nxt[v] = h
        prv[v] = -1
        if h >= 0:
            prv[h] = v
        head[key[v]] = v
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
        # unlink v
        if prv[v] >= 0:
            nxt[prv[v]] = nxt[v]
        else:
            head[key[v]] = nxt[v]
        if nxt[v] >= 0:
            prv[nxt[v]] = prv[v]
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
            # move w to the neighbouring bucket
            if prv[w] >= 0:
                nxt[prv[w]] = nxt[w]
            else:
                head[key[w]] = nxt[w]
            if nxt[w] >= 0:
                prv[nxt[w]] = prv[w]
            if kind == 1:
                key[w] += 1
                if key[w] > ptr_key:
                    ptr_key = key[w]
            else:
                key[w] -= 1
                if kind == 0 and key[w] < ptr_key:
                    ptr_key = key[w]
            h = head[key[w]]
            nxt[w] = h
            prv[w] = -1
            if h >= 0:
                prv[h] = w
            head[key[w]] = w
    return order


@njit(cache=True)
def _greedy_plain(order, n, ptr1, idx1, ptr2, idx2, dist2):
    """First-fit coloring walking every row (no long rows): see :func:`greedy_coloring`."""
    color = np.full(n, -1, dtype=np.int64)
    forb = np.full(n + 1, -1, dtype=np.int64)
    for v in order:
        if dist2:
            for a in range(ptr1[v], ptr1[v + 1]):
                i = idx1[a]
                for b in range(ptr2[i], ptr2[i + 1]):
                    c = color[idx2[b]]
                    if c >= 0:
                        forb[c] = v
        else:
            for a in range(ptr1[v], ptr1[v + 1]):
                c = color[idx1[a]]
                if c >= 0:
                    forb[c] = v
        c = 0
        while forb[c] == v:
            c += 1
        color[v] = c
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


@njit(cache=True)
def reverse_positions(ptr, idx):
    """For a structurally symmetric CSR graph, ``rev[k]`` is the position of the mirror entry."""
    n = ptr.size - 1
    cursor = ptr[:-1].copy()
    rev = np.empty(idx.size, dtype=np.int64)
    for i in range(n):
        for k in range(ptr[i], ptr[i + 1]):
            j = idx[k]
            rev[k] = cursor[j]
            cursor[j] += 1
    return rev


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
                for kk in range(ptr[w], ptr[w + 1]):
                    cx = color[idx[kk]]
                    if cx >= 0:
                        forb[cx] = v
        c = 0
        while forb[c] == v:
            c += 1
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
        c = 0
        while forb[c] == v:
            c += 1
        if c >= max_colors:
            return color, False
        color[v] = c
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
        c = 0
        while forb[c] == v:
            c += 1
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


@njit(cache=True)
def exclusive_counts(ptr, idx, color, ncolors):
    """``cnt[k]`` = number of neighbours of row ``i`` (position ``k`` in row ``i``) whose color
    equals ``color[idx[k]]``. A read ``B[i, color[idx[k]]]`` isolates entry k iff ``cnt[k]==1``.
    """
    n = ptr.size - 1
    tally = np.zeros(ncolors + 1, dtype=np.int64)
    cnt = np.empty(idx.size, dtype=np.int64)
    for i in range(n):
        for k in range(ptr[i], ptr[i + 1]):
            c = color[idx[k]]
            if c >= 0:
                tally[c] += 1
        for k in range(ptr[i], ptr[i + 1]):
            c = color[idx[k]]
            cnt[k] = tally[c] if c >= 0 else 0
        for k in range(ptr[i], ptr[i + 1]):
            c = color[idx[k]]
            if c >= 0:
                tally[c] = 0
    return cnt


@njit(cache=True)
def star_postprocess(ptr, idx, color, ncolors):
    """Drop the colors symmetric direct recovery does not need from a star coloring.

    ``(ptr, idx)``: the full symmetric pattern (diagonal entries where present, sorted rows).
    An entry ``(i, j)`` is read from ``B[i, color[j]]`` (column ``j`` alone in its class in row
    ``i``) or from ``B[j, color[i]]``; a diagonal entry only from ``B[i, color[i]]``. Reads are
    chosen (forced ones first, then reusing vertices and colors already needed, else the
    higher-degree end, i.e. the hub), and the vertices they isolate keep their colors. A color
    none of those vertices holds is dropped: its vertices move to a kept color that no row
    they appear in reads, or else all share one extra "neutral" color that nothing reads
    (adding terms to a class no read uses never spoils a read). Returns ``(colors, ok)``;
    ``ok`` is False if some entry cannot be read (not a valid coloring), colors then unchanged.
    """
    n = ptr.size - 1
    cnt = exclusive_counts(ptr, idx, color, ncolors)
    rev = reverse_positions(ptr, idx)
    needed = np.zeros(n, dtype=np.bool_)
    active = np.zeros(ncolors + 1, dtype=np.bool_)
    read = np.zeros(idx.size, dtype=np.bool_)  # read[k]: entry k = (i, j) read at B[i, color[j]]
    for phase in range(2):
        for i in range(n):
            for k in range(ptr[i], ptr[i + 1]):
                j = idx[k]
                if j < i:
                    continue
                a = cnt[k] == 1
                if j == i:
                    if phase == 0:
                        if not a:
                            return color, False
                        read[k] = True
                        needed[i] = True
                        active[color[i]] = True
                    continue
                r = rev[k]
                b = cnt[r] == 1
                if phase == 0:
                    if not (a or b):
                        return color, False
                    if a and b:
                        continue
                    use_a = a
                else:
                    if not (a and b):
                        continue
                    if needed[j] != needed[i]:
                        use_a = needed[j]
                    elif active[color[j]] != active[color[i]]:
                        use_a = active[color[j]]
                    else:
                        use_a = (ptr[j + 1] - ptr[j]) >= (ptr[i + 1] - ptr[i])
                if use_a:
                    read[k] = True
                    needed[j] = True
                    active[color[j]] = True
                else:
                    read[r] = True
                    needed[i] = True
                    active[color[i]] = True
    nkept = 0
    for c in range(ncolors):
        if active[c]:
            nkept += 1
    if nkept == ncolors:
        return color, True
    out = color.copy()
    mark = np.full(ncolors + 1, -1, dtype=np.int64)
    neutral = ncolors  # provisional label of the extra class
    for v in range(n):
        if needed[v] or active[color[v]]:
            continue
        for k in range(ptr[v], ptr[v + 1]):
            i = idx[k]  # v appears in row i (symmetric pattern)
            for kk in range(ptr[i], ptr[i + 1]):
                if read[kk]:
                    mark[color[idx[kk]]] = v
        target = neutral
        for c in range(ncolors):
            if active[c] and mark[c] != v:
                target = c
                break
        out[v] = target
    # renumber the classes in use to 0..k-1
    label = np.full(ncolors + 1, -1, dtype=np.int64)
    for v in range(n):
        label[out[v]] = 0
    nxt = 0
    for c in range(ncolors + 1):
        if label[c] == 0:
            label[c] = nxt
            nxt += 1
    for v in range(n):
        out[v] = label[out[v]]
    return out, True
