"""The sweep variants other machines take, forced on this CPU and checked against dense JAX.

On a GPU (or with several devices) the products of indexed functions are vmapped instead of
run one after another, and seeds that are too large, or sharded, are jit arguments instead
of folded constants.  These paths are chosen by `choices.sequential_sweeps_pay` and
`plans.EMBEDDED_SEEDS_MAX`; each case forces one combination and compares every transform
with `jax.hessian` / `jax.jacfwd`.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsehess
from sparsehess._src.differentiation import choices, plans

EDGES = np.array([[0, 3], [1, 4], [2, 5], [0, 7], [6, 1], [3, 8], [5, 9], [2, 8]], np.int32)


def graph_energy(x):                                   # gathers: sequential on one CPU
    return jnp.sum(jnp.cos(x[EDGES[:, 0]] - x[EDGES[:, 1]]) ** 2) + jnp.sum(x ** 4)


def scattered(x):                                      # scatter-add of products
    return jnp.sum(jnp.zeros(10).at[EDGES[:, 0]].add(x[EDGES[:, 1]] * x[EDGES[:, 0]]) ** 2)


def chain(x):                                          # no indexing: vmapped everywhere
    return jnp.sum((x[1:] - x[:-1] ** 2) ** 2) + jnp.sum(jnp.sin(x) * x)


def residuals(x):
    return jnp.concatenate([x[EDGES[:, 0]] * x[EDGES[:, 1]], jnp.sum(x ** 2, keepdims=True)])


X = jnp.linspace(-0.9, 1.3, 10)


@pytest.fixture(params=["sequential", "vmapped"])
def sweep_order(request, monkeypatch):
    monkeypatch.setattr(choices, "sequential_sweeps_pay",
                        lambda jaxpr: request.param == "sequential")
    return request.param


@pytest.fixture(params=["folded", "arguments"])
def seeds_as(request, monkeypatch):
    if request.param == "arguments":
        monkeypatch.setattr(plans, "EMBEDDED_SEEDS_MAX", 0)
    return request.param


@pytest.mark.parametrize("f, method", [(graph_energy, "star"), (graph_energy, "acyclic"),
                                       (scattered, "acyclic"), (chain, "star")],
                         ids=["graph-star", "graph-acyclic", "scatter-acyclic", "chain-star"])
def test_hessian_paths(f, method, sweep_order, seeds_as):
    dense = jax.hessian(f)(X)
    plan = sparsehess.prepare_hessian(f, X, method=method, format="dense")
    assert plan.chunk_size == (1 if sweep_order == "sequential" else None)
    np.testing.assert_allclose(plan(X), dense, rtol=1e-12, atol=1e-12)
    value, grad, hess = sparsehess.value_grad_and_hessian(f, method=method)(X)
    np.testing.assert_allclose(value, f(X), rtol=1e-13)
    np.testing.assert_allclose(grad, jax.grad(f)(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hess.todense(), dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sparsehess.hessian_diagonal(f)(X), jnp.diag(dense),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", ["column", "row", "bicoloring"])
def test_jacobian_paths(method, sweep_order, seeds_as):
    got = sparsehess.jacobian(residuals, method=method, format="dense")(X)
    np.testing.assert_allclose(got, jax.jacfwd(residuals)(X), rtol=1e-13, atol=1e-13)


def test_per_output_hessians_paths(sweep_order, seeds_as):
    got = sparsehess.hessian(residuals, format="dense")(X)
    np.testing.assert_allclose(got, jax.hessian(residuals)(X), rtol=1e-12, atol=1e-12)
