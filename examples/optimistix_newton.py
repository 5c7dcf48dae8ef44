"""A sparse Hessian in lineax and optimistix: Newton steps without a dense n x n matrix.

* ``sparsehess.jax_solvers.hessian_operator(H)`` wraps a BCOO Hessian as a lineax operator;
  ``hvp_operator(f, x)`` does the same from Hessian-vector products, never forming H.
  Either goes to ``lineax.linear_solve`` (CG here: f is convex).
* ``SparseNewton(sparsehess.hessian(f), rtol, atol)`` is an optimistix minimiser taking
  exact Newton steps (one sparse Hessian per accepted step) inside a trust region.

Needs the extra: pip install 'sparsehess[optimistix]'.

Run: python examples/optimistix_newton.py
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import lineax as lx  # noqa: E402
import numpy as np  # noqa: E402
import optimistix as optx  # noqa: E402

import sparsehess  # noqa: E402
from sparsehess.jax_solvers import SparseNewton, hessian_operator, hvp_operator  # noqa: E402

side = 40
n = side * side
load = jnp.asarray(np.sin(np.linspace(0, 3 * np.pi, n)))


def f(x, args=None):
    """A membrane with a quartic stiffening under a load: convex, 5-point-stencil Hessian."""
    u = x.reshape(side, side)
    return (0.5 * jnp.sum(jnp.diff(u, axis=0) ** 2) + 0.5 * jnp.sum(jnp.diff(u, axis=1) ** 2)
            + 0.25 * jnp.sum(x ** 4) + 0.05 * jnp.sum(x ** 2) - jnp.sum(load * x))


hessian = sparsehess.hessian(f)                  # BCOO (n, n)
x = 0.3 * load
g = jax.grad(f)(x)
psd = (lx.symmetric_tag, lx.positive_semidefinite_tag)
cg = lx.CG(rtol=1e-12, atol=1e-12)
H = hessian(x)
step_bcoo = lx.linear_solve(hessian_operator(H, tags=psd), -g, cg).value
step_hvp = lx.linear_solve(hvp_operator(f, x, tags=psd), -g, cg).value
print(f"Hessian {n} x {n} with {H.nse} nonzeros, "
      f"{next(iter(hessian.plans.values())).ncolors} Hessian-vector products")
print(f"Newton step from the BCOO operator vs from hvp: max difference "
      f"{float(jnp.max(jnp.abs(step_bcoo - step_hvp))):.1e}")

bfgs = optx.minimise(f, optx.BFGS(rtol=1e-10, atol=1e-10), jnp.zeros(n), max_steps=2000)
print(f"BFGS: {int(bfgs.stats['num_steps'])} steps")
for trust_region in (False, True):
    solution = optx.minimise(f, SparseNewton(hessian, rtol=1e-10, atol=1e-10,
                                             trust_region=trust_region), jnp.zeros(n),
                             max_steps=200)
    label = "dogleg trust region" if trust_region else "line search"
    print(f"SparseNewton ({label}): {int(solution.stats['num_steps'])} steps, |gradient| = "
          f"{float(jnp.max(jnp.abs(jax.grad(f)(solution.value)))):.1e}, same minimum as BFGS: "
          f"{bool(jnp.allclose(solution.value, bfgs.value, atol=1e-6))}")
