"""Per-sample Hessians of a batch: the D x D Hessian of each sample's loss w.r.t. its inputs.

A batch X of B samples with D features each, and a loss per sample: losses(X) has shape (B,)
and losses(X)[b] depends only on X[b]. Two ways with sparsehess:

1. The Hessian of the *sum* of the per-sample losses is block diagonal, and its b-th D x D
   block is sample b's Hessian (no cross terms between samples). A star coloring of a block
   diagonal pattern needs D colors: D Hessian-vector products for the whole batch, where a
   dense Hessian needs B * D.
2. ``sparsehess.hessian(losses)`` of the vector function gives every output's Hessian, a
   sparse (B, B*D, B*D) array; sample b's block sits in ``H[b]``. It uses
   forward-over-forward sweeps over pairs of Jacobian colors: D (D + 1) / 2 of them.

Both match ``jax.vmap(jax.hessian(loss_one))``, which costs D passes per sample but must be
written per sample; sparsehess finds the structure from ``losses`` as written.

Run: python examples/per_sample_hessians.py
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import sparsehess  # noqa: E402

B, D, hidden = 128, 4, 16
rng = np.random.default_rng(0)
W1 = jnp.asarray(rng.standard_normal((D, hidden)) / np.sqrt(D))
w2 = jnp.asarray(rng.standard_normal(hidden) / np.sqrt(hidden))
targets = jnp.asarray(rng.standard_normal(B))


def losses(X):
    """Squared error of a one-hidden-layer tanh network, one loss per row of X (B, D)."""
    pred = jnp.tanh(X @ W1) @ w2
    return (pred - targets) ** 2


X = rng.standard_normal((B, D))

# reference: vmap of the dense Hessian of one sample's loss
def loss_one(xb, tb):
    return (jnp.tanh(xb @ W1) @ w2 - tb) ** 2


reference = jax.jit(jax.vmap(jax.hessian(loss_one)))(X, targets)   # (B, D, D)

# 1. Hessian of the summed loss: block diagonal, D colors
plan = sparsehess.prepare_hessian(lambda X: jnp.sum(losses(X)), X, format="scipy")
H = plan(X)                                          # csr (B*D, B*D) over X.ravel()
blocks = np.stack([H[b * D:(b + 1) * D, b * D:(b + 1) * D].toarray() for b in range(B)])
print(f"batch B = {B}, features D = {D}: block-diagonal Hessian {H.shape}, nnz = {H.nnz} "
      f"(= B * D * D = {B * D * D})")
print(f"max |blocks - vmap(hessian)| = {np.abs(blocks - np.asarray(reference)).max():.1e}")
print(f"summed loss: passes: {plan.ncolors} (dense: {B * D})")

# 2. Every output's Hessian from the vector function
vplan = sparsehess.prepare_hessian(losses, X)
Hv = vplan(X)                                         # BCOO (B, B*D, B*D)
b = 5
block_b = Hv[b].todense()[b * D:(b + 1) * D, b * D:(b + 1) * D]
print(f"vector losses: Hessians {Hv.shape}, sample {b} block matches: "
      f"{bool(np.allclose(block_b, reference[b]))}")
print(f"vector losses: passes: {vplan.ncolors} (dense: {B * D})")
