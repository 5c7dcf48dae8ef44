"""Substitution (acyclic) recovery: schedules built once in numba, applied in numpy or JAX.

For an acyclic coloring every 2-colored component is a tree. With ``B = A @ S`` and a tree
rooted at a center, the entry between a vertex ``u`` and its parent ``p`` is
``A[u, p] = B[u, color[p]] - sum over children c of u of A[c, u]``: vertices are processed by
height (leaves first), each height a vectorised gather and segment sum.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def tree_schedule(ptr, idx, rev, color, ncolors):
    """Root every 2-colored tree at a center by leaf peeling.

    Tree nodes are pairs (vertex u, other color d); ``nodeof[k]`` is the node of CSR position
    ``k = (u, w)`` (d = color[w]). Returns ``(order, level_ptr, brow, bcol, parent, child_of)``:
    non-root nodes sorted by height (``order``; heights split by ``level_ptr``), for each node
    the B entry ``(brow, bcol)`` it subtracts from and its ``parent`` node (-1 for a root), and
    for each off-diagonal position the child node whose parent edge carries the value.
    Raises if a 2-colored component has a cycle.
    """
    n = ptr.size - 1
    nnz = idx.size
    nodeof = np.empty(nnz, dtype=np.int64)
    node_vert = np.empty(nnz, dtype=np.int64)
    deg = np.zeros(nnz, dtype=np.int64)
    last = np.full(ncolors + 1, -1, dtype=np.int64)
    nid = np.empty(ncolors + 1, dtype=np.int64)
    nn = 0
    for u in range(n):
        for k in range(ptr[u], ptr[u + 1]):
            d = color[idx[k]]
            if last[d] != u:
                last[d] = u
                nid[d] = nn
                node_vert[nn] = u
                nn += 1
            nodeof[k] = nid[d]
            deg[nid[d]] += 1
    node_ptr = np.zeros(nn + 1, dtype=np.int64)
    for a in range(nn):
        node_ptr[a + 1] = node_ptr[a] + deg[a]
    fill = node_ptr[:-1].copy()
    node_pos = np.empty(nnz, dtype=np.int64)
    for k in range(nnz):
        a = nodeof[k]
        node_pos[fill[a]] = k
        fill[a] += 1
    removed = np.zeros(nn, dtype=np.bool_)
    parent = np.full(nn, -1, dtype=np.int64)
    level = np.zeros(nn, dtype=np.int64)
    cur = np.empty(nn, dtype=np.int64)
    nxt = np.empty(nn, dtype=np.int64)
    ncur = 0
    for a in range(nn):
        if deg[a] == 1:
            cur[ncur] = a
            ncur += 1
    nremoved = 0
    r = 1
    while ncur > 0:
        nnext = 0
        for t in range(ncur):
            a = cur[t]
            if removed[a]:
                continue
            b = -1
            for s in range(node_ptr[a], node_ptr[a + 1]):
                bb = nodeof[rev[node_pos[s]]]
                if not removed[bb]:
                    b = bb
                    break
            removed[a] = True
            nremoved += 1
            level[a] = r
            if b < 0:
                continue
            parent[a] = b
            deg[b] -= 1
            if deg[b] == 1:
                nxt[nnext] = b
                nnext += 1
            elif deg[b] == 0:
                removed[b] = True
                nremoved += 1
        cur, nxt = nxt, cur
        ncur = nnext
        r += 1
    if nremoved != nn:
        raise ValueError("a 2-colored subgraph contains a cycle: not an acyclic coloring")
    nlev = r
    counts = np.zeros(nlev + 1, dtype=np.int64)
    for a in range(nn):
        if parent[a] >= 0:
            counts[level[a]] += 1
    level_ptr = np.zeros(nlev + 1, dtype=np.int64)
    for lv in range(1, nlev + 1):
        level_ptr[lv] = level_ptr[lv - 1] + counts[lv]
    pos = level_ptr[:-1].copy()
    order = np.empty(level_ptr[nlev], dtype=np.int64)
    for a in range(nn):
        if parent[a] >= 0:
            order[pos[level[a] - 1]] = a
            pos[level[a] - 1] += 1
    brow = node_vert[:nn].copy()
    bcol = np.full(nn, -1, dtype=np.int64)
    for a in range(nn):
        if parent[a] >= 0:
            bcol[a] = color[node_vert[parent[a]]]
    child_of = np.empty(nnz, dtype=np.int64)
    for k in range(nnz):
        a = nodeof[k]
        b = nodeof[rev[k]]
        child_of[k] = a if parent[a] == b else b
    # drop the empty trailing levels
    nz = 1
    for lv in range(1, nlev + 1):
        if level_ptr[lv] > level_ptr[lv - 1]:
            nz = lv + 1
    return order, level_ptr[:nz].copy(), brow, bcol, parent, child_of


@njit(cache=True)
def tree_values(order, brow, bcol, parent, bmat):
    """Sequential substitution: the parent-edge value of every tree node, shape ``(nnodes,)``."""
    nn = brow.size
    val = np.zeros(nn, dtype=bmat.dtype)
    acc = np.zeros(nn, dtype=bmat.dtype)
    for a in order:
        x = bmat[brow[a], bcol[a]] - acc[a]
        val[a] = x
        acc[parent[a]] += x
    return val


@njit(cache=True)
def euler_tour(parent):
    """Preorder entry/exit positions and depths of a forest given by ``parent`` (-1 = root),
    each node's largest child subtree visited last.

    Returns ``(preorder, tin, tout, depth)``: node ``a``'s subtree occupies positions
    ``tin[a] .. tout[a]-1`` of ``preorder``.  With the largest child last, a root-to-node
    path passes at most log2(tree size) nodes whose later children are still to come: what
    bounds the alternating prefix sums of :func:`~.jax_recovery.substitution`.
    """
    nn = parent.size
    nchild = np.zeros(nn + 1, dtype=np.int64)
    for a in range(nn):
        if parent[a] >= 0:
            nchild[parent[a] + 1] += 1
    for a in range(nn):
        nchild[a + 1] += nchild[a]
    children = np.empty(max(nchild[nn], 1), dtype=np.int64)
    fill = nchild[:-1].copy()
    for a in range(nn):
        p = parent[a]
        if p >= 0:
            children[fill[p]] = a
            fill[p] += 1
    preorder, _, _ = _preorder(parent, nchild, children)
    # subtree sizes, children before parents (reverse preorder)
    size = np.ones(nn, dtype=np.int64)
    for t in range(nn - 1, -1, -1):
        a = preorder[t]
        if parent[a] >= 0:
            size[parent[a]] += size[a]
    for a in range(nn):                # the largest child first: pushed first, visited last
        heavy = nchild[a]
        for s in range(nchild[a] + 1, nchild[a + 1]):
            if size[children[s]] > size[children[heavy]]:
                heavy = s
        if nchild[a + 1] > nchild[a]:
            children[nchild[a]], children[heavy] = children[heavy], children[nchild[a]]
    preorder, tin, depth = _preorder(parent, nchild, children)
    return preorder, tin, tin + size, depth


@njit(cache=True)
def _preorder(parent, nchild, children):
    """``(preorder, tin, depth)`` of a depth-first walk from each root, the children of
    ``a`` (``children[nchild[a]:nchild[a + 1]]``) pushed in order, so visited last-first."""
    nn = parent.size
    preorder = np.empty(nn, dtype=np.int64)
    tin = np.empty(nn, dtype=np.int64)
    depth = np.zeros(nn, dtype=np.int64)
    stack = np.empty(nn, dtype=np.int64)
    pos = 0
    for root in range(nn):
        if parent[root] >= 0:
            continue
        top = 0
        stack[0] = root
        while top >= 0:
            a = stack[top]
            top -= 1
            tin[a] = pos
            preorder[pos] = a
            pos += 1
            for s in range(nchild[a], nchild[a + 1]):
                c = children[s]
                depth[c] = depth[a] + 1
                top += 1
                stack[top] = c
    return preorder, tin, depth


class SubstitutionTables:
    """The substitution schedule of an acyclic coloring and the tables that apply it.

    ``pattern``: symmetric csr (n, n); ``adjacency``: ``(ptr, idx, rev)`` of its graph without
    the diagonal; ``colors``: int64 (n,), ``ncolors`` of them. Built lazily, once.
    """

    def __init__(self, pattern, adjacency, colors, ncolors):
        self.pattern = pattern
        self.colors = colors
        ptr, idx, rev = adjacency
        self.schedule = tree_schedule(ptr, idx, rev, colors, max(ncolors, 1))
        self.tour = euler_tour(self.schedule[4])    # (preorder, tin, tout, depth)
        rows = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr))
        self.rows, self.offdiag = rows, rows != pattern.indices

    @property
    def max_terms(self) -> int:
        """Most entries of B one recovered nonzero is computed from (its largest subtree):
        the factor by which the rounding errors of B can add up in a recovered nonzero."""
        parent = self.schedule[4]
        _, tin, tout, _ = self.tour
        return int(np.max(tout - tin, where=parent >= 0, initial=1))

    def values(self, b):
        """Entries of the pattern in CSR order recovered from ``b = A @ S`` (numpy)."""
        rows, off = self.rows, self.offdiag
        order, _, brow, bcol, parent, child_of = self.schedule
        out = np.empty(rows.size, dtype=b.dtype)
        if b.size:
            val = tree_values(order, brow, bcol, parent, np.ascontiguousarray(b))
            out[off] = val[child_of]
        out[~off] = b[rows[~off], self.colors[rows[~off]]]
        return out

    def tour_tables(self, flat_b):
        """Arguments of :func:`~.jax_recovery.substitution`; ``flat_b(rows, cols)`` gives the
        positions of ``B[rows, cols]`` in the raveled product."""
        rows, off = self.rows, self.offdiag
        _, _, brow, bcol, parent, child_of = self.schedule
        preorder, tin, tout, depth = self.tour
        # a root reads the B entry of its tree edges (its children's color), which makes
        # the alternating sum over every tree zero and keeps the prefix sums small
        col = bcol.copy()
        child = np.flatnonzero(parent >= 0)
        col[parent[child]] = self.colors[brow[child]]
        b_tour = flat_b(brow[preorder], col[preorder])
        sign = np.where(depth[preorder] % 2 == 0, 1, -1).astype(np.int8)   # tour order
        diag_rows = rows[~off]
        # each entry reads its edge's value (tour position of the child) or its diagonal
        entry = np.empty(rows.size, np.int64)
        entry[off] = tin[child_of]
        entry[~off] = preorder.size + np.arange(diag_rows.size)
        return b_tour, sign, tout[preorder], flat_b(diag_rows, self.colors[diag_rows]), entry
