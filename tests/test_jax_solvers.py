"""sparsehess.jax_solvers: lineax operators from sparse Hessians / hvp and an optimistix
Newton minimiser, against dense JAX.  Skipped, with the reason, without the extra."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

optx = pytest.importorskip("optimistix", reason="optimistix is not installed: pip install "
                           "'sparsehess[optimistix]'")
lx = pytest.importorskip("lineax", reason="lineax is not installed: pip install "
                         "'sparsehess[optimistix]'")

import _subprocess  # noqa: E402
import sparsehess  # noqa: E402
from sparsehess.jax_solvers import SparseNewton, hessian_operator, hvp_operator  # noqa: E402

SIDE = 7
N = SIDE * SIDE
LOAD = jnp.asarray(np.cos(np.arange(N) * 0.7))
PSD = (lx.symmetric_tag, lx.positive_semidefinite_tag)


@pytest.fixture(scope="module", autouse=True)
def example():
    started = _subprocess.start("optimistix_newton.py")
    yield started
    _subprocess.stop([started])


def energy(x, args=None):
    u = x.reshape(SIDE, SIDE)
    return (0.5 * jnp.sum(jnp.diff(u, axis=0) ** 2) + 0.5 * jnp.sum(jnp.diff(u, axis=1) ** 2)
            + 0.25 * jnp.sum(x ** 4) + 0.1 * jnp.sum(x ** 2) - jnp.sum(LOAD * x))


def test_operators_match_the_dense_hessian():
    x = jnp.asarray(np.sin(np.arange(N) * 1.3))
    dense = jax.jit(jax.hessian(energy))(x)
    v = jnp.asarray(np.random.default_rng(0).standard_normal(N))
    from_bcoo = hessian_operator(sparsehess.hessian(energy)(x), tags=PSD)
    from_hvp = hvp_operator(energy, x, tags=PSD)
    for op in (from_bcoo, from_hvp):
        np.testing.assert_allclose(op.mv(v), dense @ v, atol=1e-12)
        np.testing.assert_allclose(op.as_matrix(), dense, atol=1e-12)
        assert lx.is_symmetric(op) and lx.is_positive_semidefinite(op)
        step = lx.linear_solve(op, -jax.grad(energy)(x), lx.CG(rtol=1e-13, atol=1e-13)).value
        np.testing.assert_allclose(step, jnp.linalg.solve(dense, -jax.grad(energy)(x)), atol=1e-9)
    # operators at two points share one pytree structure (lax.cond inside optimistix)
    other = hessian_operator(sparsehess.hessian(energy)(2 * x), tags=PSD)
    assert jax.tree_util.tree_structure(other) == jax.tree_util.tree_structure(from_bcoo)


def test_bad_shapes():
    with pytest.raises(ValueError, match=r"hvp_operator needs a flat x of shape \(n,\)"):
        hvp_operator(energy, jnp.zeros((SIDE, SIDE)))
    with pytest.raises(ValueError, match=r"square \(n, n\) matrix"):
        hessian_operator(sparsehess.jacobian(lambda x: x[:3] * x[1:4])(jnp.ones(5)))


def test_sparse_newton_reaches_the_minimum():
    x0 = jnp.zeros(N)
    solution = optx.minimise(energy, SparseNewton(sparsehess.hessian(energy), rtol=1e-11,
                                                  atol=1e-11), x0, max_steps=100)
    assert solution.result == optx.RESULTS.successful
    assert float(jnp.max(jnp.abs(jax.grad(energy)(solution.value)))) < 1e-8
    # reference: dense Newton iterations from the same start
    newton_step = jax.jit(lambda x: x - jnp.linalg.solve(jax.hessian(energy)(x),
                                                         jax.grad(energy)(x)))
    x = x0
    for _ in range(30):
        x = newton_step(x)
    np.testing.assert_allclose(solution.value, x, atol=1e-8)
    trust_region = optx.minimise(energy, SparseNewton(sparsehess.hessian(energy), rtol=1e-11,
                                                      atol=1e-11, trust_region=True),
                                 x0, max_steps=100)
    np.testing.assert_allclose(trust_region.value, x, atol=1e-8)
    # Newton's quadratic convergence: a handful of steps (BFGS needs several times more)
    assert solution.stats["num_steps"] <= 12 and trust_region.stats["num_steps"] <= 12


def test_example_runs(example):
    out = _subprocess.finish(example)
    assert "Hessian 1600 x 1600 with 7840 nonzeros, 5 Hessian-vector products" in out
    diff = float(out.split("from hvp: max difference ")[1].split()[0])
    assert diff < 1e-10
    assert out.count("same minimum as BFGS: True") == 2
    steps = [int(part.split(" steps")[0]) for part in out.split("): ")[1:]]
    bfgs = int(out.split("BFGS: ")[1].split()[0])
    assert len(steps) == 2 and max(steps) * 3 < bfgs
    assert all(float(g.split(",")[0]) < 1e-8 for g in out.split("|gradient| = ")[1:])
