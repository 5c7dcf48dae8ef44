"""Compiled loops over CSR index arrays for the pattern operations whose numpy forms
allocate several temporaries per entry (at n = 10^7 those dominate detection time)."""

import numpy as np
from numba import njit


@njit(cache=True)
def gathered_indptr(indptr, idx, out_indptr, limit):
    """Fill out_indptr (len(idx) + 1,) for the rows ``idx`` of a CSR pattern (-1: an empty
    row); returns the number of entries gathered, or -1 as soon as it would exceed
    ``limit`` (the largest value out_indptr's dtype holds)."""
    total = 0
    out_indptr[0] = 0
    for k in range(idx.shape[0]):
        i = idx[k]
        if i >= 0:
            total += indptr[i + 1] - indptr[i]
            if total > limit:
                return -1
        out_indptr[k + 1] = total
    return total


@njit(cache=True)
def gather_indices(indptr, indices, idx, out_indptr, out_indices):
    """Copy the column indices of rows ``idx`` into out_indices, row k at out_indptr[k]."""
    for k in range(idx.shape[0]):
        i = idx[k]
        if i >= 0:
            start = indptr[i]
            pos = out_indptr[k]
            for t in range(indptr[i + 1] - start):
                out_indices[pos + t] = indices[start + t]


# Symmetrized union of outer products Σ_k a_kᵀ b_k ∪ (a_kᵀ b_k)ᵀ, built as CSR in passes
# over every block's rows: count the entries of each output row (duplicates included), fill
# them, then merge each row (drop duplicates with a marker array, sort).  No transposes.

@njit(cache=True)
def count_outer_entries(a_ptr, a_idx, b_ptr, b_idx, counts):
    """Add to counts (n,) the entries that rows k of a and b contribute to each output row:
    |b_k| to every column of a_k, |a_k| to every column of b_k."""
    for k in range(a_ptr.shape[0] - 1):
        na = a_ptr[k + 1] - a_ptr[k]
        nb = b_ptr[k + 1] - b_ptr[k]
        if na == 0 or nb == 0:
            continue
        for p in range(a_ptr[k], a_ptr[k + 1]):
            counts[a_idx[p]] += nb
        for q in range(b_ptr[k], b_ptr[k + 1]):
            counts[b_idx[q]] += na


@njit(cache=True)
def count_row_entries(ptr, counts):
    """Add to counts (n,) the row lengths of a CSR pattern (n rows)."""
    for i in range(ptr.shape[0] - 1):
        counts[i] += ptr[i + 1] - ptr[i]


@njit(cache=True)
def fill_row_entries(ptr, idx, pos, out_cols):
    """Copy row i of a CSR pattern to out_cols[pos[i]:], advancing pos."""
    for i in range(ptr.shape[0] - 1):
        for p in range(ptr[i], ptr[i + 1]):
            out_cols[pos[i]] = idx[p]
            pos[i] += 1


@njit(cache=True)
def fill_outer_entries(a_ptr, a_idx, b_ptr, b_idx, pos, out_cols):
    """Write entries (i, j) and (j, i) for i in a_k, j in b_k: column j at out_cols[pos[i]]
    (pos (n,): the next free slot of each row, advanced)."""
    for k in range(a_ptr.shape[0] - 1):
        for p in range(a_ptr[k], a_ptr[k + 1]):
            i = a_idx[p]
            for q in range(b_ptr[k], b_ptr[k + 1]):
                j = b_idx[q]
                out_cols[pos[i]] = j
                pos[i] += 1
                out_cols[pos[j]] = i
                pos[j] += 1


# Rows up to this long are sorted by insertion (no call overhead), longer ones by np.sort.
_INSERTION_SORT_MAX = 32


@njit(cache=True)
def merge_rows(starts, cols, out_ptr):
    """In place: row i's entries cols[starts[i]:starts[i+1]] become sorted and unique, packed
    from cols[out_ptr[i]]; fills out_ptr (n + 1,)."""
    n = starts.shape[0] - 1
    marker = np.full(n, -1, np.int64)
    write = 0
    out_ptr[0] = 0
    for i in range(n):
        first = write
        for p in range(starts[i], starts[i + 1]):
            j = cols[p]
            if marker[j] != i:
                marker[j] = i
                cols[write] = j
                write += 1
        if write - first > _INSERTION_SORT_MAX:
            cols[first:write].sort()
        else:
            for p in range(first + 1, write):
                j = cols[p]
                t = p
                while t > first and cols[t - 1] > j:
                    cols[t] = cols[t - 1]
                    t -= 1
                cols[t] = j
        out_ptr[i + 1] = write
    return write
