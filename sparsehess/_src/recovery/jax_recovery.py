"""Recovery of nonzeros from compressed products, in JAX (jittable, no Python loops).

A :class:`Recovery` is a pytree: its index tables are device arrays, so that passing it as
an argument of a jitted function keeps them arguments instead of constants compiled into
the program.  It runs in stages; called directly the stages compose, and a caller that
compiles each stage separately (as the plans do) keeps XLA from fusing a gather with the
computation of what it gathers from, which it would then redo per gathered entry.
"""

import jax
import jax.numpy as jnp
import numpy as np


@jax.tree_util.register_pytree_node_class
class Recovery:
    """Stages (``jax.tree_util.Partial``s): the first takes the compressed products, each
    later one the previous stage's output; the last gives the nonzeros."""

    def __init__(self, *stages):
        self.stages = stages

    def __call__(self, *products):
        out = self.stages[0](*products)
        for stage in self.stages[1:]:
            out = stage(out)
        return out

    def tree_flatten(self):
        return self.stages, None

    @classmethod
    def tree_unflatten(cls, _, stages):
        return cls(*stages)


def stage(fn, *tables):
    """``Partial(fn, *tables)`` with the numpy tables as device arrays (int32 indices where
    they fit), created concretely even when called under a JAX trace."""
    def device(t):
        t = np.asarray(t)
        if t.dtype.kind in "iu" and t.dtype.itemsize > 4 and t.size and t.max() < 2 ** 31:
            t = t.astype(np.int32)
        return jnp.asarray(t)
    with jax.ensure_compile_time_eval():
        return jax.tree_util.Partial(fn, *(device(t) for t in tables))


def gather(flat, shape=None):
    """Direct recovery: nonzero k is ``ravel(B)[flat[k]]``.  Given B's ``shape`` (r, s),
    when that reads every entry of B column by column (block-diagonal Hessians of per-sample
    functions, one color per feature), a transpose without an index table instead."""
    flat = np.asarray(flat)
    if shape is not None and flat.size and flat.size == shape[0] * shape[1]:
        position = np.arange(flat.size)
        if np.array_equal(flat, (position % shape[0]) * shape[1] + position // shape[0]):
            return Recovery(jax.tree_util.Partial(ravel_transposed))
    return Recovery(stage(take_flat, flat))


def take_flat(flat, b):
    return b.reshape(-1)[flat]


def ravel_transposed(b):
    return b.T.reshape(-1)


def bicoloring(flat_c, flat_r, from_column):
    """Nonzero k is ``ravel(B_c)[flat_c[k]]`` where ``from_column[k]``, else
    ``ravel(B_r)[flat_r[k]]``."""
    return Recovery(stage(_bicoloring_values, flat_c, flat_r, from_column))


def _bicoloring_values(flat_c, flat_r, from_column, bc, br):
    vc = bc.reshape(-1)[flat_c] if bc.size else jnp.zeros(from_column.size, br.dtype)
    vr = br.reshape(-1)[flat_r] if br.size else jnp.zeros(from_column.size, bc.dtype)
    return jnp.where(from_column, vc, vr)


def substitution(b_tour, sign, subtree_end, b_diagonal, entry):
    """Acyclic recovery as prefix sums: the parent-edge value of tree node ``a`` is the
    alternating sum of the B entries over its subtree, one difference of a prefix sum taken
    in Euler-tour (preorder) order: O(nnz) work and no sequential steps, however deep the
    2-colored trees are.

    Accuracy: each root reads the B entry that sums its tree edges, so the alternating sum
    over every whole tree is zero and the running sum never grows with the number of trees
    before it; with each node's largest child last in the tour, it stays within a few
    entries' magnitude inside a tree too.  What remains is the rounding of B itself, summed
    over the subtree.

    Tables (tour length T, D diagonal entries, nnz entries): ``b_tour`` (T,) position in
    raveled B of each tour node's entry; ``sign`` (T,) ±1 by depth parity; ``subtree_end``
    (T,) end of each node's subtree in the tour; ``b_diagonal`` (D,) positions of the
    diagonal in raveled B; ``entry`` (nnz,) index of each nonzero in [edge values (T,),
    diagonal (D,)].
    """
    return Recovery(stage(_edges_and_diagonal, b_tour, sign, subtree_end, b_diagonal),
                    stage(take_flat, entry))


def _edges_and_diagonal(b_tour, sign, subtree_end, b_diagonal, b):
    # float16 / bfloat16 products are summed in float32 (exact for their values) and the
    # entries rounded back once.
    work = jnp.promote_types(b.dtype, jnp.float32)
    bf = b.reshape(-1).astype(work)
    sign = sign.astype(work)
    signed = sign * bf[b_tour]
    prefix = jnp.concatenate([jnp.zeros(1, work), inclusive_prefix_sums(signed)])
    edge = sign * (prefix[subtree_end] - prefix[:-1])
    return jnp.concatenate([edge, bf[b_diagonal]]).astype(b.dtype)


def inclusive_prefix_sums(x, block=64):
    """``cumsum`` of a 1-D array as blocks of ``block`` summed by one triangular matrix
    product, plus the (block-times shorter) running sum of the block totals.  On CPU this
    runs 2-3x faster than ``jnp.cumsum`` and compiles far faster than an associative scan."""
    nblocks = -(-x.size // block)
    tiles = jnp.pad(x, (0, nblocks * block - x.size)).reshape(nblocks, block)
    upper = jnp.triu(jnp.ones((block, block), x.dtype))
    within = jnp.dot(tiles, upper, precision="highest")
    totals = within[:, -1]
    before = jnp.cumsum(totals) - totals
    return (within + before[:, None]).reshape(-1)[:x.size]
