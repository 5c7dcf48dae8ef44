"""The improvement stage after greedy (``color(..., effort=, rounds=)``) and the lower bounds."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sparsehess._src.coloring import METHODS, check_coloring, color, improve, load_pattern
from sparsehess._src.coloring.bounds import clique_bound

SUITE = Path(__file__).resolve().parents[1].parent / "shared" / "matrices" / "suitesparse"
IMPROVED = ("column", "row", "star", "acyclic", "distance1")
SMALL_NNZ = 20_000


def _shared():
    """Every shared matrix; the larger ones marked slow and improved for 0.2 s, the others
    for 3 rounds (fixed work)."""
    manifest = SUITE / "MANIFEST.csv"
    if not manifest.is_file():
        return [pytest.param(None, None, marks=pytest.mark.skip("../shared/matrices is absent"))]
    out = []
    for r in csv.DictReader(manifest.open()):
        if int(r["nnz_after_dropzeros"]) <= SMALL_NNZ:
            out.append(pytest.param(r["name"], {"rounds": 3}, id=r["name"]))
        else:
            out.append(pytest.param(r["name"], {"effort": 0.2}, id=r["name"],
                                    marks=pytest.mark.slow))
    return out


def _improved_checks(p, method, **kw):
    greedy = color(p, method, "largest_first")
    better = color(p, method, "largest_first", **kw)
    assert better.ncolors <= greedy.ncolors
    assert 0 < better.lower_bound <= better.ncolors or p.nnz == 0
    assert better.lower_bound >= greedy.lower_bound
    assert check_coloring(p, better, method)
    return greedy, better


@pytest.mark.parametrize("name, budget", _shared())
def test_improved_valid_on_shared_matrices(name, budget):
    p = load_pattern(SUITE / f"{name}.mtx.gz")
    for method in IMPROVED:
        if method in ("column", "row") or p.shape[0] == p.shape[1]:
            _improved_checks(p, method, seed=1, **budget)


def _crown_edges(k):
    """Crown graph on 2k vertices (a_i ~ b_j for i != j), interleaved a0 b0 a1 b1 ...: first
    fit in natural order needs k colors, the graph is 2-colorable."""
    return [(2 * i, 2 * j + 1) for i in range(k) for j in range(k) if i != j]


def test_improvement_finds_two_colors_where_greedy_needs_k():
    k = 12
    edges = _crown_edges(k)
    r = [u for u, v in edges] + [v for u, v in edges]
    c = [v for u, v in edges] + [u for u, v in edges]
    adj = sp.csr_array((np.ones(len(r)), (r, c)), shape=(2 * k, 2 * k))
    assert color(adj, "distance1", "natural").ncolors == k
    better = color(adj, "distance1", "natural", effort=5)
    assert better.ncolors == 2 and better.lower_bound == 2
    assert check_coloring(adj, better, "distance1")
    # the same graph as the column intersection graph of a Jacobian: one row per edge
    jac = sp.csr_array((np.ones(2 * len(edges)),
                        (np.repeat(np.arange(len(edges)), 2), np.ravel(edges))),
                       shape=(len(edges), 2 * k))
    assert color(jac, "column", "natural").ncolors == k
    col = color(jac, "column", "natural", effort=5)
    assert col.ncolors == 2 and check_coloring(jac, col, "column")
    row = color(jac.T, "row", "natural", effort=5)
    assert row.ncolors == 2 and check_coloring(jac.T, row, "row")


def test_star_and_acyclic_improvement_keeps_fewest_and_valid():
    a = sp.random(300, 300, density=0.02, random_state=8, format="csr")
    a = ((a + a.T) != 0).astype(np.int8)
    for method in ("star", "acyclic"):
        greedy = color(a, method, "random", seed=3)
        better = color(a, method, "random", seed=3, rounds=30)
        assert better.ncolors <= greedy.ncolors
        assert check_coloring(a, better, method)
    # a banded matrix: natural order is optimal for star, the stage must not lose it
    band = sp.diags_array([np.ones(50 - abs(d)) for d in range(-3, 4)], offsets=range(-3, 4))
    assert color(band, "star", "natural", rounds=10).ncolors == 7


@pytest.mark.parametrize("method", IMPROVED)
def test_improvement_deterministic_under_seed(method):
    a = sp.random(200, 200, density=0.04, random_state=2, format="csr")
    a = ((a + a.T) != 0).astype(np.int8)
    one = color(a, method, "random", seed=5, rounds=6)
    two = color(a, method, "random", seed=5, rounds=6)
    assert np.array_equal(one.colors, two.colors)


def test_tabu_search_reaches_fewer_colors_on_random_graph():
    """On G(150, 0.5) the tabu search finds clearly fewer colors than first fit."""
    rng = np.random.default_rng(1)
    upper = np.triu(rng.random((150, 150)) < 0.5, 1)
    adj = sp.csr_array((upper | upper.T).astype(np.int8))
    greedy = color(adj, "distance1", "natural")
    better = color(adj, "distance1", "natural", rounds=40, seed=0)
    assert better.ncolors <= greedy.ncolors - 3
    assert check_coloring(adj, better, "distance1")


def test_effort_zero_is_plain_greedy_and_bad_effort_raises():
    a = sp.random(80, 60, density=0.1, random_state=3, format="csr")
    assert np.array_equal(color(a, "column").colors, color(a, "column", effort=0).colors)
    with pytest.raises(ValueError, match="effort"):
        color(a, "column", effort=-1)
    with pytest.raises(ValueError, match="rounds"):
        color(a, "column", rounds=-2)
    for method in METHODS:  # bicoloring accepts effort and is returned as greedy
        p = a if method in ("column", "row", "bicoloring") else ((a[:60] + a[:60].T) != 0)
        c = color(p, method, effort=0.01)
        assert check_coloring(p, c, method)


def test_class_order_and_greedy_explicit_never_increase():
    rng = np.random.default_rng(0)
    upper = np.triu(rng.random((120, 120)) < 0.1, 1)
    adj = sp.csr_array((upper | upper.T).astype(np.int8))
    ptr, idx = adj.indptr.astype(np.int64), adj.indices.astype(np.int32)
    colors = improve.greedy_explicit(rng.permutation(120).astype(np.int64), ptr, idx)
    for kind in range(4):
        again = improve.greedy_explicit(improve.class_order(colors, kind, rng), ptr, idx)
        assert again.max() <= colors.max()
        assert check_coloring(adj, again, "distance1")


def test_clique_bound_exact_on_known_graphs():
    k6 = sp.csr_array(np.ones((6, 6)) - np.eye(6))
    assert clique_bound(k6.indptr.astype(np.int64), k6.indices.astype(np.int64)) == 6
    cycle = sp.csr_array(np.roll(np.eye(7), 1, 1) + np.roll(np.eye(7), -1, 1))
    assert clique_bound(cycle.indptr.astype(np.int64), cycle.indices.astype(np.int64)) == 2
    empty = sp.csr_array((5, 5))
    assert clique_bound(empty.indptr.astype(np.int64), empty.indices.astype(np.int64)) == 1
    # a banded Jacobian: column coloring needs the bandwidth, and the bound says so
    band = sp.diags_array([np.ones(40 - abs(d)) for d in range(-2, 3)], offsets=range(-2, 3))
    c = color(band, "column", effort=1)
    assert c.lower_bound == c.ncolors == 5


def test_conflict_graph_matches_column_intersection():
    a = sp.random(40, 30, density=0.1, random_state=4, format="csr")
    a = sp.csr_array((a != 0).astype(np.int8))
    at = sp.csr_array(a.T)
    ptr, idx = improve.conflict_graph(30, at.indptr.astype(np.int64), at.indices.astype(np.int64),
                                      a.indptr.astype(np.int64), a.indices.astype(np.int64),
                                      True)
    got = sp.csr_array((np.ones(idx.size), idx, ptr), shape=(30, 30)).toarray() != 0
    want = (a.T @ a).toarray() != 0
    np.fill_diagonal(want, False)
    assert np.array_equal(got, want)


@pytest.mark.slow
@pytest.mark.parametrize("name, method, limit", [
    ("af23560", "column", 37), ("af23560", "row", 37),
    ("e40r0100", "column", 66), ("e40r0100", "row", 66)])
def test_published_targets(name, method, limit):
    path = SUITE / f"{name}.mtx.gz"
    if not path.is_file():
        pytest.skip("../shared/matrices is absent")
    p = load_pattern(path)
    c = color(p, method, "smallest_last", effort=60)
    assert c.ncolors <= limit and check_coloring(p, c, method)


def _crown_jacobian_file(tmp_path, k=10):
    edges = _crown_edges(k)
    jac = sp.csr_array((np.ones(2 * len(edges)),
                        (np.repeat(np.arange(len(edges)), 2), np.ravel(edges))),
                       shape=(len(edges), 2 * k))
    path = tmp_path / "crown.npz"
    sp.save_npz(path, sp.csr_matrix(jac))
    return path


def test_cli_color_prints_gap_and_improves(tmp_path, capsys):
    from sparsehess.cli import main
    path = _crown_jacobian_file(tmp_path)
    assert main(["color", str(path), "--method", "column", "--order", "natural"]) == 0
    out = capsys.readouterr().out
    assert "colors      10; lower bound 2; gap 5.000 (colors / lower bound)" in out
    assert main(["color", str(path), "--method", "column", "--order", "natural",
                 "--effort", "2", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["colors"] == 2 and info["gap"] == 1.0 and info["verified"] is True
    assert info["effort_s"] == 2.0


def test_cli_rejects_bad_effort(tmp_path, capsys):
    from sparsehess.cli import main
    path = _crown_jacobian_file(tmp_path)
    with pytest.raises(SystemExit):
        main(["color", str(path), "--effort", "soon"])
    assert "--effort" in capsys.readouterr().err


def test_bench_run_records_effort(tmp_path):
    from sparsehess import bench
    path = _crown_jacobian_file(tmp_path)
    res = bench.run(bench.find_matrix_files([path]), methods=("column",),
                    orders=("natural",), progress=False, effort=1.0)
    assert res[0]["effort"] == 1.0 and res[0]["colors"] == 2 and res[0]["verified"]


def test_prepare_jacobian_effort_fewer_products():
    import jax.numpy as jnp

    from sparsehess import prepare_jacobian
    k = 8
    edges = np.array(_crown_edges(k))

    def f(x):  # one output per crown edge: x_u * x_v
        return x[edges[:, 0]] * x[edges[:, 1]]

    x = jnp.linspace(0.5, 1.5, 2 * k)
    plain = prepare_jacobian(f, x, method="column", order="natural")
    fast = prepare_jacobian(f, x, method="column", order="natural", effort=2)
    assert plain.coloring.ncolors == k and fast.coloring.ncolors == 2
    import jax
    np.testing.assert_allclose(np.asarray(fast(x).todense()), np.asarray(jax.jacfwd(f)(x)))


def test_prepare_hessian_effort_matches_dense():
    import jax
    import jax.numpy as jnp

    from sparsehess import prepare_hessian
    edges = np.array(_crown_edges(6))

    def f(x):
        return jnp.sum(jnp.sin(x[edges[:, 0]] * x[edges[:, 1]])) + jnp.sum(x ** 4)

    x = jnp.linspace(0.1, 1.2, 12)
    for method in ("star", "acyclic"):
        plain = prepare_hessian(f, x, method=method)
        plan = prepare_hessian(f, x, method=method, effort=0.3)
        assert plan.coloring.ncolors <= plain.coloring.ncolors
        np.testing.assert_allclose(np.asarray(plan(x).todense()), np.asarray(jax.hessian(f)(x)),
                                   rtol=1e-6, atol=1e-8)
