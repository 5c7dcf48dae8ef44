"""Built-in test problems: sparse objectives of any size, for the demo and benchmarks.

Each function takes the number of variables (or grid side) and returns (f, x0) with
f: (n,) -> scalar written in plain jax.numpy.
"""

import jax.numpy as jnp
import numpy as np


def chained_rosenbrock(n: int):
    """Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])²: tridiagonal Hessian."""
    def f(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return f, np.linspace(-1.2, 1.0, n)


def grid_energy(side: int):
    """Nonlinear 2-D membrane energy on a side × side grid: 5-point-stencil Hessian."""
    def f(x):
        u = x.reshape(side, side)
        dx = u[1:, :] - u[:-1, :]
        dy = u[:, 1:] - u[:, :-1]
        return jnp.sum(jnp.sqrt(1.0 + dx ** 2)) + jnp.sum(jnp.sqrt(1.0 + dy ** 2)) \
            + 0.1 * jnp.sum(u ** 4)
    return f, np.cos(np.arange(side * side) * 0.37)


def rosenbrock_plus_grid(n: int):
    """Chained Rosenbrock on the first half of x plus a grid energy on the second half."""
    side = int(np.sqrt(n // 2))
    m = n - side * side
    rosen, r0 = chained_rosenbrock(m)
    grid, g0 = grid_energy(side)

    def f(x):
        return rosen(x[:m]) + grid(x[m:])
    return f, np.concatenate([r0, g0])


def graph_energy(n: int, degree: int = 4, seed: int = 0):
    """Σ over random edges (i, j) of log(1 + (x_i - x_j)²) + Σ x_i⁴/4, constant edge list."""
    rng = np.random.default_rng(seed)
    src = np.repeat(np.arange(n), degree // 2)
    dst = rng.integers(0, n, size=len(src))
    src, dst = jnp.asarray(src), jnp.asarray(dst)

    def f(x):
        return jnp.sum(jnp.log1p((x[src] - x[dst]) ** 2)) + 0.25 * jnp.sum(x ** 4)
    return f, rng.standard_normal(n)


def batched_mlp(n: int, features: int = 4, hidden: int = 16, seed: int = 0):
    """Sum over samples of a tanh MLP applied per sample to x viewed as (n / features, features):
    block-diagonal Hessian with features × features blocks."""
    rng = np.random.default_rng(seed)
    w1 = jnp.asarray(rng.standard_normal((features, hidden)) / np.sqrt(features))
    w2 = jnp.asarray(rng.standard_normal((hidden, 1)) / np.sqrt(hidden))
    samples = n // features

    def f(x):
        h = jnp.tanh(x[: samples * features].reshape(samples, features) @ w1.astype(x.dtype))
        return jnp.sum(jnp.tanh(h @ w2.astype(x.dtype)))
    return f, rng.standard_normal(samples * features)
