"""What a new user meets first: hostile files, the bench's outputs and first run, the CLI's
start-up and conventions, plan caches, pytree results, SciPy argument order, large plots."""

import csv
import gc
import json
import shutil
import subprocess
import sys
import weakref

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
import numpy as np
import pytest
import scipy.sparse as sp

import sparsehess
from _subprocess import REPO, child_env
from sparsehess import bench
from sparsehess._src import bench as bench_modules
from sparsehess._src.coloring import check_coloring, kernels, load_pattern
from sparsehess._src.coloring.graphs import adjacency, symmetrize
from sparsehess._src.coloring.orders import vertex_order

MM_HEADER = "%%MatrixMarket matrix coordinate pattern general\n"


def run_python(code, *, timeout=120, memory_bytes=None):
    """Run ``code`` in a fresh interpreter (repo on the path), optionally with an address
    space limit, so a runaway allocation fails there and not in the test process."""
    env = child_env()
    if memory_bytes is not None:      # set by the child itself: no fork hook in this process
        code = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, "
                f"({memory_bytes}, {memory_bytes}))\n" + code)
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=timeout)


def cli(capsys, *args):
    from sparsehess.cli import main
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err, *fragments):
    err = err.strip()
    assert "Traceback" not in err and err.count("\n") == 0, err
    for frag in fragments:
        assert frag in err, err


# ------------------------------------------------------------------------- hostile files
@pytest.fixture()
def hostile(tmp_path):
    (tmp_path / "huge.mtx").write_text(MM_HEADER + "2000000000 2000000000 3\n1 1\n2 2\n3 3\n")
    (tmp_path / "claims.mtx").write_text(MM_HEADER + "5 5 1000000\n1 1\n2 2\n3 3\n")
    (tmp_path / "array.mtx").write_text("%%MatrixMarket matrix array real general\n"
                                        "100000 100000\n1\n2\n")
    (tmp_path / "sizeline.mtx").write_text(MM_HEADER + "5 5\n1 1\n")
    huge = sp.coo_array((np.ones(3), (np.arange(3), np.arange(3))),
                        shape=(2_000_000_000, 2_000_000_000))
    sp.save_npz(tmp_path / "huge.npz", huge)
    (tmp_path / "good.mtx").write_text(MM_HEADER + "3 3 3\n1 1\n2 2\n3 3\n")
    return tmp_path


def test_header_claiming_two_billion_rows_is_one_clear_error(hostile):
    # 100 bytes that claim a 2e9 x 2e9 matrix: refused before allocating (the child may use
    # at most 3 GiB, the pattern's row pointers alone would need 16 GB)
    for name in ("huge.mtx", "huge.npz"):
        code = ("import sys; from sparsehess.cli import main; "
                f"sys.exit(main(['color', {str(hostile / name)!r}]))")
        proc = run_python(code, memory_bytes=3 * 2**30)
        assert proc.returncode == 1, proc.stderr
        one_line_error(proc.stderr, name, "2000000000 x 2000000000", "available")


@pytest.mark.parametrize("name, fragment", [
    ("claims.mtx", "claims 1000000 entries, the file holds at most 3"),
    ("array.mtx", "claims 10000000000 entries"),
    ("sizeline.mtx", "size line must hold 3 integers"),
])
def test_headers_checked_against_entries_present(hostile, name, fragment):
    with pytest.raises(ValueError, match=name) as info:
        load_pattern(hostile / name)
    assert fragment in str(info.value)


def test_bench_skips_a_hostile_file_with_a_message(hostile, tmp_path):
    folder, out = tmp_path / "mats", tmp_path / "out"
    folder.mkdir()
    [shutil.copy(hostile / name, folder) for name in ("huge.mtx", "claims.mtx", "good.mtx")]
    code = ("import sys; from sparsehess.cli import main; "
            f"sys.exit(main(['bench', {str(folder)!r}, '--methods', 'star', '--orders', "
            f"'natural', '--out', {str(out)!r}, '--quiet', '--no-plots']))")
    proc = run_python(code, memory_bytes=3 * 2**30)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "skipped huge: " in proc.stderr and "available" in proc.stderr
    assert "skipped claims: " in proc.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert [r["verified"] for r in rows if r["matrix"] == "good"] == ["True"]


# ------------------------------------------------------------------- bench outputs, usage
def test_interrupted_bench_keeps_finished_matrices(tmp_path, capsys, monkeypatch):
    real = bench.generate

    def generate(problem, n):
        if n == 40:
            raise KeyboardInterrupt
        return real(problem, n)
    monkeypatch.setattr(bench_modules.suite, "generate", generate)
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "bench", "--sizes", "30,40", "--problems", "banded,mesh2d",
                     "--methods", "star,column", "--orders", "natural", "--out", out, "--quiet")
    assert rc == 130 and "interrupted" in err
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert {r["matrix"] for r in rows} == {"banded-30", "mesh2d-30"}
    assert len(rows) == 4 and all(r["verified"] == "True" for r in rows)
    assert len(json.loads((out / "results.json").read_text())) == 4


def test_results_appended_as_each_matrix_finishes(tmp_path):
    writer = bench.ResultWriter(tmp_path / "w")
    seen = []

    def on_matrix(records):
        writer.add(records)
        seen.append(len(list(csv.DictReader(open(tmp_path / "w" / "results.csv")))))
    bench.run(bench.builtin_suite(sizes=(20,), problems=("banded", "mesh2d", "random")),
              methods=("star",), orders=("natural", "random"), progress=False,
              on_matrix=on_matrix)
    assert seen == [2, 4, 6]
    assert (tmp_path / "w" / "results.json").exists()


def test_unwritable_out_folder_reported_before_any_coloring(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    rc, out, err = cli(capsys, "bench", "--sizes", "30", "--out", blocker / "sub")
    assert rc == 1
    one_line_error(err, "cannot write results to", "a_file")    # no progress bar: nothing ran
    assert out == ""


@pytest.mark.parametrize("args, fragment", [
    (["--max-nnz", "-1"], "--max-nnz: must be at least 0"),
    (["--sizes", "1"], "sizes must be integers of at least 2"),
    (["--seed", "-1"], "--seed: must be at least 0"),
    (["--repeat", "0"], "--repeat: must be at least 1"),
])
def test_bench_usage_errors(capsys, args, fragment):
    rc, _, err = cli(capsys, "bench", *args)
    assert rc == 2
    one_line_error(err, fragment)


def test_version(capsys):
    rc, out, _ = cli(capsys, "--version")
    assert rc == 0 and out.strip() == f"sparsehess {sparsehess.__version__}"


def test_color_does_not_import_jax(hostile):
    code = ("import sys, json, io, contextlib\n"
            "from sparsehess.cli import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            f"    rc = main(['color', {str(hostile / 'good.mtx')!r}, '--json'])\n"
            "assert rc == 0 and json.loads(buf.getvalue())['verified'] is True\n"
            "assert 'jax' not in sys.modules, 'sparsehess color imported JAX'\n"
            "import sparsehess\n"
            "assert 'jax' not in sys.modules\n"
            "h = sparsehess.hessian                      # loads JAX on first use\n"
            "assert 'jax' in sys.modules and callable(h)\n"
            "assert sparsehess._src.interface.PLAN_CACHE_SIZE >= 1     # submodules as attributes\n")
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------------- first bench run
def test_progress_is_weighted_and_names_the_step_under_way(monkeypatch):
    class Tty:
        text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass
    now = [0.0]
    monkeypatch.setattr(bench_modules.progress.time, "perf_counter", lambda: now[0])
    stream = Tty()
    bar = bench.Progress(4, weights={"fast": 50.0, "slow": 50.0}, stream=stream)
    bar.start("small fast")
    assert "small fast ..." in stream.text
    now[0] = 1.0
    bar.update("small fast", weight=10.0, kind="fast")                # 1 s for 10
    assert " 1/4  10% " in stream.text.split("\r")[-1]               # by weight, not 25 %
    bar.start("small slow")
    now[0] = 11.0
    bar.update("small slow", weight=10.0, kind="slow")                # 10 s for 10
    # each kind's remaining 40 at its own rate: 40 * 0.1 + 40 * 1.0
    assert bar.eta() == pytest.approx(44.0)
    assert "eta ~44s" in stream.text.split("\r")[-1]


def _hubby_graphs():
    rng = np.random.default_rng(7)
    out = [bench.arrowhead(300), bench.generate("mesh2d", 100)]
    for _ in range(12):
        n = int(rng.integers(10, 250))
        d = rng.random((n, n)) < rng.uniform(0.02, 0.2)
        hubs = rng.integers(0, n, int(rng.integers(1, 4)))
        d[hubs, :] |= rng.random((hubs.size, n)) < 0.9
        out.append(sp.csr_array(d | d.T))
    return out


def test_acyclic_hub_records_give_the_same_colors():
    # hub rows read by neighbour color (hub_degree=1: every row) and by walking every
    # entry (hub_degree huge) color identically, and validly
    for p in _hubby_graphs():
        ptr, idx = adjacency(symmetrize(p))
        n = ptr.size - 1
        for name in ("natural", "largest_first", "smallest_last", "random"):
            order = vertex_order(name, (n, ptr, idx, ptr, idx, False), seed=1)
            walk = kernels.acyclic_coloring(order, ptr, idx, hub_degree=10**9)
            for hub_degree in (1, 5):
                got = kernels.acyclic_coloring(order, ptr, idx, hub_degree=hub_degree)
                np.testing.assert_array_equal(got, walk)
            assert check_coloring(p, walk, "acyclic")


def color_arrowhead_in_a_child(runs, n=200_000, timeout=90):
    """Color an arrowhead of size ``n`` with each ``(method, order, colors)`` of ``runs`` in a
    child process, checking the colors; a quadratic step (2·10^10 at 2·10^5: minutes) runs
    past ``timeout`` and fails the test."""
    code = ("from sparsehess import bench, color\n"
            "from sparsehess.coloring import check_coloring\n"
            f"p = bench.arrowhead({n})\n"
            f"for method, order, k in {runs!r}:\n"
            "    c = color(p, method, order)\n"
            "    assert c.ncolors == k and check_coloring(p, c, method), (method, order)\n")
    proc = run_python(code, timeout=timeout)
    assert proc.returncode == 0, proc.stderr


def test_acyclic_arrowhead_is_not_quadratic():
    color_arrowhead_in_a_child([("acyclic", order, 2) for order in
                                ("natural", "largest_first", "smallest_last", "random")])


def _patterns_with_dense_rows(seed=3, count=15):
    """An arrowhead and random patterns with up to three dense rows."""
    rng = np.random.default_rng(seed)
    cases = [bench.arrowhead(300)]
    for _ in range(count):
        m, n = (int(v) for v in rng.integers(5, 120, 2))
        d = rng.random((m, n)) < rng.uniform(0.005, 0.1)
        dense = rng.integers(0, m, int(rng.integers(0, 4)))
        d[dense, :] |= rng.random((dense.size, n)) < rng.uniform(0.3, 1.0)
        cases.append(sp.csr_array(d))
    return cases


def _distance2_views(p):
    """The column and the row distance-2 views of ``p``."""
    from sparsehess._src.coloring.graphs import as_pattern, csr_arrays, transpose_pattern
    p = as_pattern(p)
    pp, pi = csr_arrays(p)
    tp, ti = csr_arrays(transpose_pattern(p))
    return (p.shape[1], tp, ti, pp, pi, True), (p.shape[0], pp, pi, tp, ti, True)


def test_distance2_degrees_with_hub_rows_match_the_pairwise_count():
    for p in _patterns_with_dense_rows():
        for view in _distance2_views(p):
            pairwise = kernels.degrees(*view)
            for threshold in (1, 3, 64):
                hubs = np.diff(view[3]) >= threshold
                np.testing.assert_array_equal(kernels.distance2_degrees(*view[:5], hubs),
                                              pairwise)


def _check_dynamic_order(kind, view, order):
    """Replay ``order`` on the dense distance-2 graph of ``view``: each vertex must be a best
    choice by the order's own rule (kind 0 smallest_last: minimum remaining degree when
    removed, removals in reverse; 1 incidence_degree: most picked neighbours; 2
    dynamic_largest_first: most unpicked neighbours)."""
    n, ptr1, idx1 = view[:3]
    incidence = np.zeros((n, int(idx1.max(initial=0)) + 1), dtype=np.int64)
    incidence[np.repeat(np.arange(n), np.diff(ptr1)), idx1] = 1
    adj = (incidence @ incidence.T > 0).astype(np.int64)
    np.fill_diagonal(adj, 0)
    assert sorted(order.tolist()) == list(range(n))
    alive = np.ones(n, dtype=bool)
    sequence = order[::-1] if kind == 0 else order
    for v in sequence:
        if kind == 1:
            score = adj[:, ~alive].sum(axis=1)
        else:
            score = adj[:, alive].sum(axis=1)
        scores = score[alive]
        target = scores.min() if kind == 0 else scores.max()
        assert score[v] == target, (kind, int(v), int(score[v]), int(target))
        alive[v] = False


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_dynamic_orders_with_hub_rows_follow_their_definition(kind):
    """The per-class hub kernel, for any set of hub rows, and the per-vertex kernel each pick
    a best vertex at every step, against an independent replay on the dense graph."""
    from sparsehess._src.coloring import orders
    for p in _patterns_with_dense_rows(seed=kind):
        for view in _distance2_views(p):
            _check_dynamic_order(kind, view, kernels.dynamic_order(kind, *view))
            for threshold in (1, 3, 64):
                hubs = np.diff(view[3]) >= threshold
                if hubs.any():
                    got = orders.dynamic_order_with_hubs(kind, view, hubs)
                    _check_dynamic_order(kind, view, got)


def test_hub_classes_are_capped_by_dropping_the_shorter_hubs(monkeypatch):
    """With more classes than MAX_HUB_CLASSES the shorter hubs are treated as ordinary rows;
    the order still follows its definition."""
    from sparsehess._src.coloring import orders
    monkeypatch.setattr(orders, "MAX_HUB_CLASSES", 2)
    p = _patterns_with_dense_rows(seed=7, count=3)[-1]
    for view in _distance2_views(p):
        hubs = np.diff(view[3]) >= 1
        for kind in (0, 1, 2):
            _check_dynamic_order(kind, view, orders.dynamic_order_with_hubs(kind, view, hubs))


def test_distance2_dynamic_orders_on_an_arrowhead_are_not_quadratic():
    color_arrowhead_in_a_child([(method, order, 200_000) for method in ("column", "row")
                                for order in ("smallest_last", "incidence_degree",
                                              "dynamic_largest_first")])


def test_column_largest_first_on_an_arrowhead_is_not_quadratic():
    color_arrowhead_in_a_child([(method, "largest_first", 200_000) for method in ("column", "row")])


def test_bench_skips_distance2_orders_past_the_work_limit(monkeypatch):
    monkeypatch.setattr(bench_modules.runner, "DIST2_MAX_WORK", 10_000)
    recs = bench.run([("hub", bench.arrowhead(200))], methods=("column", "star", "bicoloring"),
                     orders=("natural", "smallest_last"), progress=False)
    by = {(r["method"], r["order"]): r for r in recs}
    assert by[("column", "natural")]["colors"] == 200 and by[("column", "natural")]["verified"]
    assert "distance-2 degree updates" in by[("column", "smallest_last")]["error"]
    assert by[("star", "smallest_last")]["colors"] == 2               # not distance-2
    assert "bicoloring skipped" in by[("bicoloring", "natural")]["error"]
    assert bench.distance2_work(bench.arrowhead(200)) == 2 * (200**2 + 199 * 2**2)



def test_bench_runs_dynamic_orders_on_hub_rows():
    """An arrowhead's dense row is updated once per class, so its dynamic column orders stay
    under the work limit although its pairs of entries (2·10^8) do not."""
    p = bench.arrowhead(10_000)
    assert bench.distance2_work(p) > bench.DIST2_MAX_WORK >= bench.dynamic_order_work(p)
    recs = bench.run([("hub", p)], methods=("column", "row"),
                     orders=("smallest_last", "incidence_degree"), progress=False)
    assert len(recs) == 4
    for r in recs:
        assert r["verified"] and r["colors"] == 10_000 and not r["error"], r


def test_bench_counts_the_sub_colorings_of_a_bicoloring_against_the_work_limit(monkeypatch):
    """A bicoloring computes a dynamic order once per distance-2 sub-coloring: past the work
    limit counted that way its dynamic orders are skipped, while column's still run."""
    from sparsehess._src.coloring import bicoloring

    p = bench.banded(300)
    work, runs = bench.distance2_work(p), bicoloring.subcolorings(p)
    assert runs >= 4
    monkeypatch.setattr(bench_modules.runner, "DIST2_MAX_WORK", 2 * work)
    recs = bench.run([("band", p)], methods=("column", "bicoloring"),
                     orders=("natural", "smallest_last"), progress=False)
    by = {(r["method"], r["order"]): r for r in recs}
    assert by[("column", "smallest_last")]["verified"]
    assert by[("bicoloring", "natural")]["verified"]
    assert f"its {runs} sub-colorings' distance-2 degree updates" in \
        by[("bicoloring", "smallest_last")]["error"]

# ------------------------------------------------------------------- caches and pytrees
def test_evicted_plans_are_freed(monkeypatch):
    from sparsehess._src import interface
    monkeypatch.setattr(interface, "PLAN_CACHE_SIZE", 3)
    h = sparsehess.hessian(lambda x: jnp.sum(jnp.sin(x) ** 2))
    h(jnp.ones(3))
    first = weakref.ref(next(iter(h.plans.values())))
    for n in range(4, 7):
        h(jnp.ones(n))
    gc.collect()
    assert len(h.plans) == 3
    assert first() is None, "an evicted plan is still referenced"
    assert "PLAN_CACHE_SIZE" in (REPO / "README.md").read_text()


def test_hessian_diagonal_of_nested_pytrees_like_grad():
    def f(p):
        return (jnp.sum(p["a"] ** 3) + jnp.sum(jnp.sin(p["b"][0]) * p["b"][1][0] ** 2)
                + p["b"][1][0][0] * p["a"][1])
    p = {"a": jnp.arange(3.0), "b": (jnp.arange(2.0) + 1, (jnp.arange(2.0) + 2,))}
    got = sparsehess.hessian_diagonal(f)(p)
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(jax.grad(f)(p))
    flat, unravel = ravel_pytree(p)
    dense = jnp.diag(jax.hessian(lambda v: f(unravel(v)))(flat))
    np.testing.assert_allclose(ravel_pytree(got)[0], dense)


def test_hessian_diagonal_of_an_equinox_module():
    eqx = pytest.importorskip("equinox", reason="equinox is optional")
    mlp = eqx.nn.MLP(3, 2, 3, 1, key=jax.random.key(0))
    x = jnp.linspace(-1.0, 1.0, 3)
    params, static = eqx.partition(mlp, eqx.is_array)

    def loss(p):
        return jnp.sum(eqx.combine(p, static)(x) ** 2)
    got = sparsehess.hessian_diagonal(loss)(params)
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(params)
    flat, unravel = ravel_pytree(params)
    dense = jnp.diag(jax.hessian(lambda v: loss(unravel(v)))(flat))
    np.testing.assert_allclose(ravel_pytree(got)[0], dense, rtol=1e-10,
                               atol=1e-12)



def test_function_leaves_in_a_differentiated_argument_are_one_clear_error():
    """A pytree holding a function (an equinox module's activation) cannot be differentiated
    (jax.grad refuses it too): the error names the leaf and says how to split the module."""
    params = {"w": jnp.ones(3), "act": jnp.tanh}

    def loss(p):
        return jnp.sum(p["act"](p["w"]) ** 2)
    with pytest.raises(TypeError, match=r"args\[0\]\['act'\].*not an array.*equinox.partition"):
        sparsehess.hessian_diagonal(loss)(params)
    with pytest.raises(TypeError, match="not an array"):
        sparsehess.hessian(loss)(params)
    with pytest.raises(TypeError):            # JAX refuses it as well
        jax.hessian(loss)(params)


def test_whole_equinox_module_error_points_to_partition():
    eqx = pytest.importorskip("equinox", reason="equinox is optional")
    mlp = eqx.nn.MLP(3, 1, 4, 1, key=jax.random.key(0))
    with pytest.raises(TypeError, match="equinox.partition"):
        sparsehess.hessian_diagonal(lambda m: jnp.sum(m(jnp.ones(3)) ** 2))(mlp)

# ---------------------------------------------------------------------- SciPy conventions
def test_minimize_takes_scipy_positional_order():
    shs = pytest.importorskip("sparsehess.scipy")
    f = lambda x, a: jnp.sum((x - a) ** 2) + jnp.sum(x[1:] * x[:-1]) * 0.1
    a = np.linspace(0.0, 1.0, 5)
    pos = shs.minimize(f, np.zeros(5), (a,), "trust-constr")
    kw = shs.minimize(f, np.zeros(5), args=(a,), method="trust-constr")
    np.testing.assert_allclose(pos.x, kw.x)
    assert pos.success and pos.hessian_ncolors is not None
    lbfgs = shs.minimize(f, np.zeros(5), (a,), "L-BFGS-B", None, None, None,
                         [(-1, 1)] * 5, (), 1e-12)
    np.testing.assert_allclose(lbfgs.x, kw.x, atol=1e-5)
    with pytest.raises(TypeError, match=r"method='BFGS'"):
        shs.minimize(f, np.zeros(5), "BFGS")


def test_nonlinear_constraint_refuses_scipy_derivative_arguments():
    shs = pytest.importorskip("sparsehess.scipy")
    c = lambda x: x[1:] ** 2 - x[:-1]
    x0 = np.ones(4)
    con = shs.NonlinearConstraint(c, 0.0, 0.0, x0)
    rows, cols = con.jacobian_structure()
    assert len(rows) == len(cols) == 6 and con.m == 3 and con.n == 4
    with pytest.raises(TypeError, match="fourth argument is x0"):
        shs.NonlinearConstraint(c, 0.0, 0.0, lambda x: np.eye(3, 4))
    with pytest.raises(TypeError, match="fourth argument is x0"):
        shs.NonlinearConstraint(c, 0.0, 0.0, "2-point")
    with pytest.raises(TypeError, match="unexpected keyword argument.*jac"):
        shs.NonlinearConstraint(c, 0.0, 0.0, x0, jac="2-point")
    with pytest.raises(TypeError, match="4 positional arguments"):
        shs.NonlinearConstraint(c, 0.0, 0.0, x0, ())


# ------------------------------------------------------------------------------ plots
def test_large_plots_have_separate_titles_and_bounded_svg(tmp_path):
    pytest.importorskip("matplotlib")
    from sparsehess import plot
    p = bench.generate("mesh2d", 40_000)
    c = sparsehess.color(p, "star")
    fig = plot.compressed(p, c, path=tmp_path / "c.svg", max_points=50_000)
    assert (tmp_path / "c.svg").stat().st_size < 1_000_000       # ~20 MB as vector points
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    page = fig.bbox
    texts = [fig._suptitle] + [ax.title for ax in fig.axes]
    boxes = [t.get_window_extent(renderer) for t in texts if t is not None and t.get_text()]
    assert len(boxes) == 3
    for b in boxes:
        assert page.x0 - 1 <= b.x0 and b.x1 <= page.x1 + 1, "a title runs off the figure"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), "two titles overlap"
    spy_svg = tmp_path / "s.svg"
    plot.spy(p, c, path=spy_svg)
    assert spy_svg.stat().st_size < 1_000_000


def test_gzip_bomb_refused_while_reading(tmp_path, monkeypatch):
    import gzip
    from sparsehess._src.coloring import matrix_market
    path = tmp_path / "bomb.mtx.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(MM_HEADER + "3 3 1\n1 1\n" + "%" * 4_000_000 + "\n")
    assert path.stat().st_size < 50_000
    monkeypatch.setattr(matrix_market, "available_memory", lambda: 4_000_000)
    with pytest.raises(ValueError, match="bomb.mtx.gz: its text exceeds"):
        load_pattern(path)
