"""Why "the gradient of a gradient" fails, and how to get the (sparse) Hessian.

``jax.grad`` differentiates a *scalar* function. The gradient of f: R^n -> R is a vector
function g = ∇f: R^n -> R^n, so its derivative is not a gradient but a Jacobian: the n x n
matrix ∂g_i/∂x_j = ∂²f/∂x_i∂x_j, the Hessian. ``jax.hessian(f)`` is exactly
``jax.jacfwd(jax.grad(f))``: one forward pass per column, n passes and n² memory.
``sparsehess.hessian(f)`` computes the same Jacobian of the gradient, but compressed: it
detects the pattern, colors it and needs one Hessian-vector product per color.

Run: python examples/hessian_of_gradient.py
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import sparsehess  # noqa: E402


def f(x):
    """Chained Rosenbrock: each x[i] meets only x[i-1] and x[i+1], a tridiagonal Hessian."""
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


n = 300
x = np.linspace(-1.2, 1.0, n)

# 1. The gradient of the gradient: grad wants a scalar output, grad(f) returns n numbers.
try:
    jax.grad(jax.grad(f))(x)
    raise SystemExit("unexpected: grad of grad worked")
except TypeError as err:
    print("jax.grad(jax.grad(f)) fails:", str(err).splitlines()[0])

# 2. The derivative of the gradient is its Jacobian, which is the Hessian.
H_dense = jax.jit(jax.jacfwd(jax.grad(f)))(x)  # = jax.hessian(f)(x): n forward passes, n x n floats

# 3. The same matrix from a few passes: sparsehess.hessian(f) is the compressed Jacobian of
#    grad(f). sparsehess.hessian(f)(x) builds a plan on its first call; prepare_hessian
#    returns that plan to inspect (pattern, coloring, passes) and to call at new points.
plan = sparsehess.prepare_hessian(f, x, format="scipy")
H = plan(x)                                       # scipy.sparse.csr_array (n, n)
assert np.allclose(sparsehess.hessian(f, format="dense")(x), H_dense)
error = np.abs(H.toarray() - np.asarray(H_dense)).max()

print(f"Hessian {H.shape[0]} x {H.shape[1]}, nnz = {H.nnz} (tridiagonal: {3 * n - 2})")
print(f"coloring: {plan.coloring.method}, {plan.ncolors} colors")
print(f"max |H_sparse - H_dense| = {error:.1e}")
print(f"passes: {plan.ncolors} (dense: {n})")
