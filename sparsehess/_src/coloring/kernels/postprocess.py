"""The post-processing of star colorings (numba).

The post-processing drops colors that symmetric direct recovery never reads (the "neutral"
color of Gebremedhin, Tarafdar, Manne and Pothen, SIAM J. Sci. Comput. 29, 2007, Section 4).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...recovery.direct import exclusive_counts, reverse_positions


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
