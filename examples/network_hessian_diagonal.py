"""The Hessian diagonal of every output of a network: ∂²y_k/∂x_i² for all k and i.

For a network y = net(x): R^n -> R^m, ``sparsehess.hessian_diagonal(net)(x)`` returns the
(m, n) array of second derivatives of each output along each input (the diagonals of the m
output Hessians; shaped ``y.shape + x.shape``). Dense, this is m Hessians of size n x n
(``jax.hessian`` of a vector function: n forward passes over m reverse passes). Here the
network is a small 1-D convolutional net, so each output sees only a window of inputs and
sparsehess needs one forward-over-forward sweep per color of the Jacobian's coloring: a
handful, independent of n.

Run: python examples/network_hessian_diagonal.py
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import sparsehess  # noqa: E402

n = 512                                  # signal length = inputs = outputs
rng = np.random.default_rng(0)
w1 = jnp.asarray(rng.standard_normal((8, 1, 3)) / np.sqrt(3))   # 1 -> 8 channels, width 3
w2 = jnp.asarray(rng.standard_normal((1, 8, 3)) / np.sqrt(24))  # 8 -> 1 channel, width 3


def conv(h, w):
    return jax.lax.conv_general_dilated(h[None], w, window_strides=(1,), padding="SAME")[0]


def net(x):
    """Two convolutions with a tanh between: y_k depends on x_{k-2} .. x_{k+2}."""
    h = jnp.tanh(conv(x[None, :], w1))
    return conv(h, w2)[0] + 0.1 * jnp.sin(x) * x


x = rng.standard_normal(n)
diag_fn = sparsehess.hessian_diagonal(net)
D = diag_fn(x)                                    # (m, n): D[k, i] = ∂² y_k / ∂x_i²
plan = next(iter(diag_fn.plans.values()))         # the plan built for this signature

# check a few outputs against dense jax.hessian of one output at a time
for k in (0, 7, n // 2, n - 1):
    Hk = jax.jit(jax.hessian(lambda x: net(x)[k]))(x)
    assert np.allclose(np.diag(Hk), D[k], atol=1e-10), k
print(f"outputs m = {D.shape[0]}, inputs n = {D.shape[1]}: diagonals shape {D.shape}")
print(f"nonzero second derivatives per output: {np.count_nonzero(np.asarray(D)) / n:.1f} "
      "(receptive field 5)")
print(f"checked outputs 0, 7, {n // 2}, {n - 1} against jax.hessian: equal")
print(f"passes: {plan.ncolors} (dense: {n})")
