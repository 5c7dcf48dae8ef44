"""Handing a sparse Hessian to ``scipy.optimize.minimize``.

SciPy's ``trust-constr`` (and ``Newton-CG``) accept the Hessian as a sparse matrix: give
``hess=`` a function returning a ``scipy.sparse`` matrix and SciPy's projected CG works with
sparse mat-vecs, never an n x n array. ``sparsehess.hessian(f, format="scipy")`` is such a
function. ``sparsehess.scipy.minimize`` does the wiring for you (gradient and value from one
JAX call, the right derivative form for each method, float64).

Run: python examples/scipy_optimize.py
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402

import sparsehess  # noqa: E402
import sparsehess.scipy  # noqa: E402

side = 100
n = side * side
load = np.sin(np.linspace(0, 3 * np.pi, n))


def f(x):
    """A membrane under a load on a side x side grid: convex, 5-point-stencil Hessian."""
    u = x.reshape(side, side)
    dx = u[1:, :] - u[:-1, :]
    dy = u[:, 1:] - u[:, :-1]
    return (jnp.sum(jnp.sqrt(1.0 + dx ** 2)) + jnp.sum(jnp.sqrt(1.0 + dy ** 2))
            + 0.25 * jnp.sum(u ** 4) + 0.5 * jnp.sum(u ** 2) - jnp.dot(load, x))


x0 = np.zeros(n)

# 1. By hand: value, gradient and the sparse Hessian as NumPy / SciPy objects.
value = jax.jit(f)
grad = jax.jit(jax.grad(f))
hess = sparsehess.hessian(f, format="scipy")          # x -> scipy.sparse.csr_array (n, n)
res = scipy.optimize.minimize(
    lambda x: float(value(x)), x0, method="trust-constr",
    jac=lambda x: np.asarray(grad(x)), hess=hess,
    options={"gtol": 1e-8, "maxiter": 200})
plan = next(iter(hess.plans.values()))
print(f"by hand:  f = {res.fun:.6f} after {res.nit} iterations, "
      f"|gradient| = {np.abs(grad(res.x)).max():.1e}")
print(f"by hand:  Hessian {n} x {n} with {plan.pattern.nnz} nonzeros, "
      f"{res.njev} gradients, {res.nhev} Hessians")

# 2. The same through sparsehess.scipy.minimize.
res2 = sparsehess.scipy.minimize(f, x0, method="trust-constr",
                                 options={"gtol": 1e-8, "maxiter": 200})
print(f"sparsehess.scipy.minimize: f = {res2.fun:.6f} after {res2.nit} iterations, "
      f"{res2.hessian_ncolors} HVPs per Hessian")
print(f"same minimum: {bool(np.allclose(res.x, res2.x, atol=1e-6))}")
print(f"passes: {plan.ncolors} per Hessian (dense: {n})")
