"""Large-size cases (marked slow; CI skips them: run with `pytest -m slow`)."""

import resource
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsehess
from sparsehess import problems


def banded(half_bandwidth):
    """Σ_k Σ_i sin(x_i x_{i+k}) + Σ x⁴: star coloring needs 2·half_bandwidth + 1 colors."""
    def f(x):
        total = jnp.sum(x ** 4)
        for k in range(1, half_bandwidth + 1):
            total = total + jnp.sum(jnp.sin(x[k:] * x[:-k]))
        return total
    return f


@pytest.mark.slow
def test_million_variables_thirty_colors_fits_in_memory():
    n = 1_000_000
    f = banded(14)
    x = jnp.linspace(-1.0, 1.0, n)
    plan = sparsehess.prepare_hessian(f, x, method="star", format="bcoo")
    assert plan.ncolors == 29
    h = plan(x)
    # Spot-check rows against dense HVPs with unit vectors.
    for i in (0, 17, n // 2, n - 1):
        e = jnp.zeros(n).at[i].set(1.0)
        row = sparsehess.hvp(f)(x, e)
        dense_row = np.zeros(n)
        sel = np.asarray(h.indices[:, 0]) == i
        dense_row[np.asarray(h.indices[sel, 1])] = np.asarray(h.data[sel])
        np.testing.assert_allclose(dense_row, np.asarray(row), rtol=1e-5, atol=1e-5)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    assert peak_gib < 24


@pytest.mark.slow
def test_chained_detection_at_one_million_under_five_seconds():
    f, x0 = problems.chained_rosenbrock(1_000_000)
    start = time.perf_counter()
    pattern = sparsehess.hessian_sparsity(f, jnp.asarray(x0))
    elapsed = time.perf_counter() - start
    assert pattern.nnz == 3 * 1_000_000 - 2
    assert elapsed < 5.0
