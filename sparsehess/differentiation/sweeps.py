"""Batched derivative sweeps: one JVP, VJP or Hessian-vector product per seed vector.

Each function maps a flat function, a point x (n,) and seeds (c, k) to the compressed
products (c, out), vmapped over the seeds.
"""

import jax


def hvp_sweep(scalar_fun, x, seeds):
    """Forward-over-reverse products H(x) @ seeds[k] for each seed: (c, n) -> (c, n)."""
    grad = jax.grad(scalar_fun)

    def hvp(v):
        return jax.jvp(grad, (x,), (v,))[1]
    return jax.vmap(hvp)(seeds)


def jvp_sweep(fun, x, seeds):
    """Jacobian-vector products J(x) @ seeds[k]: seeds (c, n) -> (c, m)."""
    def jvp(v):
        return jax.jvp(fun, (x,), (v,))[1]
    return jax.vmap(jvp)(seeds)


def vjp_sweep(fun, x, seeds):
    """Vector-Jacobian products seeds[k] @ J(x): seeds (c, m) -> (c, n)."""
    _, pullback = jax.vjp(fun, x)
    return jax.vmap(lambda w: pullback(w)[0])(seeds)
