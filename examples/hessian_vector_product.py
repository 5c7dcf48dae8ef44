"""The Hessian-vector product H v without forming H.

H v is the derivative of the gradient in the direction v: forward-mode differentiation of
``jax.grad(f)`` (forward-over-reverse) gives it for a few times the cost of one gradient,
whatever n is, and never stores H. ``sparsehess.hvp(f)(x, v)`` does exactly that. Use it
when you need H applied to a few vectors (Newton-CG, Lanczos, curvature along a direction);
form the sparse H instead when you need many products or the entries themselves (a sparse
H costs one HVP per color, then each product is a cheap sparse matvec).

Run: python examples/hessian_vector_product.py
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402

import sparsehess  # noqa: E402

side = 100
n = side * side


def f(x):
    """Nonlinear membrane energy on a side x side grid (5-point-stencil Hessian)."""
    u = x.reshape(side, side)
    dx = u[1:, :] - u[:-1, :]
    dy = u[:, 1:] - u[:, :-1]
    return (jnp.sum(jnp.sqrt(1.0 + dx ** 2)) + jnp.sum(jnp.sqrt(1.0 + dy ** 2))
            + 0.1 * jnp.sum(u ** 4) + 0.5 * jnp.sum(u ** 2))


rng = np.random.default_rng(0)
x = rng.standard_normal(n)
v = rng.standard_normal(n)

# 1. One product, no matrix: forward-over-reverse, by hand and with sparsehess.hvp.
hvp = jax.jit(sparsehess.hvp(f))
Hv = hvp(x, v)
Hv_by_hand = jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])(x, v)

# 2. The sparse Hessian, for comparison: one HVP per color, then sparse mat-vecs.
plan = sparsehess.prepare_hessian(f, x, format="scipy")
H = plan(x)
print(f"n = {n}, Hessian nnz = {H.nnz} ({H.nnz / n:.1f} per row)")
print(f"max |hvp - H @ v|       = {np.abs(np.asarray(Hv) - H @ v).max():.1e}")
print(f"max |hvp - jvp(grad)|   = {np.abs(np.asarray(Hv - Hv_by_hand)).max():.1e}")

# 3. A Newton step H d = -g by conjugate gradients, H only ever applied through hvp.
g = np.asarray(jax.jit(jax.grad(f))(x))
calls = []


def matvec(w):
    calls.append(1)
    return np.asarray(hvp(x, w))


op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
d, info = spla.cg(op, -g, rtol=1e-10, maxiter=500)
print(f"Newton step by CG: {len(calls)} HVPs, residual {np.linalg.norm(H @ d + g):.1e}")
print(f"passes: 1 per product (forming sparse H: {plan.ncolors}; dense H: {n})")
