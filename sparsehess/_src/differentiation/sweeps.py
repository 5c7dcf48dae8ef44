"""Batched derivative sweeps: one JVP, VJP, Hessian-vector or second directional
derivative per seed, vmapped over the seeds and optionally run in chunks; Hessian-vector
products from forward mode alone where reverse mode cannot run.

Every sweep maps seeds of shape (c, k) to compressed products of shape (c, out).
"""

import jax
import jax.numpy as jnp


def over_seeds(product, seeds, chunk_size=None):
    """``product`` applied to every row of ``seeds`` (c, k): vmapped, in chunks of
    ``chunk_size`` rows when given (bounding memory to that many products at once; 1 runs
    them one after the other in a compiled loop)."""
    if chunk_size is None or chunk_size >= seeds.shape[0]:
        return jax.vmap(product)(seeds)
    if chunk_size == 1:
        return jax.lax.map(product, seeds)
    return jax.lax.map(product, seeds, batch_size=chunk_size)


def hvp_sweep(scalar_fun, x, seeds, chunk_size=None):
    """Forward-over-reverse products H(x) @ seeds[k]: (c, n) -> (c, n)."""
    _, tangent_of_grad = jax.linearize(jax.grad(scalar_fun), x)
    return over_seeds(tangent_of_grad, seeds, chunk_size)


def value_grad_hvp_sweep(scalar_fun, x, seeds, chunk_size=None):
    """(f(x), ∇f(x), H(x) @ seeds[k]) from one linearization of the gradient."""
    (value, grad), tangent = jax.linearize(jax.value_and_grad(scalar_fun), x)
    products = over_seeds(lambda v: tangent(v)[1], seeds, chunk_size)
    return value, grad, products


def forward_hvp_sweep(scalar_fun, x, seeds, basis_batch=None):
    """H(x) @ seeds[k] from forward-mode products only, for f that reverse mode cannot
    differentiate (``while_loop``, ``fori_loop`` with traced bounds): (H u)_i = d²f[e_i, u],
    n second directional derivatives per seed, ``basis_batch`` of them vmapped at once.
    (c, n) -> (c, n), the values of jax.jacfwd(jax.jacfwd(f)) @ u."""
    n = x.shape[0]

    def product(u):
        first = lambda y: jax.jvp(scalar_fun, (y,), (u,))[1]
        second = lambda i: jax.jvp(first, (x,), (jax.nn.one_hot(i, n, dtype=x.dtype),))[1]
        return jax.lax.map(second, jnp.arange(n), batch_size=basis_batch)
    return jax.lax.map(product, seeds)


def forward_value_grad_hvp_sweep(scalar_fun, x, seeds, basis_batch=None):
    """(f(x), ∇f(x), H(x) @ seeds[k]) from forward-mode products only (the gradient from n
    JVPs); see forward_hvp_sweep."""
    n = x.shape[0]
    basis = lambda i: jax.nn.one_hot(i, n, dtype=x.dtype)
    grad = jax.lax.map(lambda i: jax.jvp(scalar_fun, (x,), (basis(i),))[1], jnp.arange(n),
                       batch_size=basis_batch)
    return scalar_fun(x), grad, forward_hvp_sweep(scalar_fun, x, seeds, basis_batch)


def jvp_sweep(fun, x, seeds, chunk_size=None):
    """Jacobian-vector products J(x) @ seeds[k]: (c, n) -> (c, m)."""
    _, jvp = jax.linearize(fun, x)
    return over_seeds(jvp, seeds, chunk_size)


def vjp_sweep(fun, x, seeds, chunk_size=None):
    """Vector-Jacobian products seeds[k] @ J(x): (c, m) -> (c, n)."""
    _, pullback = jax.vjp(fun, x)
    return over_seeds(lambda w: pullback(w)[0], seeds, chunk_size)


def second_directional_sweep(fun, x, seed_pairs, chunk_size=None):
    """Forward-over-forward d²f(x)[u_k, w_k] for seed pairs (P, 2, n) -> (P, m)."""
    def second(pair):
        first = lambda y: jax.jvp(fun, (y,), (pair[0],))[1]
        return jax.jvp(first, (x,), (pair[1],))[1]
    return over_seeds(second, seed_pairs, chunk_size)

