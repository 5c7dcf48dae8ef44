"""Colorings: validity (independent checkers), exact recovery, orders, bounds, errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import sparsehess._src.coloring as C
from sparsehess._src.bench.generators import arrowhead, banded, laplacian
from sparsehess.coloring import check_coloring, color, load_pattern
from sparsehess._src.recovery import direct

ALL_ORDERS = C.ORDERS + ("best",)
SYMMETRIC = ("star", "acyclic", "distance1")
UNSYMMETRIC = ("column", "row", "bicoloring")


# ----------------------------------------------------------------------------- patterns
def random_symmetric(n, density, seed, diag=True):
    a = sp.random_array((n, n), density=density, rng=np.random.default_rng(seed))
    a = a + a.T
    if diag:
        a = a + sp.eye_array(n)
    return sp.csr_array(a)


def rect(m, n, density, seed):
    return sp.csr_array(sp.random_array((m, n), density=density, rng=np.random.default_rng(seed)))


def _dense_rows_cols(m, n, seed):
    p = rect(m, n, 0.05, seed).tolil()
    p[1, :] = 1
    p[:, 2] = 1
    return p.tocsr()


SQUARE = {
    "empty": sp.csr_array((6, 6)),
    "one": sp.csr_array(np.ones((1, 1))),
    "zero_size": sp.csr_array((0, 0)),
    "diagonal": sp.eye_array(7, format="csr"),
    "no_diagonal": random_symmetric(25, 0.1, 3, diag=False),
    "tridiagonal": banded(20, 1),
    "banded5": banded(30, 5),
    "arrow": arrowhead(15),
    "laplacian": laplacian((6, 6)),
    "random_sym": random_symmetric(60, 0.06, 1),
    "random_unsym_square": rect(40, 40, 0.08, 2),
    "dense": sp.csr_array(np.ones((5, 5))),
}
RECT = {
    **SQUARE,
    "tall": rect(50, 12, 0.15, 4),
    "wide": rect(9, 45, 0.15, 5),
    "one_column": sp.csr_array(np.ones((6, 1))),
    "zero_columns": sp.csr_array((5, 0)),
    "empty_rows_cols": sp.csr_array(sp.block_diag([rect(10, 8, 0.3, 6), sp.csr_array((4, 5))])),
    "dense_rows_cols": _dense_rows_cols(30, 25, 7),
}


def random_values(pattern, symmetric, seed=0):
    """A matrix with exactly the (symmetrized) pattern and random nonzero integer values."""
    p = C.graphs.as_pattern(pattern)
    if symmetric:
        p = C.graphs.symmetrize(p)
    rng = np.random.default_rng(seed)
    # integer values keep substitution (acyclic) arithmetic exact in float64
    a = sp.csr_array((rng.integers(1, 1000, p.nnz) * rng.choice([-1.0, 1.0], p.nnz),
                      p.indices, p.indptr), shape=p.shape)
    if symmetric:
        a = sp.csr_array(sp.triu(a) + sp.triu(a, 1).T)
    return a


def assert_recovers(c, pattern):
    symmetric = c.method in SYMMETRIC
    a = random_values(pattern, symmetric)
    b = c.compress(a)
    r = c.decompress(b)
    if c.method == "distance1":
        np.testing.assert_array_equal(r, a.diagonal())
        return
    assert isinstance(r, sp.csr_array)
    assert r.shape == a.shape
    np.testing.assert_array_equal(r.toarray(), a.toarray())
    # dense input gives the same compression
    bd = c.compress(a.toarray())
    if c.method == "bicoloring":
        for x, y in zip(b, bd):
            np.testing.assert_allclose(x, y)
    else:
        np.testing.assert_allclose(b, bd)


def check_shapes(c, pattern):
    m, n = pattern.shape
    assert c.shape == (m, n)
    if c.method == "bicoloring":
        sc, sr = c.seed_matrices()
        assert sc.shape == (n, c.ncolumn_colors) and sr.shape == (m, c.nrow_colors)
        assert c.ncolors == c.ncolumn_colors + c.nrow_colors
        return
    s = c.seed_matrix()
    assert c.colors.dtype == np.int64
    assert s.shape == ((m if c.method == "row" else n), c.ncolors)
    if c.colors.size:
        assert set(np.unique(c.colors)) == set(range(c.ncolors))  # no unused color
        np.testing.assert_array_equal(s.sum(axis=1), 1)
    assert c.lower_bound <= c.ncolors


# ----------------------------------------------------------------------------- every method x order
@pytest.mark.parametrize("order", ALL_ORDERS)
@pytest.mark.parametrize("method", SYMMETRIC)
@pytest.mark.parametrize("name", sorted(SQUARE))
def test_symmetric_methods(name, method, order):
    p = SQUARE[name]
    c = color(p, method, order, seed=3)
    assert c.method == method and c.order == order
    assert check_coloring(p, c, method)
    check_shapes(c, p)
    assert_recovers(c, p)


@pytest.mark.parametrize("order", ALL_ORDERS)
@pytest.mark.parametrize("method", UNSYMMETRIC)
@pytest.mark.parametrize("name", sorted(RECT))
def test_unsymmetric_methods(name, method, order):
    p = RECT[name]
    c = color(p, method, order, seed=3)
    assert check_coloring(p, c, method)
    check_shapes(c, p)
    assert_recovers(c, p)


def test_gather_indices_direct():
    p = RECT["dense_rows_cols"]
    for method in ("column", "row"):
        c = color(p, method)
        a = random_values(p, False)
        b = c.compress(a)
        rows, cols, br, bc = c.gather_indices()
        assert all(x.dtype == np.int64 for x in (rows, cols, br, bc))
        np.testing.assert_array_equal(a.toarray()[rows, cols], b[br, bc])
        q = C.graphs.as_pattern(p)
        np.testing.assert_array_equal(cols, q.indices)  # CSR order
    s = SQUARE["random_sym"]
    c = color(s, "star")
    a = random_values(s, True)
    rows, cols, br, bc = c.gather_indices()
    assert rows.size == c.pattern.nnz
    np.testing.assert_array_equal(a.toarray()[rows, cols], c.compress(a)[br, bc])
    d = color(s, "distance1")
    rows, cols, br, bc = d.gather_indices()
    np.testing.assert_array_equal(rows, np.arange(60))
    np.testing.assert_array_equal(a.diagonal(), d.compress(a)[br, bc])
    with pytest.raises(ValueError, match="substitution"):
        color(s, "acyclic").gather_indices()


def test_gather_indices_bicoloring():
    p = arrowhead(12)
    c = color(p, "bicoloring")
    a = random_values(p, False)
    bc, br = c.compress(a)
    rows, cols, source, b_rows, b_cols = c.gather_indices()
    dense = a.toarray()
    for k in range(rows.size):
        got = bc[b_rows[k], b_cols[k]] if source[k] == 0 else br[b_rows[k], b_cols[k]]
        assert got == dense[rows[k], cols[k]]


def test_explicit_zeros_dropped():
    a = sp.csr_array((np.array([1.0, 0.0, 2.0]), np.array([0, 1, 1]), np.array([0, 2, 3])),
                     shape=(2, 2))
    c = color(a, "column")
    assert c.pattern.nnz == 2
    assert c.ncolors == 1


# ----------------------------------------------------------------------------- JAX decompression
@pytest.mark.parametrize("name", ["random_sym", "laplacian", "banded5", "arrow", "tridiagonal",
                                  "no_diagonal", "empty", "diagonal"])
def test_acyclic_jax_matches_numpy(name):
    import jax
    import jax.numpy as jnp

    p = SQUARE[name]
    for order in ("natural", "smallest_last", "random"):
        c = color(p, "acyclic", order)
        a = random_values(p, True).astype(np.float32)
        b = c.compress(a).astype(np.float32)
        f = jax.jit(c.decompress_jax())
        got = np.asarray(f(jnp.asarray(b)))
        np.testing.assert_allclose(got, c.values(b), rtol=1e-5, atol=1e-5)
        got_t = np.asarray(jax.jit(c.decompress_jax(transposed=True))(jnp.asarray(b.T)))
        np.testing.assert_allclose(got_t, got, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got, a[c.pattern.nonzero()] if a.nnz else got, rtol=1e-5)


def test_acyclic_jax_long_path():
    """A tridiagonal matrix colored acyclically in natural order is one long 2-colored path."""
    import jax.numpy as jnp

    p = banded(3001, 1)
    c = color(p, "acyclic", "natural")
    assert c.ncolors == 2
    a = random_values(p, True)
    b = c.compress(a)
    got = np.asarray(c.decompress_jax(jnp.asarray(b, dtype=jnp.float32)))
    np.testing.assert_allclose(got, c.decompress(b).data, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(c.decompress(b).toarray(), a.toarray(), rtol=1e-10, atol=1e-10)


def test_acyclic_jax_float32_error_is_that_of_b():
    """Float32 substitution on a 2-D grid (deep 2-colored trees, off-diagonals all negative,
    so that a running sum over the whole tour would drift): within 2x the error that the
    rounding of B alone causes (exact substitution of the rounded B)."""
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    side = 60
    i = np.arange(side * side).reshape(side, side)
    r = np.concatenate([i[1:, :].ravel(), i[:, 1:].ravel()])
    c = np.concatenate([i[:-1, :].ravel(), i[:, :-1].ravel()])
    off = sp.coo_array((-1 - rng.random(r.size), (r, c)), shape=(side * side,) * 2)
    a = sp.csr_array(off + off.T + sp.diags_array(4 + rng.random(side * side)))
    col = color(a, "acyclic")
    b = col.compress(a)
    exact = col.values(b)
    b32 = b.astype(np.float32)
    of_b = np.abs(col.values(b32.astype(np.float64)) - exact).max()
    got = np.asarray(col.decompress_jax(jnp.asarray(b32.T), transposed=True), np.float64)
    assert np.abs(got - exact).max() <= 2 * of_b


@pytest.mark.parametrize("method", ["column", "row", "star", "distance1"])
def test_direct_jax_decompression(method):
    import jax.numpy as jnp

    p = SQUARE["random_sym"]
    c = color(p, method)
    a = random_values(p, method in SYMMETRIC)
    b = c.compress(a)
    np.testing.assert_allclose(np.asarray(c.decompress_jax(jnp.asarray(b))), c.values(b),
                               rtol=1e-6)
    if method == "row":
        with pytest.raises(ValueError, match="transposed=True"):
            c.decompress_jax(transposed=True)
    else:
        got = c.decompress_jax(jnp.asarray(b.T), transposed=True)
        np.testing.assert_allclose(np.asarray(got), c.values(b), rtol=1e-6)


def test_block_diagonal_star_recovery_is_a_transpose():
    """Per-sample Hessians (dense 4 x 4 blocks): one color per feature reads every entry of
    B once, column by column; the JAX recovery is then a transpose, no index table."""
    import jax.numpy as jnp
    from sparsehess._src.recovery import jax_recovery

    p = sp.csr_array(sp.block_diag([np.ones((4, 4))] * 6))
    c = color(p, "star", "natural")
    assert c.ncolors == 4
    a = random_values(p, True)
    b = c.compress(a)
    f = c.decompress_jax(transposed=True)
    assert f.stages[0].func is jax_recovery.ravel_transposed
    np.testing.assert_allclose(np.asarray(f(jnp.asarray(b.T))), c.values(b), rtol=1e-6)
    # any other order keeps the gather
    shuffled = jax_recovery.gather(np.arange(24)[::-1], (4, 6))
    assert shuffled.stages[0].func is jax_recovery.take_flat


# ----------------------------------------------------------------------------- theory / bounds
@pytest.mark.parametrize("half", [1, 2, 3, 5, 10])
def test_banded_natural_order(half):
    """ρ = 2*half off-diagonal bands: star 2⌊ρ/2⌋+1, acyclic ⌊ρ/2⌋+1 colors (REFERENCE.md §3)."""
    p = banded(200, half)
    rho = 2 * half
    assert color(p, "star", "natural").ncolors == 2 * (rho // 2) + 1
    ac = color(p, "acyclic", "natural")
    assert ac.ncolors == rho // 2 + 1
    assert ac.lower_bound == rho // 2 + 1  # the forest bound is tight here
    assert color(p, "column", "natural").ncolors == 2 * (rho // 2) + 1


@pytest.mark.parametrize("n", [10, 300])
def test_arrow_bicoloring_three_passes(n):
    p = arrowhead(n)
    for order in ("natural", "largest_first", "best"):
        c = color(p, "bicoloring", order)
        assert c.ncolors == 3
        assert check_coloring(p, c, "bicoloring")
    assert color(p, "column").ncolors == n
    assert color(p, "star").ncolors == 2


def test_lower_bounds():
    p = rect(40, 30, 0.1, 9)
    q = C.graphs.as_pattern(p)
    assert color(p, "column").lower_bound == np.diff(q.indptr).max()
    assert color(p, "row").lower_bound == np.diff(q.tocsc().indptr).max()
    assert color(np.ones((4, 4)), "distance1").lower_bound == 4
    assert color(sp.eye_array(3), "distance1").lower_bound == 1


def test_forest_lower_bound_holds_and_spares_acyclic_that_cannot_pay(monkeypatch):
    """The O(n) edge-count bound never exceeds star or acyclic colors (with or without a
    diagonal); "auto" skips the acyclic coloring where even that many colors cost more than
    star (a grid: 3 acyclic colors at least, against 5 star colors)."""
    from sparsehess._src.coloring.methods import forest_lower_bound
    from sparsehess._src.differentiation import choices
    for seed in range(6):
        p = random_symmetric(150, 0.02 + 0.02 * seed, seed)
        if seed % 2:
            p = p.tolil()
            p.setdiag(0)
            p = sp.csr_array(p)
            p.eliminate_zeros()
        bound = forest_lower_bound(C.graphs.symmetrize(C.graphs.as_pattern(p)))
        assert 1 <= bound <= min(color(p, "acyclic").ncolors, color(p, "star").ncolors)
    grid = laplacian((30, 30))
    assert forest_lower_bound(C.graphs.as_pattern(grid)) == 3
    called = []
    real = choices.color_pattern
    monkeypatch.setattr(choices, "color_pattern",
                        lambda p, m, **kw: called.append(m) or real(p, m, **kw))
    chosen = choices.choose_hessian_coloring(grid, "auto", "largest_first", per_evaluation=14 * 900)
    assert chosen.method == "star" and called == ["star"]
    choices.choose_hessian_coloring(grid, "auto", "largest_first", per_evaluation=100 * 900)
    assert called == ["star", "star", "acyclic"]   # expensive f: acyclic might pay


def test_best_is_never_worse():
    for method, p in [("column", RECT["dense_rows_cols"]), ("star", SQUARE["random_sym"]),
                      ("acyclic", SQUARE["laplacian"]), ("bicoloring", RECT["wide"])]:
        best = color(p, method, "best")
        for order in C.BEST_ORDERS:
            assert best.ncolors <= color(p, method, order).ncolors
        assert best.chosen_order in C.BEST_ORDERS


def test_random_order_uses_seed():
    p = random_symmetric(200, 0.03, 5)
    a = color(p, "star", "random", seed=1).colors
    np.testing.assert_array_equal(a, color(p, "star", "random", seed=1).colors)
    assert not np.array_equal(a, color(p, "star", "random", seed=2).colors)


def test_orders_are_permutations():
    p = C.graphs.as_pattern(RECT["dense_rows_cols"])
    pp, pi = C.graphs.csr_arrays(p)
    tp, ti = C.graphs.csr_arrays(C.graphs.transpose_pattern(p))
    view = (p.shape[1], tp, ti, pp, pi, True)
    for name in C.ORDERS:
        o = C.orders.vertex_order(name, view, seed=0)
        np.testing.assert_array_equal(np.sort(o), np.arange(p.shape[1]))


# ----------------------------------------------------------------------------- checkers
def test_checkers_reject_bad_colorings():
    path4 = banded(4, 1)
    with pytest.raises(ValueError, match="not a star"):
        check_coloring(path4, np.array([0, 1, 0, 1]), "star")
    assert check_coloring(path4, np.array([0, 1, 0, 1]), "acyclic")
    cycle = sp.csr_array(np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]))
    with pytest.raises(ValueError, match="cycle"):
        check_coloring(cycle, np.array([0, 1, 0, 1]), "acyclic")
    with pytest.raises(ValueError, match="share color"):
        check_coloring(path4, np.array([0, 0, 1, 2]), "distance1")
    assert not check_coloring(path4, np.array([0, 0, 1, 2]), "distance1", raise_on_failure=False)
    with pytest.raises(ValueError, match="row 0"):
        check_coloring(np.ones((1, 3)), np.array([0, 0, 1]), "column")
    with pytest.raises(ValueError, match="column"):
        check_coloring(np.ones((3, 1)), np.array([0, 1, 1]), "row")
    with pytest.raises(ValueError, match="isolated"):
        check_coloring(np.ones((2, 2)), (np.array([0, -1]), np.array([0, 0])), "bicoloring")
    assert check_coloring(np.ones((2, 2)), (np.array([0, 1]), np.array([-1, -1])), "bicoloring")


# ----------------------------------------------------------------------------- property tests
@st.composite
def patterns(draw):
    m = draw(st.integers(0, 25))
    n = draw(st.integers(0, 25))
    density = draw(st.floats(0.0, 0.6))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    dense = rng.random((m, n)) < density
    if m and n and draw(st.booleans()):
        dense[rng.integers(m), :] = True
    if m and n and draw(st.booleans()):
        dense[:, rng.integers(n)] = True
    return dense


@settings(max_examples=60, deadline=None)
@given(patterns(), st.sampled_from(ALL_ORDERS), st.integers(0, 5))
def test_property_unsymmetric(p, order, seed):
    for method in UNSYMMETRIC:
        c = color(p, method, order, seed=seed)
        assert check_coloring(p, c, method)
        check_shapes(c, p)
        assert_recovers(c, p)


@settings(max_examples=60, deadline=None)
@given(patterns(), st.sampled_from(ALL_ORDERS), st.integers(0, 5))
def test_property_symmetric(p, order, seed):
    k = min(p.shape)
    p = p[:k, :k]
    for method in SYMMETRIC:
        c = color(p, method, order, seed=seed)
        assert check_coloring(p, c, method)
        check_shapes(c, p)
        assert_recovers(c, p)


# ----------------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match="unknown coloring method 'cols'.*column, row"):
        color(np.eye(3), "cols")
    with pytest.raises(ValueError, match="unknown order 'largest'.*smallest_last"):
        color(np.eye(3), "column", "largest")
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        color(np.ones((2, 3)), "star")
    with pytest.raises(ValueError, match="seed_matrices"):
        color(np.ones((2, 3)), "bicoloring").seed_matrix()


# ----------------------------------------------------------------------------- Matrix Market
MM = "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1.0\n2 3 0.0\n3 2 2.5\n"


def test_load_pattern_formats(tmp_path):
    (tmp_path / "a.mtx").write_text(MM)
    with gzip.open(tmp_path / "a.mtx.gz", "wt") as fh:
        fh.write(MM)
    for name in ("a.mtx", "a.mtx.gz"):
        p = load_pattern(tmp_path / name)
        assert isinstance(p, sp.csr_array) and p.shape == (3, 3) and p.nnz == 2
        assert load_pattern(tmp_path / name, keep_explicit_zeros=True).nnz == 3
    sym = "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n3 3\n"
    (tmp_path / "s.mtx").write_text(sym)
    np.testing.assert_array_equal(load_pattern(tmp_path / "s.mtx").toarray(),
                                  [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    sp.save_npz(tmp_path / "b.npz", sp.csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0]])))
    assert load_pattern(tmp_path / "b.npz").nnz == 2


def test_load_pattern_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.mtx"):
        load_pattern(tmp_path / "missing.mtx")
    (tmp_path / "x.mtx").write_text("hello\n1 2 3\n")
    with pytest.raises(ValueError, match="x.mtx.*not a Matrix Market"):
        load_pattern(tmp_path / "x.mtx")
    (tmp_path / "t.mtx").write_text(MM.rsplit("\n", 2)[0] + "\n")
    with pytest.raises(ValueError, match="t.mtx.*truncated"):
        load_pattern(tmp_path / "t.mtx")
    with gzip.open(tmp_path / "g.mtx.gz", "wt") as fh:
        fh.write(MM * 50)
    data = (tmp_path / "g.mtx.gz").read_bytes()
    (tmp_path / "g.mtx.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="g.mtx.gz"):
        load_pattern(tmp_path / "g.mtx.gz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        load_pattern(tmp_path / "bad.npz")
    (tmp_path / "a.txt").write_text(MM)
    with pytest.raises(ValueError, match="a.txt.*extension"):
        load_pattern(tmp_path / "a.txt")


# ----------------------------------------------------------------------------- bicoloring parts
@pytest.mark.parametrize("name", ["dense_rows_cols", "wide", "tall", "arrow", "random_sym"])
def test_star_bicoloring_postprocessing_is_sound(name):
    """Neutralising vertices no read needs keeps every entry recoverable and never adds colors."""
    from sparsehess._src.coloring import bicoloring, graphs, kernels

    p = graphs.as_pattern(RECT[name])
    aug = graphs.bipartite_augmented(p)
    ptr, idx = graphs.adjacency(aug)
    raw = kernels.star_coloring(np.arange(ptr.size - 1), ptr, idx,
                                direct.reverse_positions(ptr, idx))
    assert check_coloring(aug, raw, "star")
    m = p.shape[0]
    raw_rows = np.unique(raw[:m][np.diff(p.indptr) > 0]).size
    raw_cols = np.unique(raw[m:][np.diff(p.tocsc().indptr) > 0]).size
    rc, cc = bicoloring.split_star_coloring(p, raw)
    assert check_coloring(p, (rc, cc), "bicoloring")
    assert rc.max(initial=0) + cc.max(initial=0) <= raw_rows + raw_cols
    rc2, cc2 = bicoloring.partition_bicoloring(p, "natural", 0)
    assert check_coloring(p, (rc2, cc2), "bicoloring")


# ----------------------------------------------------------------------------- star kernels
def _adjacency(p):
    from sparsehess._src.coloring import graphs
    return graphs.adjacency(graphs.symmetrize(graphs.as_pattern(p)))


@pytest.mark.parametrize("restricted", [False, True])
@pytest.mark.parametrize("case", ["sparse", "dense_many_colors", "arrow_hub_last"])
def test_star_bit_kernels_match_edge_kernels(case, restricted):
    """Bitset kernels (1 word, several words) and per-edge kernels apply the same rules."""
    from sparsehess._src.coloring import kernels

    if case == "sparse":
        p = random_symmetric(400, 0.02, 11)
    elif case == "dense_many_colors":
        p = random_symmetric(150, 0.5, 12)  # > 32 colors: several words
    else:
        p = arrowhead(80)[::-1, ::-1]
    ptr, idx = _adjacency(p)
    rev = direct.reverse_positions(ptr, idx)
    n = ptr.size - 1
    edge = kernels.star_coloring_restricted_edges if restricted else kernels.star_coloring_edges
    for order in (np.arange(n), np.random.default_rng(1).permutation(n)):
        ref, ok = edge(order, ptr, idx, rev, 10**9)
        assert ok
        assert check_coloring(p, ref, "star")
        for words in (1, 2, 4, 16):
            got, status = kernels.star_coloring_bits(order, ptr, idx, words, restricted, 10**9)
            if status == 0:
                np.testing.assert_array_equal(got, ref)
            else:
                assert status == 1 and ref.max() + 1 > 32 * words
        got1, status1 = kernels.star_coloring_bits1(order, ptr, idx, restricted, 10**9)
        if status1 == 0:
            np.testing.assert_array_equal(got1, ref)
        np.testing.assert_array_equal(kernels.star_coloring(order, ptr, idx, rev, restricted), ref)
        # a cap below the count gives None, at the count the same colors
        k = int(ref.max()) + 1
        assert kernels.star_coloring(order, ptr, idx, restricted=restricted, max_colors=k - 1) is None
        np.testing.assert_array_equal(
            kernels.star_coloring(order, ptr, idx, restricted=restricted, max_colors=k), ref)


def test_star_edge_fallback_when_bitsets_too_large(monkeypatch):
    from sparsehess._src.coloring import kernels

    p = random_symmetric(120, 0.5, 13)
    ptr, idx = _adjacency(p)
    order = np.arange(ptr.size - 1)
    ref = kernels.star_coloring(order, ptr, idx)
    monkeypatch.setattr(kernels, "STAR_BITSET_BYTES", -16 * idx.size)
    np.testing.assert_array_equal(kernels.star_coloring(order, ptr, idx), ref)
    assert ref.max() + 1 > 32


def test_star_takes_the_better_rule():
    """The restricted rules (CasADi's) win on degree orders of random graphs; the 2007 rules
    keep an arrow whose hub comes last at 2 colors where the restricted ones need n."""
    from sparsehess._src.coloring import kernels

    p = random_symmetric(3000, 0.003, 14)
    ptr, idx = _adjacency(p)
    c = color(p, "star", "largest_first")
    order = C.orders.vertex_order("largest_first", (ptr.size - 1, ptr, idx, ptr, idx, False))
    r = kernels.star_coloring(order, ptr, idx, restricted=True)
    g = kernels.star_coloring(order, ptr, idx)
    assert c.ncolors == min(r.max(), g.max()) + 1
    q = arrowhead(300)[::-1, ::-1]
    c = color(q, "star", "natural")
    assert c.ncolors == 2 and check_coloring(q, c, "star")
    assert_recovers(c, q)


def test_symmetrize_detects_symmetric_patterns():
    from sparsehess._src.coloring import graphs

    for p in [random_symmetric(50, 0.1, 15), rect(30, 30, 0.1, 16), arrowhead(9), sp.csr_array((4, 4))]:
        q = graphs.as_pattern(p)
        expect = (abs(q - q.T).nnz == 0)
        assert graphs.is_symmetric_arrays(*graphs.csr_arrays(q)) == expect
        s = graphs.symmetrize(q)
        np.testing.assert_array_equal(s.toarray(), ((q + q.T).toarray() > 0).astype(np.int8))


# ----------------------------------------------------------------------------- star post-processing
def test_star_postprocessing_drops_unread_colors():
    """Without a diagonal an edge is read from one side only: [[0, 1], [1, 0]] needs 1 color."""
    p = sp.csr_array(np.array([[0, 1], [1, 0]]))
    c = color(p, "star")
    assert c.ncolors == 1 and c.lower_bound == 1
    assert check_coloring(p, c, "star")
    assert_recovers(c, p)
    # a star K_{1,5} without diagonal: the hub alone is read (one color); with the leaves'
    # diagonal entries the leaves must be read too (two colors)
    k = np.zeros((6, 6))
    k[0, 1:] = k[1:, 0] = 1
    c = color(k, "star")
    assert c.ncolors == 1
    assert_recovers(c, k)
    k2 = k + np.diag([0, 1, 1, 1, 1, 1])
    c2 = color(k2, "star")
    assert c2.ncolors == 2
    assert_recovers(c2, k2)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 30), st.floats(0.0, 0.5), st.integers(0, 2**31), st.sampled_from(ALL_ORDERS),
       st.sampled_from(["none", "some", "full"]))
def test_property_star_postprocessing(n, density, seed, order, diagonal):
    """Post-processed star colorings: exact recovery, the independent checker, never more
    colors than the raw star coloring, a valid lower bound."""
    from sparsehess._src.coloring import graphs, kernels

    rng = np.random.default_rng(seed)
    d = rng.random((n, n)) < density
    d = d | d.T
    np.fill_diagonal(d, rng.random(n) < 0.5 if diagonal == "some" else diagonal == "full")
    c = color(d, "star", order, seed=seed % 7)
    assert check_coloring(d, c, "star")
    check_shapes(c, d)
    assert_recovers(c, d)
    ptr, idx = graphs.adjacency(graphs.symmetrize(graphs.as_pattern(d)))
    vo = C.orders.vertex_order(c.chosen_order, (n, ptr, idx, ptr, idx, False), seed=seed % 7)
    raw = C.methods.star_colors(vo, ptr, idx)
    assert c.ncolors <= (raw.max(initial=-1) + 1)
    if diagonal == "full":
        np.testing.assert_array_equal(c.colors, raw)


def test_star_checker_without_diagonal():
    p = sp.csr_array(np.array([[0, 1], [1, 0]]))
    assert check_coloring(p, np.array([0, 0]), "star")
    assert not check_coloring(np.ones((2, 2)), np.array([0, 0]), "star", raise_on_failure=False)
    path4 = np.diag(np.ones(3), 1) + np.diag(np.ones(3), -1)
    with pytest.raises(ValueError, match="not a star.*neither"):
        check_coloring(path4, np.array([0, 0, 0, 0]), "star")
    assert check_coloring(path4, np.array([0, 1, 1, 0]), "star")


def test_greedy_dist2_long_row_bitsets_match_plain_walk():
    """Rows with a bitset of used colors give the same colors as walking every row."""
    from sparsehess._src.coloring import kernels
    from sparsehess._src.coloring.graphs import csr_arrays, transpose_pattern
    rng = np.random.default_rng(3)
    n = 300
    dense = rng.random((n, n)) < 0.02
    dense[5, :] = True  # dense rows
    dense[17, ::2] = True
    p = sp.csr_array(dense.astype(np.int8))
    pp, pi = csr_arrays(p)
    tp, ti = csr_arrays(transpose_pattern(p))
    for order in (np.arange(n), rng.permutation(n)):
        plain = kernels.greedy._greedy_plain(order, n, tp, ti, pp, pi, True)
        bits = kernels.greedy._greedy_dist2_bits(order, n, tp, ti, pp, pi, 64, (n + 64) // 64)
        assert np.array_equal(bits, kernels.greedy_coloring(order, n, tp, ti, pp, pi, True))
        assert np.array_equal(plain, bits)
        assert check_coloring(p, bits, "column")


def test_acyclic_renumbered_matches_edge_bookkeeping():
    """The relabelled acyclic kernel gives colors that do not depend on the labelling."""
    from sparsehess._src.coloring import kernels
    from sparsehess._src.coloring.graphs import adjacency, symmetrize
    rng = np.random.default_rng(4)
    n = 400
    a = sp.random(n, n, density=0.02, random_state=5, format="csr")
    sym = symmetrize(sp.csr_array((a != 0).astype(np.int8)))
    ptr, idx = adjacency(sym)
    order = rng.permutation(n).astype(np.int64)
    colors = kernels.acyclic_coloring(order, ptr, idx)
    perm = rng.permutation(n)  # relabel the graph: same colors up to the relabelling
    inv = np.argsort(perm)
    sym2 = symmetrize(sp.csr_array(sym.toarray()[np.ix_(inv, inv)]))
    p2, i2 = adjacency(sym2)
    colors2 = kernels.acyclic_coloring(perm[order], p2, i2)
    assert np.array_equal(colors2[perm], colors)
    assert check_coloring(sym, colors, "acyclic")


@pytest.mark.parametrize("name", list(C.METHOD_SPECS))
def test_every_method_object_round_trips_with_its_result_kind(name):
    """One entry of the method table per method: its result class is its recovery kind's,
    colors are 0-based (-1: in no seed), the checker accepts it, and compress -> recover
    gives the matrix back."""
    from sparsehess._src.coloring.result import RESULTS

    spec = C.METHOD_SPECS[name]
    p = SQUARE["laplacian"] if spec.symmetric else RECT["wide"]
    c = color(p, name, "largest_first")
    assert type(c) is RESULTS[spec.recovery] and c.spec is spec and c.method == name
    assert c.colors.min(initial=0) >= -1 and c.ncolors >= c.lower_bound
    assert check_coloring(p, c, spec.checker)
    assert_recovers(c, p)
