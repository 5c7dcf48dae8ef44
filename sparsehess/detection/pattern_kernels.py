"""Compiled loops over CSR index arrays for the pattern operations whose numpy forms
allocate several temporaries per entry (at n = 10^7 those dominate detection time)."""

from numba import njit


@njit(cache=True)
def gathered_indptr(indptr, idx, out_indptr):
    """Fill out_indptr (len(idx) + 1,) for the rows ``idx`` of a CSR pattern (-1: an empty
    row); returns the number of entries gathered."""
    total = 0
    out_indptr[0] = 0
    for k in range(idx.shape[0]):
        i = idx[k]
        if i >= 0:
            total += indptr[i + 1] - indptr[i]
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
