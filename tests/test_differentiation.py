"""The differentiation engine against dense JAX: methods, vector-valued Hessians, pytrees,
has_aux, jit/vmap, chunking, plans, hvp, Jacobian methods and several devices."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

import sparsehess

RNG = np.random.default_rng(0)


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def banded_energy(x):
    """Pentadiagonal Hessian: star needs 5 colors, acyclic 3."""
    return jnp.sum(jnp.exp(0.1 * x[2:] * x[:-2])) + jnp.sum(jnp.sin(x[1:] * x[:-1])) + jnp.sum(x ** 4)


def mlp_per_sample(features=3, hidden=5):
    w1 = jnp.asarray(RNG.standard_normal((features, hidden)))
    w2 = jnp.asarray(RNG.standard_normal(hidden))

    def net(batch):                  # batch (D, C) -> (D,) one output per sample
        return jnp.tanh(jnp.tanh(batch @ w1) @ w2)
    return net


def _close(a, b, tol=1e-9):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("method", ["star", "acyclic", "column", "auto"])
def test_hessian_methods_agree_with_dense(method):
    x = jnp.asarray(RNG.uniform(-1, 1, 30))
    for f in (rosenbrock, banded_energy):
        h = sparsehess.hessian(f, method=method, format="dense")(x)
        _close(h, jax.hessian(f)(x))


def test_auto_weighs_sweeps_against_recovery(monkeypatch):
    from sparsehess._src.differentiation import choices
    x = jnp.ones(40)
    star = sparsehess.prepare_hessian(banded_energy, x, method="star")
    acyclic = sparsehess.prepare_hessian(banded_energy, x, method="acyclic")
    assert (star.ncolors, acyclic.ncolors) == (5, 3)
    # Expensive HVPs: the fewest sweeps win.
    monkeypatch.setattr(choices, "HVP_NS_PER_ELEMENT", 1e6)
    assert sparsehess.prepare_hessian(banded_energy, x).coloring.method == "acyclic"
    # Free HVPs: the cheapest recovery wins.
    monkeypatch.setattr(choices, "HVP_NS_PER_ELEMENT", 0.0)
    assert sparsehess.prepare_hessian(banded_energy, x).coloring.method == "star"
    with pytest.raises(ValueError, match="method"):
        sparsehess.prepare_hessian(banded_energy, x, method="greedy")


def test_acyclic_substitution_is_jit_compatible():
    x = jnp.asarray(RNG.uniform(-1, 1, 25))
    hessian = sparsehess.hessian(banded_energy, method="acyclic")
    h = jax.jit(hessian)(x)
    _close(h.todense(), jax.hessian(banded_energy)(x))
    # the plan built while tracing holds concrete arrays: reusable outside the trace
    _close(hessian(2 * x).todense(), jax.hessian(banded_energy)(2 * x))


def test_vector_valued_hessians_of_a_batch_collapse():
    features, samples = 3, 7
    net = mlp_per_sample(features)
    batch = jnp.asarray(RNG.standard_normal((samples, features)))
    plan = sparsehess.prepare_hessian(net, batch)
    assert plan.ncolors == features * (features + 1) // 2       # independent of samples
    assert plan.kind == "output_hessians"
    dense = jax.hessian(net)(batch)                              # (D, D, C, D, C)
    got = sparsehess.hessian(net, format="dense")(batch)
    _close(got, dense)
    bcoo = sparsehess.hessian(net)(batch)
    assert bcoo.shape == (samples, samples * features, samples * features)
    _close(bcoo.todense().reshape(dense.shape), dense)
    coo = sparsehess.hessian(net, format="scipy")(batch)
    assert isinstance(coo, sp.coo_array) and coo.shape == bcoo.shape
    _close(coo.todense().reshape(dense.shape), dense)
    # 14 samples: still the same number of sweeps.
    wider = jnp.asarray(RNG.standard_normal((2 * samples, features)))
    assert sparsehess.prepare_hessian(net, wider).ncolors == plan.ncolors


def test_vector_valued_hessian_diagonals():
    features, samples = 4, 6
    net = mlp_per_sample(features)
    batch = jnp.asarray(RNG.standard_normal((samples, features)))
    diag_fn = sparsehess.hessian_diagonal(net)
    got = diag_fn(batch)                                          # (D, D, C)
    dense = jax.hessian(net)(batch).reshape(samples, samples * features, samples * features)
    expected = np.stack([np.diag(dense[k]) for k in range(samples)]).reshape(got.shape)
    assert got.shape == (samples, samples, features)
    _close(got, expected)
    plan = next(iter(diag_fn.plans.values()))
    assert plan.ncolors == features


def test_vector_valued_general_function():
    def f(x):
        return jnp.stack([x[0] * x[1] ** 2, jnp.sin(x[2]) * x[3], jnp.exp(x[1] + x[4])])
    x = jnp.asarray(RNG.uniform(-1, 1, 5))
    _close(sparsehess.hessian(f, format="dense")(x), jax.hessian(f)(x))
    _close(sparsehess.hessian_diagonal(f)(x),
           np.stack([np.diag(h) for h in np.asarray(jax.hessian(f)(x))]))


def test_pytree_inputs_argnums_tuple_and_has_aux():
    def f(params, data, scale):
        w, b = params["w"], params["b"]
        value = jnp.sum(jnp.tanh(data @ w + b) ** 2) * scale[0] + jnp.sum(w ** 4)
        return value, {"norm": jnp.sum(w ** 2)}

    params = {"b": jnp.asarray(RNG.standard_normal(2)), "w": jnp.asarray(RNG.standard_normal((3, 2)))}
    data = jnp.asarray(RNG.standard_normal((4, 3)))
    scale = jnp.asarray([1.5])
    h, aux = sparsehess.hessian(f, argnums=(0, 2), has_aux=True, format="dense")(params, data, scale)
    expected, expected_aux = jax.hessian(f, argnums=(0, 2), has_aux=True)(params, data, scale)
    assert jax.tree_util.tree_structure(h) == jax.tree_util.tree_structure(expected)
    jax.tree_util.tree_map(_close, h, expected)         # dense: jax.hessian's nested blocks
    _close(aux["norm"], expected_aux["norm"])

    def flat(v):
        p = {"b": v[:2], "w": v[2:8].reshape(3, 2)}
        return f(p, data, v[8:])[0]
    v = jnp.concatenate([params["b"], params["w"].ravel(), scale])
    hs, _ = sparsehess.hessian(f, argnums=(0, 2), has_aux=True)(params, data, scale)
    _close(hs.todense(), jax.hessian(flat)(v))          # sparse: over the flat inputs


def test_jit_and_vmap():
    xs = jnp.asarray(RNG.uniform(-1, 1, (4, 12)))
    h = jax.vmap(sparsehess.hessian(rosenbrock, format="dense"))(xs)
    _close(h, jax.vmap(jax.hessian(rosenbrock))(xs))
    d = jax.jit(jax.vmap(sparsehess.hessian_diagonal(rosenbrock)))(xs)
    _close(d, jax.vmap(lambda x: jnp.diag(jax.hessian(rosenbrock)(x)))(xs))
    compiled = jax.jit(sparsehess.hessian(rosenbrock))
    _close(compiled(xs[0]).todense(), jax.hessian(rosenbrock)(xs[0]))
    # Inside jit, the compiled function contains only sweeps and a gather: no host callbacks.
    text = jax.jit(sparsehess.hessian(rosenbrock)).lower(xs[0]).as_text()
    assert "callback" not in text


def test_chunked_sweeps_match_unchunked():
    x = jnp.asarray(RNG.uniform(-1, 1, 30))
    full = sparsehess.hessian(banded_energy, method="star", format="dense")(x)
    for chunk in (1, 2, 3):
        chunked = sparsehess.hessian(banded_energy, method="star", format="dense",
                                     chunk_size=chunk)(x)
        _close(chunked, full)
    with pytest.raises(ValueError, match="chunk_size"):
        sparsehess.hessian(banded_energy, chunk_size=0)(x)


def test_auto_chunk_size_bounds_memory(monkeypatch):
    from sparsehess._src.differentiation import choices
    monkeypatch.setattr(choices, "CHUNK_MEMORY_BYTES", 10_000)
    x = jnp.asarray(RNG.uniform(-1, 1, 50))
    jaxpr = jax.make_jaxpr(banded_energy)(x)
    chunk = choices.auto_chunk_size(jaxpr, 5)
    assert chunk is not None and 1 <= chunk < 5
    _close(sparsehess.hessian(banded_energy, format="dense")(x), jax.hessian(banded_energy)(x))


def test_auto_chunk_runs_indexed_products_one_at_a_time():
    """On one CPU device, f that gathers by index arrays sweeps one product at a time (the
    vmapped gathers are slower); elementwise f sweeps all colors at once."""
    idx = jnp.asarray(RNG.integers(0, 40, 60))
    gathered = lambda x: jnp.sum(jnp.log1p((x[idx] - x[idx[::-1]]) ** 2)) + jnp.sum(x ** 4)
    x = jnp.asarray(RNG.uniform(-1, 1, 40))
    plan = sparsehess.prepare_hessian(gathered, x, format="dense")
    assert plan.chunk_size == 1 and plan.ncolors > 1
    _close(plan(x), jax.hessian(gathered)(x))
    assert sparsehess.prepare_hessian(banded_energy, x).chunk_size is None
    # nested jaxprs count too
    nested = lambda x: jax.jit(gathered)(x)
    assert sparsehess.prepare_hessian(nested, x).chunk_size == 1


def test_plan_reuse_and_inspection():
    x = jnp.asarray(RNG.uniform(-1, 1, 20))
    plan = sparsehess.prepare_hessian(rosenbrock, x, method="star", format="scipy")
    assert plan.ncolors == 3 and plan.pattern.nnz == 3 * 20 - 2
    for _ in range(2):
        y = jnp.asarray(RNG.uniform(-1, 1, 20))
        _close(plan(y).toarray(), jax.hessian(rosenbrock)(y))
    fn = sparsehess.hessian(rosenbrock)
    fn(x)
    fn(x + 1.0)
    assert len(fn.plans) == 1
    fn(jnp.ones(7))
    assert len(fn.plans) == 2


def test_value_grad_and_hessian_and_hvp():
    x = jnp.asarray(RNG.uniform(-1, 1, 15))
    value, grad, h = sparsehess.value_grad_and_hessian(rosenbrock, format="dense")(x)
    _close(value, rosenbrock(x))
    _close(grad, jax.grad(rosenbrock)(x))
    _close(h, jax.hessian(rosenbrock)(x))
    v = jnp.asarray(RNG.standard_normal(15))
    _close(sparsehess.hvp(rosenbrock)(x, v), jax.hessian(rosenbrock)(x) @ v)

    def g(a, b):
        return jnp.sum(a ** 2 * b[0]) + jnp.sum(jnp.sin(a))
    a, b = jnp.ones(3), jnp.asarray([2.0])
    ha, hb = sparsehess.hvp(g, argnums=(0, 1))(a, b, (jnp.ones(3), jnp.ones(1)))
    full = jax.hessian(lambda z: g(z[:3], z[3:]))(jnp.concatenate([a, b])) @ jnp.ones(4)
    _close(jnp.concatenate([ha, hb]), full)
    with pytest.raises(ValueError, match="scalar"):
        sparsehess.value_grad_and_hessian(lambda x: x ** 2)(x)


@pytest.mark.parametrize("method", ["column", "row", "bicoloring", "auto"])
def test_jacobian_methods_agree(method):
    def arrow(x):                    # dense first row and dense first column
        return jnp.concatenate([jnp.sum(x ** 2)[None], x[0] * x[1:] + jnp.sin(x[1:])])
    x = jnp.asarray(RNG.uniform(-1, 1, 30))
    _close(sparsehess.jacobian(arrow, method=method, format="dense")(x), jax.jacfwd(arrow)(x))
    plan = sparsehess.prepare_jacobian(arrow, x, method=method)
    if method in ("bicoloring", "auto"):
        assert plan.ncolors <= 4                                   # instead of n = 30


def test_jacobian_diagonal():
    def f(x):
        return jnp.sin(x) * jnp.roll(x, 1) + x[0]
    x = jnp.asarray(RNG.uniform(-1, 1, 10))
    _close(sparsehess.jacobian_diagonal(f)(x), jnp.diag(jax.jacfwd(f)(x)))
    with pytest.raises(ValueError, match="outputs"):
        sparsehess.jacobian_diagonal(lambda x: x[1:] * x[:-1])(x)


def test_sweeps_shard_over_four_host_devices():
    script = textwrap.dedent("""
        import jax, jax.numpy as jnp, numpy as np
        jax.config.update("jax_enable_x64", True)
        import sparsehess
        assert len(jax.devices()) == 4
        def f(x):
            return jnp.sum(jnp.exp(0.1 * x[2:] * x[:-2])) + jnp.sum(jnp.sin(x[1:] * x[:-1])) + jnp.sum(x ** 4)
        x = jnp.linspace(-1, 1, 33)
        for method in ("star", "acyclic"):
            plan = sparsehess.prepare_hessian(f, x, method=method, format="dense")
            assert len(plan._seeds.sharding.device_set) == 4
            np.testing.assert_allclose(plan(x), jax.hessian(f)(x), rtol=1e-12, atol=1e-12)
        net = lambda b: jnp.tanh(b @ jnp.ones((3, 2))).sum(axis=1)
        batch = jnp.linspace(0, 1, 15).reshape(5, 3)
        np.testing.assert_allclose(sparsehess.hessian(net, format="dense")(batch),
                                   jax.hessian(net)(batch), rtol=1e-12, atol=1e-12)
        print("OK")
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "OK" in out.stdout


def test_bad_inputs_have_clear_errors():
    with pytest.raises(TypeError, match="floating"):
        sparsehess.hessian(rosenbrock)(jnp.arange(5))
    with pytest.raises(ValueError, match="format"):
        sparsehess.hessian(rosenbrock, format="csr")
    with pytest.raises(TypeError, match="jit"):
        jax.jit(sparsehess.hessian(rosenbrock, format="scipy"))(jnp.ones(4))
