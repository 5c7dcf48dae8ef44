"""JAX semantics of the transforms: argnums order, has_aux, output shapes, plan signatures,
cache keys, static arguments, hvp — each against jax.hessian / jax.jacfwd / jax.grad."""

import os
import subprocess
import sys
import textwrap
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsehess

RNG = np.random.default_rng(11)
X = jnp.asarray(RNG.uniform(0.5, 1.5, 3))
Y = jnp.asarray(RNG.uniform(0.5, 1.5, 2))


def g(x, y):
    return jnp.sum(x ** 2 * y[0]) + jnp.sum(jnp.sin(y)) * x[0] + jnp.sum(y ** 3) * x[2]


def vector_g(x, y):
    return {"u": x * y[0] ** 2, "v": jnp.sin(y) * x[1]}


def assert_tree_close(got, expected, tol=1e-10):
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(expected)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected)):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def flat_reference(fun, argnums, *args):
    """jax.hessian of fun over the concatenation of args[argnums] in argnums order."""
    sizes = [args[i].size for i in argnums]

    def of_flat(z):
        full = list(args)
        for i, piece in zip(argnums, jnp.split(z, np.cumsum(sizes)[:-1])):
            full[i] = piece.reshape(args[i].shape)
        return fun(*full)
    return jax.hessian(of_flat)(jnp.concatenate([args[i].ravel() for i in argnums]))


# ------------------------------------------------------------------ argnums order

@pytest.mark.parametrize("argnums", [(1, 0), (0, 1), 1, np.int64(1), (np.int64(1),), [1, 0]])
def test_hessian_argnums_order_like_jax(argnums):
    got = sparsehess.hessian(g, argnums=argnums, format="dense")(X, Y)
    jax_argnums = tuple(int(a) for a in argnums) if isinstance(argnums, (tuple, list)) else int(argnums)
    assert_tree_close(got, jax.hessian(g, argnums=jax_argnums)(X, Y))
    nums = jax_argnums if isinstance(jax_argnums, tuple) else (jax_argnums,)
    sparse = sparsehess.hessian(g, argnums=argnums)(X, Y)
    np.testing.assert_allclose(sparse.todense(), flat_reference(g, nums, X, Y), atol=1e-10)


def test_jacobian_and_diagonal_argnums_order_like_jax():
    got = sparsehess.jacobian(vector_g, argnums=(1, 0), format="dense")(X, Y)
    assert_tree_close(got, jax.jacfwd(vector_g, argnums=(1, 0))(X, Y))
    diag = sparsehess.hessian_diagonal(g, argnums=(1, 0))(X, Y)
    blocks = jax.hessian(g, argnums=(1, 0))(X, Y)
    assert_tree_close(diag, (jnp.diag(blocks[0][0]), jnp.diag(blocks[1][1])))
    value, grad, h = sparsehess.value_grad_and_hessian(g, argnums=(1, 0), format="dense")(X, Y)
    assert_tree_close(grad, jax.grad(g, argnums=(1, 0))(X, Y))
    assert_tree_close(h, jax.hessian(g, argnums=(1, 0))(X, Y))
    np.testing.assert_allclose(value, g(X, Y))


def test_per_output_hessians_of_pytrees_like_jax():
    got = sparsehess.hessian(vector_g, argnums=(1, 0), format="dense")(X, Y)
    assert_tree_close(got, jax.hessian(vector_g, argnums=(1, 0))(X, Y))


def test_hvp_reads_v_in_argnums_order():
    vy, vx = jnp.asarray([0.3, -1.0]), jnp.asarray([1.0, 2.0, -0.5])
    hy, hx = sparsehess.hvp(g, argnums=(1, 0))(X, Y, (vy, vx))
    full = flat_reference(g, (1, 0), X, Y) @ jnp.concatenate([vy, vx])
    np.testing.assert_allclose(jnp.concatenate([hy, hx]), full, atol=1e-10)
    np.testing.assert_allclose(sparsehess.hvp(g, argnums=np.int64(1))(X, Y, vy),
                               jax.hessian(g, argnums=1)(X, Y) @ vy, atol=1e-10)


def test_hvp_errors_name_the_missing_vector():
    with pytest.raises(TypeError, match="vector v"):
        sparsehess.hvp(lambda x: jnp.sum(x ** 3))(X)
    with pytest.raises(ValueError, match="one tangent per differentiated"):
        sparsehess.hvp(g, argnums=(0, 1))(X, Y, (X,))


def test_bad_argnums_are_clear_errors():
    with pytest.raises(ValueError, match="twice"):
        sparsehess.hessian(g, argnums=(0, 0))(X, Y)
    with pytest.raises(ValueError, match="refers to argument 3"):
        sparsehess.hessian(g, argnums=3)(X, Y)
    with pytest.raises(TypeError, match="argnums must be an int"):
        sparsehess.hessian(g, argnums=1.5)(X, Y)


# ------------------------------------------------------------------ has_aux

@pytest.mark.parametrize("transform", [sparsehess.hessian, sparsehess.jacobian,
                                       sparsehess.hessian_diagonal])
def test_has_aux_requires_a_pair(transform):
    stacked = lambda x: jnp.stack([jnp.sum(x), jnp.sum(x ** 2)])
    with pytest.raises(TypeError, match="two-element tuple"):
        transform(stacked, has_aux=True)(X)
    triple = lambda x: (jnp.sum(x ** 2), 1.0, 2.0)
    with pytest.raises(TypeError, match="two-element tuple"):
        transform(triple, has_aux=True)(X)
    with pytest.raises(TypeError):
        jax.hessian(stacked, has_aux=True)(X)           # JAX refuses it too


def test_has_aux_pair_like_jax():
    f = lambda x: (jnp.sum(x ** 3), {"norm": jnp.sum(x ** 2)})
    h, aux = sparsehess.hessian(f, has_aux=True, format="dense")(X)
    expected, expected_aux = jax.hessian(f, has_aux=True)(X)
    assert_tree_close(h, expected)
    assert_tree_close(aux, expected_aux)


# ------------------------------------------------------------------ output shapes

def test_one_element_output_keeps_its_axis_like_jax():
    f = lambda x: jnp.sum(x ** 3, keepdims=True)
    dense = sparsehess.hessian(f, format="dense")(X)
    assert_tree_close(dense, jax.hessian(f)(X))
    assert dense.shape == (1, 3, 3)
    bcoo = sparsehess.hessian(f)(X)
    assert bcoo.shape == (1, 3, 3)
    np.testing.assert_allclose(bcoo.todense(), jax.hessian(f)(X), atol=1e-12)
    assert sparsehess.hessian(f, format="scipy")(X).shape == (1, 3, 3)
    diag = sparsehess.hessian_diagonal(f)(X)
    np.testing.assert_allclose(diag, jnp.diagonal(jax.hessian(f)(X), axis1=1, axis2=2))
    scalar = sparsehess.hessian(lambda x: jnp.sum(x ** 3))(X)
    assert scalar.shape == (3, 3)


def test_dense_results_keep_output_pytrees():
    f = lambda x: {"a": jnp.sum(x ** 3), "b": jnp.sum(jnp.sin(x))}
    assert_tree_close(sparsehess.hessian(f, format="dense")(X), jax.hessian(f)(X))
    assert_tree_close(sparsehess.jacobian(f, format="dense")(X), jax.jacfwd(f)(X))


def test_pytree_argument_gives_pytree_results():
    params = {"w": jnp.asarray(RNG.normal(size=(2, 2))), "b": jnp.asarray(RNG.normal(size=2))}
    f = lambda p: jnp.sum(jnp.tanh(p["w"] @ p["b"]) ** 2) + jnp.sum(p["b"] ** 4)
    assert_tree_close(sparsehess.hessian(f, format="dense")(params), jax.hessian(f)(params))
    diag = sparsehess.hessian_diagonal(f)(params)
    hess = jax.hessian(f)(params)
    assert_tree_close(diag, {k: jnp.diag(hess[k][k].reshape(params[k].size, -1)).reshape(
        params[k].shape) for k in params})


def test_complex_outputs_pick_forward_products():
    f = lambda x: x[1:] * x[:-1] * (1 + 2j)
    x = jnp.linspace(0.1, 1.0, 6)
    expected = jax.jacfwd(f)(x)
    np.testing.assert_allclose(sparsehess.jacobian(f, format="dense")(x), expected)
    for method in ("row", "bicoloring"):
        with pytest.raises(ValueError, match="method='column'"):
            sparsehess.jacobian(f, method=method)(x)
    with pytest.raises(TypeError, match="complex-valued scalar"):
        sparsehess.hessian(lambda x: jnp.sum(x ** 2) * (1 + 1j))(x)


# ------------------------------------------------------------------ plans check arguments

def two(a, b):
    return jnp.sum(a ** 2) * jnp.sum(b ** 3)


@pytest.mark.parametrize("bad, words", [
    ((jnp.ones(2), jnp.ones(3)), r"args\[0\] = float64\[3\].*got float64\[2\]"),
    ((jnp.ones(3), jnp.ones(2), jnp.ones(2)), "structured as"),
    ((jnp.ones(4), jnp.ones(2)), r"float64\[3\].*float64\[4\]"),
    ((jnp.ones(3, jnp.float32), jnp.ones(2)), r"float64\[3\].*float32\[3\]"),
    (({"a": jnp.ones(3)}, jnp.ones(2)), "structured as"),
])
def test_plan_rejects_arguments_it_was_not_built_for(bad, words):
    plan = sparsehess.prepare_hessian(two, jnp.ones(3), jnp.ones(2), argnums=(0, 1))
    np.testing.assert_allclose(plan(X, Y).todense(), flat_reference(two, (0, 1), X, Y), atol=1e-10)
    for call in (plan, plan.values):
        with pytest.raises(ValueError, match=words):
            call(*bad)
    with pytest.raises(ValueError, match=words):
        plan.value_grad_and_hessian(*bad)


def test_plan_rejects_another_x64_setting():
    plan = sparsehess.prepare_hessian(two, jnp.ones(3), jnp.ones(2))
    with jax.enable_x64(False):
        with pytest.raises(ValueError, match="jax_enable_x64"):
            plan(np.ones(3, np.float32), np.ones(2, np.float32))


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype float64")
def test_cache_key_follows_the_x64_flag():
    h = sparsehess.hessian(lambda x: jnp.sum(jnp.sin(x) ** 3), format="dense")
    x = np.linspace(0.1, 1.0, 4)                       # numpy float64: JAX's dtype follows x64
    assert h(x).dtype == jnp.float64
    with jax.enable_x64(False):
        out = h(x)
        assert out.dtype == jnp.float32
        np.testing.assert_allclose(out, jax.hessian(lambda x: jnp.sum(jnp.sin(x) ** 3))(x),
                                   rtol=1e-5)
    assert h(x).dtype == jnp.float64
    assert len(h.plans) == 2
    made_under_x64 = jnp.asarray(x)                    # stays float64 after the flip
    f = lambda x: jnp.sum(jnp.sin(x) ** 3) + jnp.sum(x * jnp.float64(0.1))
    h = sparsehess.hessian(f, format="dense")
    h(made_under_x64)
    with jax.enable_x64(False):
        np.testing.assert_allclose(h(made_under_x64), jax.hessian(f)(made_under_x64), rtol=1e-5)
    assert len(h.plans) == 2                           # a plan per precision, none reused


def test_plan_cache_is_bounded():
    from sparsehess._src import interface
    h = sparsehess.hessian_diagonal(lambda x: jnp.sum(x ** 3))
    for n in range(1, interface.PLAN_CACHE_SIZE + 6):
        np.testing.assert_allclose(h(jnp.ones(n)), 6 * np.ones(n))
    assert len(h.plans) == interface.PLAN_CACHE_SIZE
    sizes = [key[0][1][0].shape for key in h.plans]
    assert sizes[-1] == (interface.PLAN_CACHE_SIZE + 5,) and (1,) not in sizes


def test_weak_typed_arguments_keep_jax_promotion():
    f = lambda x, s: jnp.sum(jnp.sin(x) ** 2 * s)
    x = jnp.linspace(0.1, 1.0, 4, dtype=jnp.float32)
    s = jnp.asarray(2.0)                               # weakly typed: does not promote x
    got = sparsehess.hessian(f, format="dense")(x, s)
    expected = jax.hessian(f)(x, s)
    assert got.dtype == expected.dtype == jnp.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5)


# ------------------------------------------------------------------ static arguments

def test_python_values_are_static_like_jax():
    sized = lambda x, n: jnp.sum(x[:n] ** 3)
    got = sparsehess.hessian(sized, format="dense")
    for n in (2, 3):
        np.testing.assert_allclose(got(X, n), jax.hessian(sized)(X, n))
    assert len(got.plans) == 2
    flagged = lambda x, mode: jnp.sum(x ** 2) if mode == "square" else jnp.sum(x ** 4)
    for mode in ("square", "quartic"):
        np.testing.assert_allclose(sparsehess.hessian(flagged, format="dense")(X, mode),
                                   jax.hessian(flagged)(X, mode))
        np.testing.assert_allclose(sparsehess.hessian_sparsity(flagged, X, mode).toarray(),
                                   np.eye(3, dtype=bool))
    np.testing.assert_allclose(sparsehess.hvp(sized)(X, 2, X), jax.hessian(sized)(X, 2) @ X)
    scaled = lambda x, c: jnp.sum(c * x ** 3)
    np.testing.assert_allclose(sparsehess.jacobian(jax.grad(scaled), format="dense")(X, 1.5),
                               jax.hessian(scaled)(X, 1.5))


def test_keyword_arguments_pass_through_like_jax():
    f = lambda x, scale=1.0, *, power=3: jnp.sum(x ** power) * scale
    for kwargs in ({"scale": 2.0}, {"scale": jnp.asarray(0.5), "power": 4}, {}):
        np.testing.assert_allclose(sparsehess.hessian(f, format="dense")(X, **kwargs),
                                   jax.hessian(f)(X, **kwargs))
        np.testing.assert_allclose(sparsehess.hessian_diagonal(f, argnums=-1)(X, **kwargs),
                                   jnp.diag(jax.hessian(f)(X, **kwargs)))


def test_unhashable_static_argument_is_a_clear_error():
    class Box:
        __hash__ = None
        value = 2.0
    with pytest.raises(TypeError, match="neither an array nor hashable"):
        sparsehess.hessian(lambda x, b: jnp.sum(x ** 3) * b.value)(X, Box())


def test_closures_are_captured_at_the_first_call():
    """Documented behaviour, like jax.jit: pass changing values as arguments."""
    scale = {"s": 1.0}
    h = sparsehess.hessian(lambda x: scale["s"] * jnp.sum(x ** 3), format="dense")
    first = h(X)
    scale["s"] = 2.0
    np.testing.assert_allclose(h(X), first)            # the cached plan kept s = 1
    by_argument = sparsehess.hessian(lambda x, s: s * jnp.sum(x ** 3), format="dense")
    np.testing.assert_allclose(by_argument(X, jnp.asarray(2.0)), 2 * first)


# ------------------------------------------------------------------ several devices

def test_every_method_on_four_devices():
    code = textwrap.dedent("""
        import jax, jax.numpy as jnp, numpy as np
        jax.config.update("jax_enable_x64", True)
        import sparsehess
        assert len(jax.devices()) == 4
        fs = {"diag": jnp.sin, "row": lambda x: jnp.stack([jnp.sum(x ** 2)]),
              "chain": lambda x: x[1:] * x[:-1],
              "arrow": lambda x: jnp.concatenate([jnp.sum(x ** 2)[None], x[1:] * x[0]])}
        for n in (3, 8):
            x = jnp.linspace(0.1, 1.0, n)
            for name, f in fs.items():
                for method in ("bicoloring", "row", "column", "auto"):
                    got = sparsehess.jacobian(f, method=method, format="dense")(x)
                    np.testing.assert_allclose(got, jax.jacfwd(f)(x), atol=1e-12)
                s = lambda x: jnp.sum(f(x) ** 2)
                for method in ("star", "acyclic", "column"):
                    got = sparsehess.hessian(s, method=method, format="dense")(x)
                    np.testing.assert_allclose(got, jax.hessian(s)(x), atol=1e-10)
            linear = sparsehess.hessian(lambda x: jnp.sum(x), format="dense")(x)
            np.testing.assert_allclose(linear, np.zeros((n, n)))
        print("ok")
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


def test_scipy_minimize_with_jax_array_args_warns_nothing():
    import sparsehess.scipy as sparse_scipy
    target = jnp.asarray([0.5, -1.0, 2.0])
    f = lambda x, a: jnp.sum((x - a) ** 2) + 0.1 * jnp.sum(x ** 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = sparse_scipy.minimize(f, np.zeros(3), args=(target,), method="trust-constr")
    assert np.linalg.norm(jax.grad(f)(jnp.asarray(result.x), target)) < 1e-6


# ------------------------------------------------------------------ while loops

def relaxed(x):
    """A while loop with a value-dependent exit: JAX cannot reverse-differentiate it."""
    def body(carry):
        i, y = carry
        return i + 1, 0.9 * y + 0.1 * jnp.sin(jnp.roll(y, 1))
    _, y = jax.lax.while_loop(lambda c: (c[0] < 4) & (jnp.sum(c[1] ** 2) > 1e-3), body, (0, x))
    return jnp.sum(y[1:] * y[:-1] ** 2) + jnp.sum(y ** 3)


def test_while_loop_hessians_fall_back_to_forward_products():
    x = jnp.asarray(RNG.uniform(0.5, 1.5, 7))
    expected = jax.jacfwd(jax.jacfwd(relaxed))(x)
    with pytest.raises(ValueError, match="Reverse-mode"):
        jax.hessian(relaxed)(x)
    for method in ("star", "acyclic", "auto"):
        plan = sparsehess.prepare_hessian(relaxed, x, method=method, format="dense")
        assert plan.products == "forward-over-forward"
        np.testing.assert_allclose(plan(x), expected, atol=1e-12)
    np.testing.assert_allclose(sparsehess.hessian_diagonal(relaxed)(x), jnp.diag(expected),
                               atol=1e-12)
    value, grad, h = sparsehess.value_grad_and_hessian(relaxed, format="dense")(x)
    np.testing.assert_allclose(value, relaxed(x))
    np.testing.assert_allclose(grad, jax.jacfwd(relaxed)(x), atol=1e-12)
    np.testing.assert_allclose(h, expected, atol=1e-12)
    assert sparsehess.prepare_hessian(lambda x: jnp.sum(x ** 3), x).products == \
        "forward-over-reverse"


def test_while_loop_jacobians_use_forward_products():
    vector = lambda x: jax.grad(lambda z: jnp.sum(z ** 3))(x) + jnp.stack([relaxed(x)] * 2).sum()
    x = jnp.asarray(RNG.uniform(0.5, 1.5, 5))
    plan = sparsehess.prepare_jacobian(vector, x, format="dense")
    assert plan.products == "jvp"
    np.testing.assert_allclose(plan(x), jax.jacfwd(vector)(x), atol=1e-12)
    with pytest.raises(ValueError, match="while loop"):
        sparsehess.jacobian(vector, method="row")(x)


def test_per_output_hessian_diagonals_as_sparse_matrices():
    w = jnp.asarray(RNG.normal(size=(3, 4)))
    net = lambda batch: jnp.tanh(jnp.tanh(batch @ w.T) @ w)          # (B, 4) -> (B, 4)
    batch = jnp.asarray(RNG.normal(size=(5, 4)))
    dense = sparsehess.hessian_diagonal(net)(batch)
    assert dense.shape == (5, 4, 5, 4)
    reference = jax.vmap(lambda k: jnp.diag(jax.hessian(
        lambda b: net(b).reshape(-1)[k])(batch).reshape(20, 20)))(jnp.arange(20))
    np.testing.assert_allclose(dense.reshape(20, 20), reference, atol=1e-12)
    sparse = sparsehess.hessian_diagonal(net, format="bcoo")(batch)
    assert sparse.shape == (20, 20) and sparse.nse == 5 * 4 * 4       # per-sample blocks only
    np.testing.assert_allclose(sparse.todense(), reference, atol=1e-12)
    csr = sparsehess.hessian_diagonal(net, format="scipy")(batch)
    np.testing.assert_allclose(csr.toarray(), reference, atol=1e-12)
