"""Detection rules, one case per primitive, against dense derivatives at random points,
plus exact patterns for the precision cases (constants, loops, custom rules, local mode).

Containment: every entry that is numerically nonzero in dense ``jax.jacfwd`` /
``jax.hessian`` at several random points must be in the detected pattern.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from jax import lax

import sparsehess
from sparsehess import SparsityWarning, UnsupportedPrimitiveError
from sparsehess import hessian_sparsity, jacobian_sparsity
from sparsehess._src.detection.rules import control_flow, loop_bodies

N = 6


@jax.custom_jvp
def straight_through_round(x):
    return jnp.round(x)


straight_through_round.defjvp(lambda p, t: (straight_through_round(p[0]), t[0]))


@jax.custom_vjp
def clipped_sin(x):
    return jnp.sin(x)


clipped_sin.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (g * jnp.cos(x) * x[::-1],))


def _spd(x):
    a = x[:4].reshape(2, 2)
    return a @ a.T + 3.0 * jnp.eye(2)


def _loop_while(x):
    return lax.while_loop(lambda c: c[1] < 4.0, lambda c: (c[0] * jnp.roll(c[0], 1), c[1] + 1.0),
                          (x, 0.0))[0]


def _scan_carry(x):
    def body(c, xi):
        return c * 0.5 + jnp.sin(xi * c), c * xi
    c, ys = lax.scan(body, x[0], x[1:])
    return jnp.concatenate([ys, c[None]])


# name -> vector function of x (shape (N,)), one or more per rule class (every table primitive
# has its own case in tests/test_rule_table.py).
CASES = {
    # nonlinear unary
    **{name: (lambda g: (lambda x: g(x * 0.3 + 0.1)))(g) for name, g in {
        "exp": jnp.exp, "expm1": jnp.expm1, "log": lambda v: jnp.log(v + 2.0),
        "log1p": lambda v: jnp.log1p(v + 1.0), "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan,
        "tanh": jnp.tanh, "logistic": jax.nn.sigmoid, "sqrt": lambda v: jnp.sqrt(v + 2.0),
        "rsqrt": lambda v: lax.rsqrt(v + 2.0), "erf": jax.scipy.special.erf,
        "erf_inv": lambda v: jax.scipy.special.erfinv(v * 0.5), "square": jnp.square,
        "lgamma": lambda v: jax.scipy.special.gammaln(v + 2.0),
        "digamma": lambda v: jax.scipy.special.digamma(v + 2.0),
        "atan": jnp.arctan, "sinh": jnp.sinh, "cbrt": lambda v: jnp.cbrt(v + 2.0),
        "exp2": jnp.exp2}.items()},
    # arithmetic
    "add_sub_neg": lambda x: x[1:] + x[:-1] - (-x[1:]),
    "mul": lambda x: x[1:] * x[:-1],
    "div": lambda x: x[1:] / (x[:-1] + 3.0),
    "integer_pow": lambda x: x ** 3 + x ** 1 + x ** 0,
    "pow": lambda x: (x[1:] + 2.0) ** (x[:-1] * 0.5),
    "atan2": lambda x: jnp.arctan2(x[1:], x[:-1] + 3.0),
    "rem": lambda x: jnp.fmod(x[1:] * 3.0, x[:-1] + 5.0),
    "max_min": lambda x: jnp.maximum(x[1:], x[:-1]) + jnp.minimum(x[1:], 0.5 * x[:-1]),
    "abs_sign": lambda x: jnp.abs(x) * jnp.sign(x[::-1]),
    "clamp": lambda x: lax.clamp(-0.5, x, 0.5) * x[0],
    "select_n": lambda x: jnp.where(x > 0, x ** 2, x[::-1]),
    "comparisons": lambda x: (x > 0).astype(x.dtype) * x,
    "convert": lambda x: x.astype(jnp.float32).astype(x.dtype) ** 2,
    "floor_round": lambda x: jnp.floor(x) + jnp.round(x) * x,
    "stop_gradient": lambda x: lax.stop_gradient(x) * x[0] ** 2,
    "reduce_precision": lambda x: lax.reduce_precision(x, 8, 7) ** 2,
    # data movement
    "broadcast_reshape": lambda x: (x.reshape(2, 3)[:, None, :] * x[:2, None, None]).ravel(),
    "transpose": lambda x: (x.reshape(2, 3).T ** 2).ravel(),
    "slice_strided": lambda x: x[::2] * x[1::2],
    "rev": lambda x: jnp.flip(x) * x,
    "pad": lambda x: jnp.pad(x, (2, 1)) ** 2,
    "concatenate": lambda x: jnp.concatenate([x[:2] ** 2, x[3:] * x[0]]),
    "stack": lambda x: jnp.stack([x, x ** 2]).ravel(),
    "split": lambda x: jnp.split(x, 2)[0] * jnp.split(x, 2)[1],
    "squeeze_expand": lambda x: jnp.squeeze(jnp.expand_dims(x, 0) ** 2, 0),
    "gather": lambda x: x[jnp.array([0, 3, 3, 5])] * x[jnp.array([1, 1, 2, 4])],
    "gather_2d": lambda x: x.reshape(2, 3)[jnp.array([1, 0]), jnp.array([2, 0])] ** 2,
    "dynamic_slice": lambda x: lax.dynamic_slice(x, (2,), (3,)) ** 2,
    "dynamic_update_slice": lambda x: lax.dynamic_update_slice(x, x[:2] ** 2, (3,)),
    "scatter_add": lambda x: jnp.zeros(4).at[jnp.array([0, 2, 0, 3, 1, 1])].add(x ** 2),
    "scatter_set": lambda x: x.at[jnp.array([1, 4])].set(x[:2] * x[5]),
    "scatter_mul": lambda x: x.at[jnp.array([1, 4])].multiply(x[:2], unique_indices=True),
    "scatter_min_max": lambda x: x.at[jnp.array([1, 4, 4])].min(x[:3] * 2.0).at[
        jnp.array([0, 0])].max(x[4:] ** 2),
    "tile_unstack": lambda x: jnp.tile(x[:3], 2) * jnp.unstack(x.reshape(2, 3))[1][0],
    "ranged_index": lambda x: x[(x[0] > 0).astype(jnp.int32) * 2 + 1] * x,
    # reductions and scans
    "reduce_sum_axis": lambda x: jnp.sum(x.reshape(2, 3) ** 2, axis=0),
    "reduce_max_min": lambda x: jnp.max(x.reshape(3, 2), axis=1) * jnp.min(x[:2]),
    "reduce_prod": lambda x: jnp.prod(x.reshape(3, 2), axis=1),
    "cumsum": lambda x: jnp.cumsum(x ** 2),
    "cumsum_reverse": lambda x: lax.cumsum(x, reverse=True) * x,
    "cumprod": lambda x: jnp.cumprod(x),
    "cummax": lambda x: lax.cummax(x) * x,
    "argmax": lambda x: x * jnp.argmax(x).astype(x.dtype),
    "logsumexp": lambda x: jax.nn.logsumexp(x.reshape(2, 3), axis=1),
    "softmax": lambda x: jax.nn.softmax(x.reshape(2, 3), axis=1).ravel(),
    # products
    "dot": lambda x: x[:3] @ x.reshape(3, 2) * x[5],
    "dot_batch": lambda x: jnp.einsum("bij,bj->bi", x[:4].reshape(2, 2, 1) * x[None, None, 4:5],
                                      x[4:].reshape(2, 1)).ravel(),
    "matvec_const": lambda x: jnp.asarray(np.eye(N, k=1) - np.eye(N)) @ (x ** 2),
    "conv": lambda x: lax.conv_general_dilated(x.reshape(1, 1, 6), x[None, None, :3] * 0.5,
                                               (1,), "SAME").ravel(),
    "conv_batch_groups": lambda x: lax.conv_general_dilated(
        x.reshape(2, 1, 3), x[:4].reshape(2, 1, 2), (1,), "VALID", batch_group_count=2).ravel(),
    # order statistics
    "sort": lambda x: jnp.sort(x.reshape(2, 3), axis=1).ravel() * x,
    "argsort": lambda x: x[jnp.argsort(lax.stop_gradient(x))] * 1.0,
    "top_k": lambda x: lax.top_k(x, 2)[0] ** 2,
    # linear algebra
    "cholesky": lambda x: jnp.linalg.cholesky(_spd(x)).ravel(),
    "solve": lambda x: jnp.linalg.solve(_spd(x), x[4:]),
    "eigh": lambda x: jnp.linalg.eigh(_spd(x))[0],
    "qr": lambda x: jnp.linalg.qr(x.reshape(3, 2))[1].ravel(),
    # control flow and calls
    "nested_jit": lambda x: jax.jit(lambda y: jnp.sin(y[1:]) * y[:-1])(x),
    "checkpoint": lambda x: jax.checkpoint(lambda y: jnp.exp(y) * y[::-1])(x),
    "cond": lambda x: lax.cond(x[0] > 0, lambda y: y ** 2, lambda y: jnp.sin(y) * y[1], x),
    "switch": lambda x: lax.switch(jnp.argmax(x) % 3, [jnp.sin, jnp.cos, lambda y: y * y[0]], x),
    "fori_loop": lambda x: lax.fori_loop(1, 5, lambda i, c: c.at[i].set(c[i - 1] * c[i]), x),
    "while_loop": _loop_while,
    "scan_carry": _scan_carry,
    "scan_map": lambda x: lax.map(lambda r: jnp.sin(r[0] * r[1]), x.reshape(3, 2)),
    "custom_jvp_softplus": lambda x: jax.nn.softplus(x) * x[0],
    "custom_jvp_relu": lambda x: jax.nn.relu(x) * x[::-1],
    "custom_jvp_ste": lambda x: straight_through_round(x * 3.0) * x,
    "custom_vjp": lambda x: clipped_sin(x) ** 2,
}


# While loops with a value-dependent condition have no reverse mode in JAX.
FORWARD_ONLY = {"while_loop"}
# custom_vjp functions have no forward mode.
REVERSE_ONLY = {"custom_vjp"}


def _points(k=3):
    rng = np.random.default_rng(0)
    return [jnp.asarray(rng.uniform(-1.5, 1.5, N)) for _ in range(k)]


def _dense(fn, x):
    return np.asarray(fn(x)).reshape(-1, N)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_contains_dense_derivatives(name):
    f = CASES[name]
    x0 = _points()[0]
    m = np.size(f(x0))
    w = jnp.asarray(np.random.default_rng(1).uniform(0.5, 1.5, m))

    def scalar(x):
        return jnp.sum(w * jnp.ravel(f(x)))

    jac = jacobian_sparsity(f, x0).toarray()
    hess = hessian_sparsity(scalar, x0).toarray()
    assert jac.shape == (m, N) and hess.shape == (N, N)
    assert (hess == hess.T).all()
    jac_fn = jax.jacrev if name in REVERSE_ONLY else jax.jacfwd
    hess_fn = (lambda g: jax.jacfwd(jax.jacfwd(g))) if name in FORWARD_ONLY else jax.hessian
    dense_jac = jax.jit(jac_fn(lambda y: jnp.ravel(f(y))))
    dense_hess = jax.jit(hess_fn(scalar))
    for x in _points():
        dj = _dense(dense_jac, x)
        dh = _dense(dense_hess, x)
        missed_j = np.argwhere((np.abs(dj) > 1e-12) & ~jac)
        missed_h = np.argwhere((np.abs(dh) > 1e-12) & ~hess)
        assert missed_j.size == 0, f"{name}: Jacobian entries missed {missed_j.tolist()}"
        assert missed_h.size == 0, f"{name}: Hessian entries missed {missed_h.tolist()}"


# ----------------------------------------------------------------- exact patterns

def _band(n, k):
    return (np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= k)


def test_bilinear_has_no_diagonal_curvature():
    h = hessian_sparsity(lambda x: jnp.sum(x[::2] * x[1::2]), jnp.ones(N)).toarray()
    expected = np.zeros((N, N), bool)
    for i in range(0, N, 2):
        expected[i, i + 1] = expected[i + 1, i] = True
    assert (h == expected).all()


def test_piecewise_linear_has_no_curvature():
    f = lambda x: jnp.sum(jnp.abs(x) + jax.nn.relu(x) + jnp.maximum(x, 0.3))
    assert hessian_sparsity(f, jnp.ones(N)).nnz == 0
    assert jacobian_sparsity(f, jnp.ones(N)).nnz == N


def test_known_zeros_of_constants_are_structural():
    lap = np.diag(-2.0 * np.ones(N)) + np.eye(N, k=1) + np.eye(N, k=-1)
    j = jacobian_sparsity(lambda x: jnp.asarray(lap) @ x, jnp.ones(N)).toarray()
    assert (j == (lap != 0)).all()
    h = hessian_sparsity(lambda x: jnp.sum((jnp.asarray(lap) @ x) ** 2), jnp.ones(N)).toarray()
    assert (h == _band(N, 2)).all()
    mask = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    h = hessian_sparsity(lambda x: jnp.sum(jnp.asarray(mask) * jnp.exp(x)), jnp.ones(N)).toarray()
    assert (h == np.diag(mask != 0)).all()


def test_conv_stencil_gives_five_point_pattern():
    side = 5
    kernel = jnp.asarray([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])

    def f(x):
        return lax.conv_general_dilated(x.reshape(1, 1, side, side), kernel[None, None],
                                        (1, 1), "SAME").ravel()
    j = jacobian_sparsity(f, jnp.ones(side * side)).toarray()
    g = np.arange(side * side).reshape(side, side)
    expected = np.zeros_like(j)
    for r in range(side):
        for c in range(side):
            for dr, dc in [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]:
                if 0 <= r + dr < side and 0 <= c + dc < side:
                    expected[g[r, c], g[r + dr, c + dc]] = True
    assert (j == expected).all()


def test_gather_scatter_with_constant_indices_are_exact():
    edges = np.array([[0, 5], [1, 2], [3, 4]])

    def energy(x, idx):
        return jnp.sum((x[idx[:, 0]] - x[idx[:, 1]]) ** 2)

    h = hessian_sparsity(energy, jnp.ones(N), edges).toarray()
    expected = np.zeros((N, N), bool)
    for a, b in edges:
        expected[[a, a, b, b], [a, b, a, b]] = True
    assert (h == expected).all()
    # The same index array given only as a shape: valid for every value, so dense.
    spec = jax.ShapeDtypeStruct(edges.shape, edges.dtype)
    with pytest.warns(SparsityWarning, match="argument 1 of f"):
        assert hessian_sparsity(energy, jnp.ones(N), spec).nnz == N * N


def test_cond_with_known_index_takes_one_branch():
    f = lambda x: lax.cond(True, lambda y: jnp.sum(y[:2] ** 2), lambda y: jnp.sum(y ** 3), x)
    h = hessian_sparsity(f, jnp.ones(N)).toarray()
    assert (h == np.diag([1, 1, 0, 0, 0, 0]).astype(bool)).all()
    g = lambda x: lax.cond(x[0] > 0, lambda y: jnp.sum(y[:2] ** 2), lambda y: jnp.sum(y[4:] ** 3), x)
    h = hessian_sparsity(g, jnp.ones(N)).toarray()
    assert (h == np.diag([1, 1, 0, 0, 1, 1]).astype(bool)).all()


def test_loop_updating_neighbours_is_banded():
    n = 40

    def f(x):
        def body(i, y):
            return y.at[i].set(x[i - 1] * x[i] + jnp.sin(x[i + 1]))
        return lax.fori_loop(1, n - 1, body, jnp.zeros(n))
    j = jacobian_sparsity(f, jnp.ones(n)).toarray()
    expected = _band(n, 1)
    expected[0] = expected[-1] = False
    assert (j == expected).all()


def test_long_scan_is_exact_and_fixed_point_is_conservative(monkeypatch):
    n = 30

    def diffuse(x):
        def body(c, _):
            return c + 0.1 * (jnp.roll(c, 1) - 2 * c + jnp.roll(c, -1)) ** 2, None
        return lax.scan(body, x, None, length=3)[0]
    unrolled = jacobian_sparsity(diffuse, jnp.ones(n)).toarray()
    circulant = _band(n, 3) | _band(n, 3)[::-1, ::-1].T
    idx = np.arange(n)
    dist = np.minimum(np.abs(idx[:, None] - idx[None]), n - np.abs(idx[:, None] - idx[None]))
    assert (unrolled == (dist <= 3)).all()
    monkeypatch.setattr(control_flow, "UNROLL_LIMIT", 2)
    fixed = jacobian_sparsity(diffuse, jnp.ones(n)).toarray()
    assert (fixed >= unrolled).all()
    hess = hessian_sparsity(lambda x: jnp.sum(diffuse(x)), jnp.ones(n)).toarray()
    dense = np.asarray(jax.hessian(lambda x: jnp.sum(diffuse(x)))(jnp.linspace(0, 1, n)))
    assert not ((np.abs(dense) > 1e-12) & ~hess).any()
    del circulant


def test_thousand_step_scan():
    def f(x):
        def body(c, xi):
            c = c.at[1:].add(jnp.tanh(c[:-1]) * xi)
            return c, jnp.sum(c[:2] ** 2)
        return jnp.sum(lax.scan(body, x[:8], x[8:])[1])
    x = jnp.linspace(0.1, 1.0, 1008)
    h = hessian_sparsity(f, x)
    dense = np.abs(np.asarray(jax.jit(jax.hessian(f))(x))) > 0
    assert h.shape == (1008, 1008)
    assert not (dense & ~h.toarray()).any()
    assert h.nnz == dense.sum()        # exact here: nothing beyond the true nonzeros


def _shift_register(x):
    w = jnp.asarray(np.linspace(-1.0, 1.0, 4))

    def step(s, u):
        s = jnp.concatenate([0.9 * s[1:], jnp.tanh(u)[None]])
        return s, jnp.tanh(jnp.dot(w, s)) ** 2 + (s[-1] * s[-2]) ** 2
    return jnp.sum(lax.scan(step, x[:4], x[4:])[1])


def _nested_scans(x):
    def inner(c, u):
        return jnp.tanh(c * u + c[::-1]), c[0] * c[1]

    def outer(c, u):
        c, ys = lax.scan(inner, c, u)
        return c + jnp.sum(ys), jnp.sum(c ** 2)
    c, ys = lax.scan(outer, x[:4], x[4:].reshape(3, 2, 4))
    return jnp.sum(ys) + jnp.sum(c)


def _masked_steps(x):
    """Known per-step values that change the body's structure (zero factors)."""
    masks = jnp.asarray(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]] * 2))

    def step(c, m):
        c = jnp.stack([c[0] * m[0] * c[1], c[1] + m[1] * c[0] ** 2])
        return c, c[0] * m[1]
    c, ys = lax.scan(step, x[:2], masks)
    return jnp.sum(ys) + c[0] * x[2]


def _counter_carry(x):
    def step(c, u):
        i, s = c
        s = s.at[i % 4].set(s[i % 4] * u + s[(i + 1) % 4])
        return (i + 1, s), jnp.sum(jnp.where(jnp.arange(4) <= i % 3, s, 0.0) ** 2)
    (_, s), ys = lax.scan(step, (0, x[:4]), x[4:])
    return jnp.sum(ys) + jnp.sum(s * s[::-1])


def _while_in_body(x):
    def step(c, u):
        d = lax.while_loop(lambda v: v[0] < 3.0, lambda v: v * 1.5 + 0.1 * v[::-1] ** 2, c)
        return d * u, jnp.sum(d[:2])
    return jnp.sum(lax.scan(step, jnp.abs(x[:4]) + 0.1, x[4:])[1])


def _constants_and_swaps(x):
    mask, table = jnp.asarray([1.0, 0.0, 2.0]), jnp.asarray([2, 0, 1])

    def step(c, u):
        a, b = c
        a = mask * a[table] * u + jax.nn.softplus(a)
        return (b, a), jnp.sum(mask * a ** 2) + jnp.where(u > 0, b[0], b[1] * u)
    (a, b), ys = lax.scan(step, (x[:3], x[3:6]), x[6:], reverse=True)
    return jnp.sum(ys) + jnp.sum(a[:1] * b)


def _partly_unused(x):
    def step(c, u):
        a, b = c
        return (a * u, jnp.sin(b) * a), (a[0] ** 2, jnp.cos(b))
    (a, _), (ys, _) = lax.scan(step, (x[:2], x[2:4]), x[4:])
    return jnp.sum(ys) + jnp.sum(lax.cond(x[0] > 0, jnp.sin, jnp.cos, a))


# name -> (scalar function, n, whether a body walk is reused in global mode)
SCAN_BODIES = {
    "shift_register": (_shift_register, 12, True),
    "nested_scans": (_nested_scans, 28, True),
    "masked_steps": (_masked_steps, 3, True),
    "counter_carry": (_counter_carry, 10, False),
    "while_in_body": (_while_in_body, 8, False),
    "constants_and_swaps": (_constants_and_swaps, 11, True),
    "partly_unused": (_partly_unused, 9, True),
}


@pytest.mark.parametrize("mode", ["global", "local"])
@pytest.mark.parametrize("name", sorted(SCAN_BODIES))
def test_reused_scan_bodies_match_direct_walks(name, mode, monkeypatch):
    """A scan body walked once and reused gives exactly the patterns of walking it at every
    step, also when known values, reached outputs or fixed points vary between steps."""
    f, n, reused = SCAN_BODIES[name]
    x = jnp.asarray(np.sin(np.arange(n) * 0.7 + 0.3))
    applied = []
    apply = loop_bodies.BodySummary.apply
    monkeypatch.setattr(loop_bodies.BodySummary, "apply",
                        lambda self, prop, ins: applied.append(1) or apply(self, prop, ins))

    def patterns():
        return (hessian_sparsity(f, x, mode=mode).toarray(),
                jacobian_sparsity(lambda y: jnp.atleast_1d(f(y)), x, mode=mode).toarray())
    hess, jac = patterns()
    assert bool(applied) == reused or mode == "local"  # local mode: reused where points recur
    monkeypatch.setattr(loop_bodies, "call", lambda prop, body, ins: prop.walk_closed(body, ins))
    direct_hess, direct_jac = patterns()
    assert (hess == direct_hess).all() and (jac == direct_jac).all()
    hess_fn = jax.jacfwd(jax.jacfwd(f)) if name == "while_in_body" else jax.hessian(f)
    assert not ((np.abs(np.asarray(hess_fn(x))) > 0) & ~hess).any()


@pytest.mark.parametrize("m", [200, 5000])
def test_element_feeding_many_outputs_keeps_its_curvature(m):
    """x0 x1 reaches the output only through the m products of a dot_general: its reached
    mark must survive the backward count over m ≥ 128 outputs (it wrapped around in int8)."""
    def f(x):
        return jnp.sum(jnp.dot((x[:1] * x[1:2])[:, None], x[None, 2:]))
    h = hessian_sparsity(f, jnp.ones(m + 2)).toarray()
    expected = np.zeros((m + 2, m + 2), bool)
    expected[0, 1] = expected[1, 0] = True
    expected[:2, 2:] = expected[2:, :2] = True
    assert (h == expected).all()


def test_custom_jvp_follows_user_rule():
    j = jacobian_sparsity(straight_through_round, jnp.ones(N)).toarray()
    assert (j == np.eye(N, dtype=bool)).all()      # the primal alone would give nothing
    h = hessian_sparsity(lambda x: jnp.sum(jax.nn.softplus(x)), jnp.ones(N)).toarray()
    assert (h == np.eye(N, dtype=bool)).all()
    h = hessian_sparsity(lambda x: jnp.sum(jax.nn.relu(x)), jnp.ones(N))
    assert h.nnz == 0


def test_pytree_inputs_and_outputs_flatten_in_tree_order():
    def f(p):
        return {"a": p["w"] * p["b"][0], "b": jnp.sin(p["b"])}
    params = {"b": jnp.ones(2), "w": jnp.ones(3)}   # tree order: b, w
    j = jacobian_sparsity(f, params).toarray()
    expected = np.array([[1, 0, 1, 0, 0], [1, 0, 0, 1, 0], [1, 0, 0, 0, 1],
                         [1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], bool)
    assert (j == expected).all()


def test_argnums_tuple_concatenates_arguments():
    f = lambda a, b, c: jnp.sum(a * c[0]) + jnp.sum(b ** 2)
    h = hessian_sparsity(f, jnp.ones(2), jnp.ones(1), jnp.ones(3), argnums=(0, 2)).toarray()
    expected = np.zeros((5, 5), bool)
    expected[[0, 1, 2, 2], [2, 2, 0, 1]] = True
    assert (h == expected).all()


def test_local_mode_resolves_values():
    x = jnp.array([1.0, -2.0, 3.0, -4.0])

    def f(y):
        return jnp.sum(jnp.where(y > 0, y ** 2, y[0] * y)) + jnp.maximum(y[1], y[2]) * y[3]
    local = hessian_sparsity(f, x, mode="local").toarray()
    expected = np.zeros((4, 4), bool)
    expected[[0, 2, 0, 1, 0, 3, 2, 3], [0, 2, 1, 0, 3, 0, 3, 2]] = True
    assert (local == expected).all()
    assert (hessian_sparsity(f, x).toarray() >= local).all()
    dense = np.asarray(jax.hessian(f)(x))
    assert not ((np.abs(dense) > 0) & ~local).any()
    with pytest.raises(ValueError, match="mode"):
        hessian_sparsity(f, x, mode="nearby")


def test_unknown_primitive_warns_and_is_conservative():
    f = lambda x: lax.reduce_window(x, 0.0, lax.add, (2,), (1,), "VALID") * x[0]
    with pytest.warns(SparsityWarning, match="reduce_window"):
        j = jacobian_sparsity(f, jnp.ones(N))
    dense = np.asarray(jax.jacfwd(f)(jnp.linspace(0.5, 1, N)))
    assert not ((dense != 0) & ~j.toarray()).any()
    with pytest.raises(UnsupportedPrimitiveError, match="reduce_window"):
        jacobian_sparsity(f, jnp.ones(N), strict=True)


def test_no_warning_for_supported_functions():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SparsityWarning)
        for name in ["gather", "scan_carry", "cond", "custom_vjp", "conv", "sort"]:
            jacobian_sparsity(CASES[name], jnp.ones(N))


def test_hessian_sparsity_of_vector_function_raises():
    with pytest.raises(ValueError, match="scalar"):
        hessian_sparsity(lambda x: x ** 2, jnp.ones(3))


def test_integer_input_raises():
    with pytest.raises(TypeError, match="floating"):
        jacobian_sparsity(lambda x: x * 2, jnp.arange(3))


def test_patterns_are_bool_csr():
    j = jacobian_sparsity(lambda x: x[1:] * x[:-1], jnp.ones(N))
    assert isinstance(j, sp.csr_array) and j.dtype == bool
    assert isinstance(sparsehess.hessian_sparsity(lambda x: jnp.sum(x ** 3), jnp.ones(2)),
                      sp.csr_array)


def test_bfloat16_intermediates_keep_their_dependencies():
    """bfloat16 is not a numpy inexact type (it comes from ml_dtypes) but JAX differentiates
    it: values of that dtype must carry patterns."""
    def f(x):
        return jnp.sin(x.astype(jnp.bfloat16)).astype(jnp.float32) * x[::-1]
    x = jnp.linspace(0.5, 1.0, 3)
    for mode in ("global", "local"):
        assert (jacobian_sparsity(f, x, mode=mode).toarray()
                == np.asarray(jax.jacfwd(f)(x) != 0)).all()
        h = hessian_sparsity(lambda y: jnp.sum(f(y)), x, mode=mode).toarray()
        assert (h == (np.eye(3, dtype=bool) | np.eye(3, dtype=bool)[::-1])).all()
