"""Inputs that used to crash or silently mislead (issue #11): typed PRNG keys, float16 /
bfloat16, 0-d reductions, index arguments unknown at detection time.  Each case is checked
against dense JAX, or asserts the exact error / warning and what its message names."""

import contextlib
import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import sparsehess
import sparsehess.scipy
from sparsehess import SparsityWarning

X = jnp.linspace(0.3, 1.2, 6)
KEY = jax.random.key(7)


def _close(a, b, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), atol=atol)


@contextlib.contextmanager
def _no_sparsity_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SparsityWarning)
        yield


# ------------------------------------------------------------------ 1. typed PRNG keys

def noisy(x, key):
    """Keys split, folded and drawn from inside f: uniform weights and a bernoulli mask."""
    k1, k2 = jax.random.split(key)
    mask = jax.random.bernoulli(jax.random.fold_in(k2, 3), 0.5, x.shape)
    return jnp.sum(x ** 3 * jax.random.uniform(k1, x.shape) * mask) + jnp.sum(x[1:] * x[:-1])


@pytest.mark.parametrize("fmt", ["dense", "bcoo", "scipy"])
def test_key_argument_hessian_matches_jax(fmt):
    h = sparsehess.hessian(noisy, format=fmt)(X, KEY)
    h = h if fmt == "dense" else h.todense()
    _close(h, jax.hessian(noisy)(X, KEY))


def test_key_argument_jacobian_and_diagonals_match_jax():
    g = lambda x, key: jnp.sin(x) * jax.random.normal(key, x.shape) + x[::-1] ** 2
    _close(sparsehess.jacobian(g, format="dense")(X, KEY), jax.jacfwd(g)(X, KEY))
    _close(sparsehess.jacobian_diagonal(g)(X, KEY), jnp.diag(jax.jacfwd(g)(X, KEY)))
    _close(sparsehess.hessian_diagonal(noisy)(X, KEY), jnp.diag(jax.hessian(noisy)(X, KEY)))
    value, grad, h = sparsehess.value_grad_and_hessian(noisy, format="dense")(X, KEY)
    _close(value, noisy(X, KEY))
    _close(grad, jax.grad(noisy)(X, KEY))
    _close(h, jax.hessian(noisy)(X, KEY))
    _close(sparsehess.hvp(noisy)(X, KEY, X), jax.hessian(noisy)(X, KEY) @ X)


def test_key_argument_sparsity_is_valid_for_the_key():
    dense = np.asarray(jax.hessian(noisy)(X, KEY)) != 0
    for key in (KEY, jax.ShapeDtypeStruct((), KEY.dtype)):
        h = sparsehess.hessian_sparsity(noisy, X, key).toarray()
        assert not (dense & ~h).any()
    j = sparsehess.jacobian_sparsity(lambda x, k: x * jax.random.uniform(k, x.shape), X, KEY)
    assert (j.toarray() == np.eye(6, dtype=bool)).all()


def test_keys_made_inside_f_are_known_constants():
    """PRNGKey / key inside f: evaluated at detection, so a mask or a permutation drawn
    with them gives the exact pattern."""
    draw_mask = lambda: jax.random.bernoulli(jax.random.key(1), 0.5, X.shape)
    draw_perm = lambda: jax.random.permutation(jax.random.split(jax.random.PRNGKey(2))[1], 6)
    f = lambda x: jnp.sum(x ** 2 * draw_mask()) + jnp.sum(x * x[draw_perm()])
    mask, perm = np.asarray(draw_mask()), np.asarray(draw_perm())
    expected = np.diag(mask)
    expected[np.arange(6), perm] = expected[perm, np.arange(6)] = True
    with _no_sparsity_warning():
        h = sparsehess.hessian_sparsity(f, X).toarray()
    assert (h == expected).all()
    _close(sparsehess.hessian(f, format="dense")(X), jax.hessian(f)(X))


def test_keys_in_pytrees_loops_and_jit():
    def f(x, extra):
        def body(carry, xi):
            key, total = carry
            key, sub = jax.random.split(key)
            return (key, total + xi ** 2 * jax.random.uniform(sub)), None
        (_, total), _ = lax.scan(body, (extra["key"], 0.0), x)
        return total * extra["scale"] + jnp.sum(lax.map(
            lambda a: a[0] ** 3 * jax.random.uniform(a[1]), (x, extra["keys"])))
    extra = {"key": KEY, "keys": jax.random.split(KEY, 6), "scale": 2.0}
    expected = jax.hessian(f)(X, extra)
    _close(sparsehess.hessian(f, format="dense")(X, extra), expected)
    _close(jax.jit(sparsehess.hessian(f, format="dense"))(X, extra), expected)


def test_key_in_argnums_is_a_clear_error():
    with pytest.raises(TypeError, match=r"argument 1 of f is in argnums but is a PRNG key"):
        sparsehess.hessian(noisy, argnums=1)(X, KEY)
    with pytest.raises(TypeError, match=r"PRNG key.*Leave it out of argnums"):
        sparsehess.jacobian_sparsity(noisy, X, KEY, argnums=(0, 1))


def test_scipy_minimize_with_key_argument():
    f = lambda x, key: jnp.sum((x - jax.random.uniform(key, x.shape)) ** 2)
    result = sparsehess.scipy.minimize(f, np.zeros(4), args=(KEY,), method="Newton-CG")
    _close(result.x, jax.random.uniform(KEY, (4,)), atol=1e-6)


# ------------------------------------------------------------------ 2. float16 / bfloat16

LOW = [jnp.bfloat16, jnp.float16]


def arrow(x):
    """Arrow-shaped Hessian: a dense row and column, and a chain."""
    return x[0] * jnp.sum(x ** 2) + jnp.sum(jnp.tanh(x)) + jnp.sum(jnp.sin(x[1:] * x[:-1]))


def _low_close(value, reference, dtype, ulps=2):
    """Within ``ulps`` ulps of the dtype at the reference's scale."""
    scale = float(np.max(np.abs(reference)))
    _close(value, reference, atol=ulps * float(jnp.finfo(dtype).eps) * scale)


@pytest.mark.parametrize("dtype", LOW, ids=lambda d: d.__name__)
def test_low_precision_transforms_match_jax(dtype):
    x = jnp.linspace(0.5, 1.5, 24).astype(dtype)
    dense_hessian = jax.jit(jax.hessian(arrow))            # jitted: eager is slow
    reference = np.asarray(dense_hessian(x.astype(jnp.float32)))
    expected_dtype = dense_hessian(x).dtype
    for method in ("auto", "acyclic"):                 # "auto" is "star" here
        h = sparsehess.hessian(arrow, method=method, format="dense")(x)
        assert h.dtype == expected_dtype, method
        # substitution subtracts rounded sums of several entries: a few ulps more
        _low_close(h, reference, dtype, ulps=4 if method == "acyclic" else 2)
    bcoo = sparsehess.hessian(arrow)(x)
    assert bcoo.dtype == expected_dtype
    _low_close(bcoo.todense(), reference, dtype)
    scipy_h = sparsehess.hessian(arrow, format="scipy")(x)        # scipy has no 16-bit floats
    assert scipy_h.dtype == np.float32
    _low_close(scipy_h.toarray(), reference, dtype)
    diagonal = sparsehess.hessian_diagonal(arrow)(x)
    assert diagonal.dtype == expected_dtype
    _low_close(diagonal, np.diag(reference), dtype)
    product = jax.jit(sparsehess.hvp(arrow))(x, x)
    assert product.dtype == x.dtype
    _low_close(product, reference @ np.asarray(x, np.float32), dtype)
    g = lambda x: jnp.sin(x[1:]) * x[:-1] ** 2
    jacfwd, hessian = jax.jit(jax.jacfwd(g)), jax.jit(jax.hessian(g))
    for method in ("column", "row"):
        j = sparsehess.jacobian(g, method=method, format="dense")(x)
        assert j.dtype == jacfwd(x).dtype
        _low_close(j, jacfwd(x.astype(jnp.float32)), dtype)
    per_output = sparsehess.hessian(g, format="dense")(x)
    assert per_output.dtype == hessian(x).dtype
    _low_close(per_output, hessian(x.astype(jnp.float32)), dtype)


@pytest.mark.parametrize("x_dtype, inner", [(jnp.bfloat16, jnp.bfloat16),
                                            (jnp.float32, jnp.bfloat16),
                                            (jnp.float32, jnp.float8_e4m3fn)],
                         ids=["bfloat16 x", "bfloat16 inside f", "float8 inside f"])
def test_low_precision_sparsity(x_dtype, inner):
    """Patterns of 16-bit inputs, and of f32 inputs through narrower floats inside f
    (which detection used to treat as non-differentiable: an empty pattern, a zero
    Hessian)."""
    f = lambda x: jnp.sum(jnp.sin(x.astype(inner)[1:] * x.astype(inner)[:-1])).astype(x.dtype)
    x = jnp.linspace(0.5, 1.0, 5).astype(x_dtype)
    band = np.abs(np.subtract.outer(np.arange(5), np.arange(5))) <= 1
    assert (sparsehess.hessian_sparsity(f, x).toarray() == band).all()
    g = lambda x: (x.astype(inner)[1:] * x.astype(inner)[:-1]).astype(x.dtype)
    assert sparsehess.jacobian_sparsity(g, x).nnz == 8
    if inner != jnp.float8_e4m3fn:
        _low_close(sparsehess.hessian(f, format="dense")(x), jax.hessian(f)(x), inner)


# ------------------------------------------------------------------ 3. 0-d reductions

ZERO_D = {
    "sum of sum": lambda x: jnp.sum(jnp.sum(x ** 2)) * x[0],
    "max of element": lambda x: jnp.max(x[0]) * x[1] ** 2,
    "min of element": lambda x: jnp.min(x[2] ** 2) + x[3],
    "mean of sum": lambda x: jnp.mean(jnp.sum(x ** 3)),
    "prod of element": lambda x: jnp.prod(x[0] ** 2) * x[4],
    "logsumexp of element": lambda x: jax.nn.logsumexp(x[1] * x[2]),
}


@pytest.mark.parametrize("name", list(ZERO_D))
def test_zero_dimensional_reductions(name):
    f = ZERO_D[name]
    dense = np.asarray(jax.hessian(f)(X))
    h = sparsehess.hessian_sparsity(f, X).toarray()
    assert not ((dense != 0) & ~h).any()
    _close(sparsehess.hessian(f, format="dense")(X), dense)
    _close(sparsehess.jacobian(f, format="dense")(X), jax.jacfwd(f)(X))
    _close(sparsehess.hessian_diagonal(f)(X), np.diag(dense))


# ------------------------------------------------------------------ 4. unknown index arguments

INDEXED = {
    "gather": lambda x, i: jnp.sum(x[i] ** 2 * x[0]),
    "dynamic_slice": lambda x, i: jnp.sum(lax.dynamic_slice(x, (i[0],), (2,)) ** 3),
    "dynamic_update_slice": lambda x, i: jnp.sum(
        lax.dynamic_update_slice(x, x[:2] ** 2, (i[1],)) ** 2),
    "scatter": lambda x, i: jnp.sum(x.at[i].set(x[4:] ** 2) ** 2),
    "scatter-add": lambda x, i: jnp.sum(jnp.zeros(6).at[i].add(x[:2]) ** 3),
}
IDX = jnp.array([1, 3])


@pytest.mark.parametrize("primitive", list(INDEXED))
def test_unknown_index_argument_warns_once_naming_it(primitive):
    f = INDEXED[primitive]
    with pytest.warns(SparsityWarning) as record:
        h = sparsehess.hessian(f, format="dense")(X, IDX)
    messages = [str(w.message) for w in record if issubclass(w.category, SparsityWarning)]
    assert len(messages) == 1
    assert f"'{primitive}'" in messages[0] and "argument 1 of f" in messages[0]
    assert "functools.partial" in messages[0]
    _close(h, jax.hessian(f)(X, IDX))
    with _no_sparsity_warning():                 # known indices: exact, no warning
        exact = sparsehess.prepare_hessian(functools.partial(f, i=IDX), X, format="dense")
        concrete = sparsehess.hessian_sparsity(f, X, IDX)
    assert exact.pattern.nnz == concrete.nnz < 36
    _close(exact(X), jax.hessian(f)(X, IDX))


def test_unknown_index_warning_names_only_the_costly_leaf():
    """Named by its pytree path; unknown indices into a constant table, or computed from
    the differentiated input (nothing a caller could make known), cost nothing and are
    not named."""
    table = jnp.arange(10.0)
    f = lambda x, data: (jnp.sum(x[data["edges"]] ** 2) * jnp.sum(table[data["rows"]])
                         + x[jnp.argmax(x)] ** 2)
    data = {"edges": IDX, "rows": IDX}
    with pytest.warns(SparsityWarning) as record:
        h = sparsehess.hessian(f, format="dense")(X, data)
    messages = [str(w.message) for w in record if issubclass(w.category, SparsityWarning)]
    assert len(messages) == 1
    assert "argument 1 of f (leaf args[1]['edges'])" in messages[0]
    _close(h, jax.hessian(f)(X, data))
    spec = {"edges": jax.ShapeDtypeStruct(IDX.shape, IDX.dtype), "rows": IDX}
    with pytest.warns(SparsityWarning, match=r"args\[1\]\['edges'\]"):
        assert sparsehess.hessian_sparsity(f, X, spec).nnz == 36


# ------------------------------------------------------------------ nearby: scatter variants

def test_scatter_sub_min_max_are_exact():
    idx = jnp.array([0, 2])
    cases = {
        "sub": lambda x: x.at[idx].subtract(x[3:5] ** 2),
        "min": lambda x: x.at[idx].min(x[3:5]),
        "max": lambda x: x.at[idx].max(x[3:5] * x[5]),
    }
    for name, f in cases.items():
        with _no_sparsity_warning():
            j = sparsehess.jacobian_sparsity(f, X).toarray()
            h = sparsehess.hessian_sparsity(lambda x: jnp.sum(f(x) ** 2), X).toarray()
        point = jnp.linspace(-1.0, 1.3, 6)
        assert not ((np.asarray(jax.jacfwd(f)(point)) != 0) & ~j).any(), name
        assert j.sum() < 36 and h.sum() < 36, name
        _close(sparsehess.jacobian(f, format="dense")(point), jax.jacfwd(f)(point))
