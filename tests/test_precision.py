"""Float32 accuracy of acyclic (substitution) Hessians against star (direct recovery), and
"auto" weighing precision: references are float64 star Hessians at the same point."""

import jax.numpy as jnp
import numpy as np
import pytest

import sparsehess
from sparsehess import problems
from sparsehess._src.differentiation import choices

N = 5_000
PROBLEMS = {"rosenbrock": lambda: problems.chained_rosenbrock(N),
            "grid": lambda: problems.grid_energy(int(np.sqrt(N))),
            "graph": lambda: problems.graph_energy(N),
            "mlp": lambda: problems.batched_mlp(N)}


def _values(f, x, method="auto"):
    plan = sparsehess.prepare_hessian(f, x, method=method)
    return plan.coloring.method, np.asarray(plan.values(x), np.float64)


def _error(f, x32, method):
    """max |H - H_ref| / max |H_ref| of ``method`` in float32, H_ref in float64."""
    _, ref = _values(f, jnp.asarray(x32, jnp.float64), "star")
    _, got = _values(f, x32, method)
    return np.abs(got - ref).max() / np.abs(ref).max()


@pytest.mark.parametrize("name", PROBLEMS)
def test_float32_acyclic_is_within_10x_of_star(name):
    f, x0 = PROBLEMS[name]()
    x32 = jnp.asarray(x0, jnp.float32)
    star, acyclic = _error(f, x32, "star"), _error(f, x32, "acyclic")
    assert star < 1e-6
    assert acyclic <= 10 * star, (acyclic, star)


def chains(x):
    """Independent chains of 4 variables: trees of 4 nodes, star 3 colors, acyclic 2."""
    u = x.reshape(-1, 4)
    return jnp.sum(jnp.sin(u[:, 1:] * u[:, :-1])) + jnp.sum(u ** 4)


def long_chain(x):
    return jnp.sum(jnp.sin(x[1:] * x[:-1])) + jnp.sum(x ** 4)


def test_auto_keeps_float32_entries_as_accurate_as_star(monkeypatch):
    # expensive HVPs: by cost alone, acyclic (2 colors) beats star (3)
    monkeypatch.setattr(choices, "HVP_NS_PER_ELEMENT", 1e6)
    x = jnp.linspace(-1.0, 1.0, 2_000)
    assert _values(long_chain, x)[0] == "acyclic"
    # in float32 the substitution over one path of 2,000 nodes is not worth its error
    assert _values(long_chain, x.astype(jnp.float32))[0] == "star"
    # trees of 4 nodes: every entry sums at most 3 products' entries, acyclic stays
    x32 = x.astype(jnp.float32)
    assert _values(chains, x32)[0] == "acyclic"
    assert _error(chains, x32, "auto") <= 10 * _error(chains, x32, "star")


def test_auto_takes_star_in_half_precision(monkeypatch):
    monkeypatch.setattr(choices, "HVP_NS_PER_ELEMENT", 1e6)
    x = jnp.linspace(-1.0, 1.0, 200, dtype=jnp.float16)
    assert _values(long_chain, x)[0] == "star"
