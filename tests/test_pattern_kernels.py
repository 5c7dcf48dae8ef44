"""The numba kernels of detection against their numpy/scipy formulations, on random patterns
(empty rows included, int32 and int64 index arrays)."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparsehess._src.detection import patterns


def random_rows(rng, nrows, ncols, density, dtype):
    """Bool CSR (nrows, ncols) with about a third of its rows empty, indices of ``dtype``."""
    m = sp.random_array((nrows, ncols), density=density, rng=rng, format="csr").astype(bool)
    m = sp.csr_array(m.multiply((rng.random(nrows) > 0.3)[:, None]))
    m.sum_duplicates()
    m.sort_indices()
    return patterns._from_arrays(m.indices.astype(dtype), m.indptr.astype(dtype), m.shape)


def reference_union(blocks, n):
    """The former formulation: scipy aᵀ b per block, summed, then ∪ its transpose."""
    total = patterns.empty(n, n)
    for a, b in blocks:
        total = patterns.union(total, patterns.outer_product(a, b))
    return sp.csr_array(patterns.union(total, sp.csr_array(total.T)))


def assert_same_csr(p, q):
    assert p.shape == q.shape
    np.testing.assert_array_equal(p.indptr, q.indptr)
    np.testing.assert_array_equal(p.indices[:patterns.nnz(p)], q.indices[:patterns.nnz(q)])



@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("seed", range(4))
def test_symmetric_outer_union_matches_scipy(seed, dtype):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    blocks = []
    for _ in range(int(rng.integers(0, 5))):
        k = int(rng.integers(1, 40))
        blocks.append((random_rows(rng, k, n, rng.uniform(0.0, 0.3), dtype),
                       random_rows(rng, k, n, rng.uniform(0.0, 0.3), dtype)))
    ours = patterns.symmetric_outer_union(blocks, n)
    ref = reference_union(blocks, n)
    assert_same_csr(ours, ref)
    np.testing.assert_array_equal(ours.toarray(), ref.toarray())


def test_symmetric_outer_union_long_rows():
    """Rows longer than the insertion-sort limit (sorted by np.sort) and duplicates."""
    rng = np.random.default_rng(9)
    n = 300
    blocks = [(random_rows(rng, 5, n, 0.5, np.int64), random_rows(rng, 5, n, 0.5, np.int32))
              for _ in range(2)]
    assert_same_csr(patterns.symmetric_outer_union(blocks, n), reference_union(blocks, n))


def test_symmetric_outer_union_empty():
    out = patterns.symmetric_outer_union([], 7)
    assert out.shape == (7, 7) and patterns.nnz(out) == 0


def test_accumulator_sparse_path_matches_scipy(monkeypatch):
    """Large-n accumulator (sparse path: a running symmetric total) == the former union."""
    rng = np.random.default_rng(5)
    n = 50
    monkeypatch.setattr(patterns.HessianAccumulator, "DENSE_LIMIT", 0)
    acc = patterns.HessianAccumulator(n)
    assert acc.dense is None
    blocks = [(random_rows(rng, 30, n, 0.2, np.int32), random_rows(rng, 30, n, 0.2, np.int64))
              for _ in range(3)]
    same = random_rows(rng, 1, n, 0.3, np.int32)      # many rows on the same columns
    heavy = patterns.gather_rows(same, np.zeros(200, np.int64))
    blocks.append((heavy, heavy))
    for a, b in blocks:
        acc.add(a, b)
    assert_same_csr(acc.result(), reference_union(blocks, n))


def test_symmetric_outer_union_with_base():
    rng = np.random.default_rng(11)
    n = 40
    blocks = [(random_rows(rng, 20, n, 0.2, np.int32), random_rows(rng, 20, n, 0.2, np.int32))
              for _ in range(3)]
    total = patterns.empty(n, n)
    for block in blocks:
        total = patterns.symmetric_outer_union([block], n, total)
    assert_same_csr(total, reference_union(blocks, n))


def reference_star_reads(coloring):
    """The former numpy formulation of the star gather plan."""
    from sparsehess._src.recovery import direct as tables
    p = coloring.pattern
    rows = np.repeat(np.arange(p.shape[0], dtype=np.int64), np.diff(p.indptr))
    cols = p.indices.astype(np.int64)
    ptr = p.indptr.astype(np.int64)
    cnt = tables.exclusive_counts(ptr, cols, coloring.colors, coloring.ncolors)
    direct = cnt == 1
    direct_mirror = direct[tables.reverse_positions(ptr, cols)]
    assert np.all(direct | direct_mirror)
    return (rows, cols, np.where(direct, rows, cols),
            np.where(direct, coloring.colors[cols], coloring.colors[rows]))


@pytest.mark.parametrize("seed", range(4))
def test_star_gather_matches_numpy(seed):
    import sparsehess
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    a = sp.random_array((n, n), density=rng.uniform(0.01, 0.2), rng=rng, format="csr").astype(bool)
    a = sp.csr_array(a + a.T + sp.eye_array(n, dtype=bool))
    a = sp.csr_array(a.multiply((rng.random(n) > 0.2)[:, None] & (rng.random(n) > 0.2)[None, :]))
    a = sp.csr_array(a + a.T)  # empty rows and columns included
    a.sort_indices()
    coloring = sparsehess.color(a, "star")
    for got, want in zip(coloring.gather_indices(), reference_star_reads(coloring)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_star_gather_rejects_non_star_coloring():
    import sparsehess
    a = sp.csr_array(np.ones((3, 3), bool))
    coloring = sparsehess.color(a, "star")
    coloring.colors[:] = 0
    coloring.__dict__.pop("_reads", None)
    with pytest.raises(ValueError, match="not a star coloring"):
        coloring.gather_indices()
