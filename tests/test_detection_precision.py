"""Detection precision classes: small linear algebra, local mode on piecewise-linear ops,
tile / repeat, integer value ranges of index arithmetic, grouped convolutions, scatter with
min / max combiners.

Every detected pattern contains the numerical pattern of dense JAX (``jax.jacfwd`` /
``jax.hessian`` nonzeros, union over random points), and equals it where the exact answer
is that union (tile, repeat, known-range index arithmetic, local mode at a point).
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import sparsehess
from sparsehess import hessian_sparsity, jacobian_sparsity
from sparsehess._src.detection import value_ranges


def _numeric(f, n, points, order):
    """Union of nonzeros of the dense Jacobian (order 1, of ravel(f)) or Hessian (order 2)."""
    if order == 1:
        fn = jax.jit(jax.jacfwd(lambda y: jnp.ravel(f(y))))
    else:
        fn = jax.jit(jax.hessian(f))
    union = None
    for x in points:
        nz = np.abs(np.asarray(fn(x)).reshape(-1, n)) > 0
        union = nz if union is None else union | nz
    return union


def _random_points(n, count=4, seed=0, low=-1.5, high=1.5):
    rng = np.random.default_rng(seed)
    return [jnp.asarray(rng.uniform(low, high, n)) for _ in range(count)]


def _contains(detected, numeric, what):
    missed = np.argwhere(numeric & ~detected)
    assert missed.size == 0, f"{what}: missed {missed[:8].tolist()}"


def _check(f, n, *, exact_jac=False, exact_hess=False, points=None, mode="global"):
    """Detected Jacobian of f and Hessian of sum(f) contain (or equal) the numerical ones."""
    points = points or _random_points(n)
    x0 = points[0]
    scalar = lambda y: jnp.sum(jnp.ravel(f(y)) * jnp.linspace(0.5, 1.5, np.size(f(x0))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no conservative-rule warnings either
        jac = jacobian_sparsity(f, x0, mode=mode).toarray()
        hess = hessian_sparsity(scalar, x0, mode=mode).toarray()
    nj, nh = _numeric(f, n, points, 1), _numeric(scalar, n, points, 2)
    _contains(jac, nj, "Jacobian")
    _contains(hess, nh, "Hessian")
    if exact_jac:
        assert (jac == nj).all(), f"Jacobian not exact: {jac.sum()} vs {nj.sum()}"
    if exact_hess:
        assert (hess == nh).all(), f"Hessian not exact: {hess.sum()} vs {nh.sum()}"
    return jac, hess


# ----------------------------------------------------------------- small linear algebra

def _mat(x, k):
    return x[:k * k].reshape(k, k) + 3.0 * jnp.eye(k)


def _spd(x, k):
    a = _mat(x, k)
    return a @ a.T


LINALG = {
    "det": lambda a, k: jnp.linalg.det(a),
    "slogdet": lambda a, k: jnp.linalg.slogdet(a)[1],
    "norm_1": lambda a, k: jnp.linalg.norm(a, ord=1),
    "norm_inf": lambda a, k: jnp.linalg.norm(a, ord=jnp.inf),
    "norm_2": lambda a, k: jnp.linalg.norm(a, ord=2),
    "norm_fro": lambda a, k: jnp.linalg.norm(a),
    "norm_nuc": lambda a, k: jnp.linalg.norm(a, ord="nuc"),
    "inv": lambda a, k: jnp.sum(jnp.linalg.inv(a) ** 2),
    "solve": lambda a, k: jnp.sum(jnp.linalg.solve(a, jnp.arange(1.0, k + 1))),
    "eigh": lambda a, k: jnp.sum(jnp.linalg.eigh(a @ a.T)[0] ** 2),
    "svd": lambda a, k: jnp.sum(jnp.linalg.svd(a, compute_uv=False)),
    "cholesky": lambda a, k: jnp.sum(jnp.linalg.cholesky(a @ a.T) ** 2),
    "qr": lambda a, k: jnp.sum(jnp.linalg.qr(a)[1] ** 2),
    "pinv": lambda a, k: jnp.sum(jnp.linalg.pinv(a)),
}


@pytest.mark.parametrize("name, k", [(name, 3) for name in sorted(LINALG)]
                         + [("det", 1), ("det", 2), ("inv", 2), ("norm_1", 2), ("slogdet", 2)])
def test_small_linear_algebra_runs_and_contains_dense(name, k):
    g = LINALG[name]
    n = k * k + 1
    f = lambda x: g(_mat(x, k) * x[-1], k)[None]
    _check(f, n, points=_random_points(n, count=2, low=0.5, high=1.5))


def test_batched_small_linear_algebra_is_block_diagonal():
    f = lambda x: jnp.linalg.det(x.reshape(2, 3, 3) + 3.0 * jnp.eye(3))
    jac, hess = _check(f, 18, exact_jac=True)
    blocks = np.kron(np.eye(2, dtype=bool), np.ones((9, 9), bool))
    assert (hess == (hess & blocks)).all()


# ----------------------------------------------------------------- local mode, piecewise

# A point with elements on flat pieces, on slopes, and none at a kink.
POINT = jnp.asarray([-2.0, -0.5, 0.25, 0.5, 2.0, 7.0, -4.0, 3.5, 5.5, -3.5])
PIECEWISE = {
    "relu": jax.nn.relu,
    "relu6": jax.nn.relu6,
    "clip": lambda v: jnp.clip(v, -1.0, 1.0),
    "clamp": lambda v: lax.clamp(-1.0, v, 1.0),
    "clamp_operands": lambda v: lax.clamp(v[::-1] - 1.0, v, v[::-1] + 1.0),
    "hard_tanh": jax.nn.hard_tanh,
    "hard_sigmoid": jax.nn.hard_sigmoid,
    "hard_swish": jax.nn.hard_swish,
    "abs": jnp.abs,
    "where": lambda v: jnp.where(v > 0.3, v, 0.0),
    "maximum": lambda v: jnp.maximum(v, 0.0),
}


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_local_mode_is_exact_on_piecewise_linear(name):
    g = PIECEWISE[name]
    n = POINT.size
    f = lambda v: g(v) * jnp.linspace(0.5, 1.5, n)
    s = lambda v: jnp.sum(g(v) ** 2) + 1.37 * jnp.sum(g(v) * v[::-1] ** 2)
    jac = jacobian_sparsity(f, POINT, mode="local").toarray()
    hess = hessian_sparsity(s, POINT, mode="local").toarray()
    nj = np.abs(np.asarray(jax.jacfwd(f)(POINT))) > 0
    nh = np.abs(np.asarray(jax.hessian(s)(POINT))) > 0
    assert (jac == nj).all(), (jac.sum(), nj.sum())
    assert (hess == nh).all(), (hess.sum(), nh.sum())
    if name != "abs":                             # flat pieces were there to drop
        assert jacobian_sparsity(f, POINT).sum() > jac.sum()


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_local_mode_at_kinks_never_misses(name):
    g = PIECEWISE[name]
    kinks = jnp.asarray([0.0, 6.0, -1.0, 1.0, 3.0, -3.0, 0.3, 2.0, -0.0, 0.0])
    f = lambda v: g(v) * jnp.linspace(0.5, 1.5, kinks.size)
    s = lambda v: jnp.sum(g(v) ** 2 * v[::-1])
    jac = jacobian_sparsity(f, kinks, mode="local").toarray()
    hess = hessian_sparsity(s, kinks, mode="local").toarray()
    _contains(jac, np.abs(np.asarray(jax.jacfwd(f)(kinks))) > 0, "Jacobian")
    _contains(hess, np.abs(np.asarray(jax.hessian(s)(kinks))) > 0, "Hessian")


def test_global_mode_keeps_every_piece():
    jac = jacobian_sparsity(jax.nn.relu6, POINT).toarray()
    assert (jac == np.eye(POINT.size, dtype=bool)).all()


# ----------------------------------------------------------------- tile and repeat

def _copies(sources, n):
    """Pattern of an output whose element i copies input element sources[i]."""
    out = np.zeros((len(sources), n), bool)
    out[np.arange(len(sources)), sources] = True
    return out


@pytest.mark.parametrize("case", ["tile", "tile_2d", "repeat", "repeat_axis", "repeat_array"])
def test_tile_and_repeat_are_exact(case):
    ids = np.arange(6)
    f, sources = {
        "tile": (lambda x: jnp.tile(x, 3), np.tile(ids, 3)),
        "tile_2d": (lambda x: jnp.tile(x.reshape(2, 3), (2, 2)).ravel(),
                    np.tile(ids.reshape(2, 3), (2, 2)).ravel()),
        "repeat": (lambda x: jnp.repeat(x, 2), np.repeat(ids, 2)),
        "repeat_axis": (lambda x: jnp.repeat(x.reshape(2, 3), 3, axis=1).ravel(),
                        np.repeat(ids.reshape(2, 3), 3, axis=1).ravel()),
        "repeat_array": (lambda x: jnp.repeat(x, np.array([1, 0, 2, 3, 0, 1])),
                         np.repeat(ids, [1, 0, 2, 3, 0, 1])),
    }[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jac = jacobian_sparsity(f, jnp.ones(6)).toarray()
    assert (jac == _copies(sources, 6)).all()
    _check(lambda x: f(x) ** 2, 6, exact_jac=True, exact_hess=True)


# ----------------------------------------------------------------- integer value ranges

def _row(n, *cols):
    out = np.zeros((1, n), bool)
    out[0, list(cols)] = True
    return out


def _pair(a, i):
    """a[i, i + 2]: an index vector whose components are functions of one unknown."""
    return a[i, i + 2]


N_IDX = 10
# name -> (f, exact Jacobian row over x (shape (10,)))
INDEX_ARITHMETIC = {
    "comparison_plus": (lambda x: x[(x[0] > 0).astype(jnp.int32) + 3] ** 2, (3, 4)),
    "cond_branches": (lambda x: x[lax.cond(x[0] > 0, lambda: 1, lambda: 7)] ** 2, (1, 7)),
    "cond_index": (lambda x: lax.switch((x[0] > 0).astype(jnp.int32) + 1,
                                        [jnp.sin, lambda v: v ** 2, jnp.cos], x[1:4]).sum(),
                   (1, 2, 3)),
    "where_times_two": (lambda x: jnp.sin(x[jnp.where(x[1] > x[2], 2, 3) * 2]), (4, 6)),
    "floordiv_of_argmax": (lambda x: jnp.exp(x[jnp.argmax(x[:4]) // 2 + 5]), (5, 6)),
    "clip_of_argmax": (lambda x: x[jnp.clip(jnp.argmax(x[:4]) // 2 - 1, 0, 3)] ** 3, (0,)),
    "rem_of_argmax": (lambda x: x[(jnp.argmax(x[:3]) + 7) % 5] ** 3, (2, 3, 4)),
    "min_max": (lambda x: x[jnp.minimum(jnp.maximum(jnp.argmax(x[:6]), 2), 4)] ** 2, (2, 3, 4)),
    "negative_index": (lambda x: x[-1 - (x[0] > 0).astype(jnp.int32)] ** 2, (8, 9)),
    "dynamic_slice": (lambda x: jnp.sum(lax.dynamic_slice(x, ((x[0] > 0) * 4 + 1,), (2,)) ** 2),
                      (1, 2, 5, 6)),
    "dynamic_update_slice": (
        lambda x: lax.dynamic_update_slice(x[:6], jnp.zeros(2), ((x[9] > 0) * 3,))[2] ** 2, (2,)),
    "gather_pairs": (lambda x: _pair(x.reshape(2, 5), (x[0] > 0).astype(int)) ** 2, (2, 8)),
    "scatter_add": (lambda x: jnp.sum(jnp.zeros(4).at[(x[0] > 0) * 2].add(x[5] ** 2)
                                      * jnp.asarray([1.0, 0.0, 1.0, 0.0])), (5,)),
    "comparison_resolved": (lambda x: jnp.where(jnp.argmax(x[:3]) < 5, x[1], x[2]) ** 2, (1,)),
    "loop_counter": (lambda x: lax.fori_loop(0, 3, lambda i, c: c + x[2 * i + 1] ** 2, 0.0),
                     (1, 3, 5)),
}


@pytest.mark.parametrize("name", sorted(INDEX_ARITHMETIC))
def test_index_arithmetic_ranges_resolve_indices(name):
    f, cols = INDEX_ARITHMETIC[name]
    expected = _row(N_IDX, *cols)
    points = _random_points(N_IDX, count=24, seed=3)
    jac, _ = _check(lambda x: jnp.atleast_1d(f(x)), N_IDX, points=points)
    assert (jac == expected).all(), f"detected {np.flatnonzero(jac)}, expected {cols}"
    # the expectation is the numerical pattern over the points (the points reach every case)
    assert (_numeric(lambda x: jnp.atleast_1d(f(x)), N_IDX, points, 1) == expected).all()


def test_scatter_set_with_ranged_index_keeps_possible_old_values():
    f = lambda x: x[:4].at[(x[5] > 0) * 2].set(x[6] * 3.0)
    jac, _ = _check(f, 8, points=_random_points(8, count=16, seed=2))
    expected = np.zeros((4, 8), bool)
    expected[np.arange(4), np.arange(4)] = True
    expected[[0, 2], 6] = True
    assert (jac == expected).all()


def test_ranges_are_per_element_sets_and_intervals():
    r = value_ranges.Range.of_values(np.array([[0, 5], [3, 5], [0, 5]]), np.int32)
    assert r.choices.shape == (2, 2) and set(r.choices[:, 0]) == {0, 3} and set(r.choices[:, 1]) == {5}
    wide = value_ranges.Range.of_bounds(np.zeros(2), np.array([3.0, 100.0]), np.int32)
    assert wide.choices is None and (wide.lo == 0).all() and (wide.hi == [3, 100]).all()
    scalar = value_ranges.Range.of_bounds(np.array(0.0), np.array(100.0), np.int32)
    assert scalar.choices.shape == (101,) and scalar.root is not None
    small = value_ranges.Range.of_bounds(np.array([2.0]), np.array([4.0]), np.int32)
    assert sorted(small.choices.ravel()) == [2, 3, 4]
    wraps = value_ranges.Range.of_bounds(np.array([0.0]), np.array([2.0 ** 40]), np.int32)
    assert (wraps.lo == -2 ** 31).all() and (wraps.hi == 2 ** 31 - 1).all()


def test_scalar_sets_stay_correlated():
    # argmax over 40 elements: 40 possible values; floor division and its sign corrections
    # are functions of the same scalar, so i // 10 is exactly 0 .. 3
    f = lambda x: x[jnp.argmax(x[:40]) // 10 + 40] ** 2
    jac = jacobian_sparsity(lambda x: jnp.atleast_1d(f(x)), jnp.ones(48)).toarray()
    assert (jac == _row(48, 40, 41, 42, 43)).all()
    _check(lambda x: jnp.atleast_1d(f(x)), 48)


def test_interval_arithmetic_beyond_small_sets():
    # argmax over 400 elements: bounds 0 .. 399, not a set; truncating division and
    # clipping are interval arithmetic
    n = 406
    f = lambda x: x[lax.div(jnp.argmax(x[:400]), 200) + 400] * x[jnp.clip(jnp.argmax(x[:400]) - 397, 0, 5) + 400]
    jac = jacobian_sparsity(lambda x: jnp.atleast_1d(f(x)), jnp.ones(n)).toarray()
    assert (jac == _row(n, 400, 401, 402)).all()
    r = value_ranges.Range.of_bounds(np.array([0.0]), np.array([399.0]), np.int32)
    assert r.choices is None


def test_unknown_integer_arguments_stay_dense():
    f = lambda x, i: x[i + 1] ** 2
    with pytest.warns(Warning):
        jac = jacobian_sparsity(lambda x, i: jnp.atleast_1d(f(x, i)), jnp.ones(5),
                                jax.ShapeDtypeStruct((), jnp.int32)).toarray()
    assert jac.all()


# ----------------------------------------------------------------- grouped convolutions

def _conv_feature_groups(x):
    lhs, rhs = x[:40].reshape(2, 4, 5), x[40:56].reshape(4, 2, 2)
    return lax.conv_general_dilated(lhs, rhs, (1,), "VALID", feature_group_count=2).ravel()


def _conv_batch_groups(x):
    lhs, rhs = x[:40].reshape(4, 2, 5), x[40:56].reshape(4, 2, 2)
    return lax.conv_general_dilated(lhs, rhs, (1,), "VALID", batch_group_count=2).ravel()


def _conv_batch_groups_2d(x):
    lhs, rhs = x[:64].reshape(4, 1, 4, 4), x[64:72].reshape(2, 1, 2, 2)
    return lax.conv_general_dilated(lhs, rhs, (1, 1), "SAME", batch_group_count=2).ravel()


@pytest.mark.parametrize("f, n", [(_conv_feature_groups, 56), (_conv_batch_groups, 56),
                                  (_conv_batch_groups_2d, 72)])
def test_grouped_convolutions_are_exact(f, n):
    _check(f, n, exact_jac=True, exact_hess=True, points=_random_points(n, count=2))


# ----------------------------------------------------------------- scatter min / max

@pytest.mark.parametrize("combine", ["min", "max", "add"])
def test_scatter_combiners_with_known_indices_are_exact(combine):
    idx = jnp.asarray([0, 2, 2, 5])

    def f(x):
        at = x[:6].at[idx]
        return getattr(at, combine)(x[6:] * 2.0)
    expected = np.zeros((6, 10), bool)
    expected[np.arange(6), np.arange(6)] = True
    for k, target in enumerate([0, 2, 2, 5]):
        expected[target, 6 + k] = True
    jac, _ = _check(f, 10, exact_jac=True, points=_random_points(10, count=30, seed=5))
    assert (jac == expected).all()


# ----------------------------------------------------------------- random programs

_SOURCES = {
    "argmax": lambda x, a, b: jnp.argmax(x[:a + 2]),
    "compare": lambda x, a, b: (x[a] > 0.2).astype(jnp.int32) * b,
    "cond": lambda x, a, b: lax.cond(x[a] > 0, lambda: a, lambda: b),
    "where": lambda x, a, b: jnp.where(x[0] > x[1], a, b),
}
_INT_OPS = {
    "add": lambda i, c: i + c, "sub": lambda i, c: i - c, "mul": lambda i, c: i * c,
    "floordiv": lambda i, c: i // (c + 1), "rem": lambda i, c: i % (c + 1),
    "clip": lambda i, c: jnp.clip(i, 0, c), "max": lambda i, c: jnp.maximum(i, c),
    "min": lambda i, c: jnp.minimum(i, c),
}
_PIECEWISE = {"relu": jax.nn.relu, "clip": lambda v: jnp.clip(v, -0.5, 0.5), "abs": jnp.abs,
              "hard_tanh": jax.nn.hard_tanh, "none": lambda v: v}
_CONSUMERS = {
    "gather": lambda x, i: x[i % x.size] * x,
    "dynamic_slice": lambda x, i: jnp.tile(lax.dynamic_slice(x, (i,), (2,)), 4) * x,
    "set": lambda x, i: x.at[i].set(x[0] * x[1]),
    "add": lambda x, i: x.at[jnp.clip(i, -8, 7)].add(x[2] ** 2),
    "loop": lambda x, i: lax.fori_loop(0, 3, lambda k, c: c.at[k + 1].multiply(c[k]), x)[i % 8],
}


def test_random_index_programs_never_miss():
    hypothesis = pytest.importorskip("hypothesis", reason="property tests need hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=15, deadline=None, derandomize=True)
    @hypothesis.given(source=st.sampled_from(sorted(_SOURCES)), a=st.integers(0, 5),
                      b=st.integers(0, 7),
                      ops=st.lists(st.tuples(st.sampled_from(sorted(_INT_OPS)), st.integers(0, 4)),
                                   max_size=3),
                      piece=st.sampled_from(sorted(_PIECEWISE)),
                      consumer=st.sampled_from(sorted(_CONSUMERS)),
                      mode=st.sampled_from(["global", "local"]), seed=st.integers(0, 3))
    def prop(source, a, b, ops, piece, consumer, mode, seed):
        def f(x):
            i = _SOURCES[source](x, a, b)
            for op, c in ops:
                i = _INT_OPS[op](i, c)
            return jnp.ravel(_CONSUMERS[consumer](_PIECEWISE[piece](x), i))

        points = _random_points(8, count=1 if mode == "local" else 6, seed=seed)
        s = lambda x: jnp.sum(f(x) * jnp.linspace(0.5, 1.5, f(points[0]).size) * x[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jac = jacobian_sparsity(f, points[0], mode=mode).toarray()
            hess = hessian_sparsity(s, points[0], mode=mode).toarray()
        _contains(jac, _numeric(f, 8, points, 1), "Jacobian")
        _contains(hess, _numeric(s, 8, points, 2), "Hessian")

    prop()


def test_scan_carry_with_a_range_is_walked_per_range():
    # i starts as 0 or 1 and steps by 2: the body's index range differs at every step, so
    # no walk is reused for another step's range
    def f(x):
        def body(c, _):
            i, acc = c
            return (i + 2, acc + x[i] ** 2), None
        i0 = (x[0] > 0).astype(jnp.int32)
        return lax.scan(body, (i0, 0.0), None, length=4)[0][1][None]
    jac, _ = _check(f, 10, points=_random_points(10, count=12, seed=4))
    assert (jac == _row(10, *range(8))).all()


def test_shared_and_independent_roots_are_cached_apart():
    # the same index equation sees two operands sharing a root, then two independent
    # unknowns with the same possible values: the second must not reuse the first's maps
    @jax.jit
    def pair(a, i, j):
        return a[i, j]

    def f(x):
        a = x.reshape(2, 5)
        i = (x[0] > 0).astype(jnp.int32)
        j = (x[1] > 0).astype(jnp.int32)
        return jnp.stack([pair(a, i, i + 2), pair(a, i, j + 2)])
    jac, _ = _check(f, 10, points=_random_points(10, count=24, seed=6))
    assert (jac[0] == _row(10, 2, 8)).all()
    assert (jac[1] == _row(10, 2, 3, 7, 8)).all()


def test_clipped_unknown_argument_index_is_resolved_without_warning():
    f = lambda x, i: x[jnp.clip(i, 0, 2) + 1][None] ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jac = jacobian_sparsity(f, jnp.ones(6), jax.ShapeDtypeStruct((), jnp.int32)).toarray()
    assert (jac == _row(6, 1, 2, 3)).all()


@pytest.mark.parametrize("case", ["groups", "repeated_factor", "cumprod", "long_group",
                                  "scatter_mul"])
def test_products_have_curvature_only_between_distinct_factors(case):
    """A product is linear in each factor: reduce_prod / cumprod / scatter-mul mark no Hessian
    entry of a factor with itself beyond what the outer function adds, unless the variable is a
    factor twice (x0 * x0 * x1); past reductions.MAX_PAIRS pairs the rule stays conservative
    (a superset)."""
    from sparsehess._src.detection.rules import reductions

    fns = {
        "groups": (lambda x: jnp.sum(jnp.prod(jnp.sin(x).reshape(4, 3), axis=1)), 12),
        "repeated_factor": (lambda x: jnp.prod(jnp.stack([x[0], x[0], x[1]])) + jnp.sum(x), 3),
        "cumprod": (lambda x: jnp.sum(jnp.cumprod(x)), 6),
        "long_group": (lambda x: jnp.prod(1.0 + 0.01 * x), 2100),
        # out[0] = x3 * x0, out[2] = x5 * x1 (JAX differentiates unique indices only)
        "scatter_mul": (lambda x: jnp.sum(
            x[3:6].at[jnp.array([0, 2])].multiply(x[:2], unique_indices=True)), 6),
    }
    f, n = fns[case]
    rng = np.random.default_rng(0)
    points = [jnp.asarray(rng.uniform(0.5, 1.5, n)) for _ in range(3)]
    got = sparsehess.hessian_sparsity(f, points[0]).toarray()
    numeric = np.any([np.asarray(jax.hessian(f)(x)) != 0 for x in points], axis=0)
    assert not (numeric & ~got).any()                    # never misses a nonzero
    if case == "long_group":
        assert n * (n - 1) // 2 > reductions.MAX_PAIRS and got.all()
    else:
        np.testing.assert_array_equal(got, numeric)       # exact
        if case == "repeated_factor":
            assert got[0, 0] and not got[1, 1]


def _solves(a_of):
    """f(x) = sum(sin x) + the sums of three solves with right-hand side x, matrix a_of(x)."""
    def f(x):
        a = a_of(x)
        lower = jnp.tril(a) + 4.0 * jnp.eye(x.size)
        diag = jnp.diagonal(a) + 4.0
        off = jnp.concatenate([jnp.zeros(1), jnp.diagonal(a, -1)])
        upper = jnp.concatenate([jnp.diagonal(a, 1), jnp.zeros(1)])
        return (jnp.sum(jnp.sin(x))
                + jnp.sum(jax.scipy.linalg.solve_triangular(lower, x, lower=True))
                + jnp.sum(lax.linalg.tridiagonal_solve(off, diag, upper, x[:, None]))
                + jnp.sum(jnp.linalg.solve(lower + lower.T, x)))
    return f


@pytest.mark.parametrize("matrix", ["constant", "from_x"])
def test_solves_are_linear_in_their_right_hand_side(matrix):
    """triangular_solve, tridiagonal_solve and custom_linear_solve (jnp.linalg.solve) with a
    constant matrix add no curvature: the Hessian stays diagonal. With a matrix built from x
    the rule is conservative, still containing every numerical nonzero."""
    n = 5
    const = jnp.asarray(np.random.default_rng(1).uniform(-1, 1, (n, n)))
    f = _solves((lambda x: const) if matrix == "constant" else (lambda x: jnp.outer(x, x)))
    rng = np.random.default_rng(0)
    points = [jnp.asarray(rng.uniform(-1, 1, n)) for _ in range(3)]
    got = hessian_sparsity(f, points[0]).toarray()
    numeric = np.any([np.asarray(jax.hessian(f)(x)) != 0 for x in points], axis=0)
    assert not (numeric & ~got).any()
    if matrix == "constant":
        np.testing.assert_array_equal(got, np.eye(n, dtype=bool))
        np.testing.assert_array_equal(numeric, np.eye(n, dtype=bool))


def test_scatter_mul_updates_landing_together_pair_up():
    """out[0] = x3 * x0 * x1 and out[2] = x5 * x2 (two updates on out[0]; JAX cannot
    differentiate repeated indices, so the expected pattern is written out): every pair of
    distinct factors, no factor with itself."""
    f = lambda x: jnp.sum(x[3:6].at[jnp.array([0, 0, 2])].multiply(x[:3]))  # noqa: E731
    got = hessian_sparsity(f, jnp.ones(6)).toarray()
    want = np.zeros((6, 6), bool)
    for a, b in [(0, 1), (0, 3), (1, 3), (2, 5)]:
        want[a, b] = want[b, a] = True
    np.testing.assert_array_equal(got, want)
