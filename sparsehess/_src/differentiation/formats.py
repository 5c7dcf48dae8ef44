"""Assembling recovered nonzeros into the output formats users ask for."""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
from jax.experimental import sparse as jsparse

FORMATS = ("bcoo", "scipy", "dense")


def check_format(format: str) -> str:
    if format not in FORMATS:
        raise ValueError(f"format={format!r} is not one of {FORMATS}")
    return format


class Nesting:
    """Splits a flat dense derivative into the pytree ``jax.jacfwd`` / ``jax.hessian`` return.

    The flat array is (M, N) for ``order=1`` or (M, N, N) for ``order=2`` (M: f's output
    elements, the leaves of ``out_shapes`` raveled in tree order; N: the differentiated
    inputs in flat order).  The result has f's output structure ``out_tree``; each output
    leaf holds the input structure ``in_tree`` (twice nested for order 2) of arrays shaped
    ``out.shape + in_i.shape (+ in_j.shape)``.
    """

    def __init__(self, out_tree, out_shapes, in_tree, in_shapes, order):
        self.out_tree, self.in_tree = out_tree, in_tree
        self.out_shapes = [tuple(s) for s in out_shapes]
        self.in_shapes = [tuple(s) for s in in_shapes]
        self.order = order
        self._out_bounds = _bounds(self.out_shapes)
        self._in_bounds = _bounds(self.in_shapes)

    def __call__(self, flat):
        m, n = self._out_bounds[-1], self._in_bounds[-1]
        flat = flat.reshape((m,) + (n,) * self.order)
        leaves = [self._inputs(flat[lo:hi], shape)
                  for shape, lo, hi in zip(self.out_shapes, self._out_bounds, self._out_bounds[1:])]
        return jax.tree_util.tree_unflatten(self.out_tree, leaves)

    def _inputs(self, block, out_shape):
        """One output leaf's block (size, N[, N]) as the nested input structure."""
        single = len(self.in_shapes) == 1
        pieces = []
        for i, (a, b) in enumerate(zip(self._in_bounds, self._in_bounds[1:])):
            rows = block if single else block[:, a:b]
            if self.order == 1:
                pieces.append(rows.reshape(out_shape + self.in_shapes[i]))
                continue
            inner = [(rows if single else rows[:, :, c:d]).reshape(
                         out_shape + self.in_shapes[i] + self.in_shapes[j])
                     for j, (c, d) in enumerate(zip(self._in_bounds, self._in_bounds[1:]))]
            pieces.append(jax.tree_util.tree_unflatten(self.in_tree, inner))
        return jax.tree_util.tree_unflatten(self.in_tree, pieces)


def _bounds(shapes):
    """Offsets [0, s0, s0 + s1, ...] of arrays of ``shapes`` raveled one after the other."""
    return list(np.cumsum([0] + [int(np.prod(s)) for s in shapes]))


class Assembler:
    """Puts ``values`` at fixed ``coordinates`` of an array of ``shape``, in ``format``.

    coordinates: tuple of (nnz,) numpy int arrays, one per dimension, in lexicographic
    order.  The index arrays each format needs are built once, on the device.
    ``nesting`` turns the "dense" (``shape``) result into JAX's structure (a Nesting).
    "scipy" gives a csr_array for 2-D and a coo_array otherwise; scipy.sparse has no
    float16 or bfloat16 (nor float8) matrices, so such values come as float32 (converted
    exactly).
    """

    def __init__(self, coordinates, shape, format, nesting=None):
        self.coordinates = tuple(np.asarray(c, np.int64) for c in coordinates)
        self.shape = tuple(shape)
        self.format = check_format(format)
        self.nesting = nesting
        self._bcoo_structure = None
        if format == "bcoo":
            with jax.ensure_compile_time_eval():     # concrete even when built under jit
                nnz = len(self.coordinates[0]) if self.coordinates else 0
                indices = np.empty((nnz, len(self.shape)), np.int32)
                for d, c in enumerate(self.coordinates):
                    indices[:, d] = c                 # one pass each, no int64 stack
                self._indices = jnp.asarray(indices)
        elif format == "dense":
            self._flat = np.ravel_multi_index(self.coordinates, self.shape)

    def __call__(self, values):
        if self.format == "bcoo":
            if self._bcoo_structure is None:     # validated once; later calls only rewrap
                out = jsparse.BCOO((values, self._indices), shape=self.shape,
                                   indices_sorted=True, unique_indices=True)
                self._bcoo_structure = jax.tree_util.tree_structure(out)
                return out
            return jax.tree_util.tree_unflatten(self._bcoo_structure, (values, self._indices))
        if self.format == "dense":
            flat = jnp.zeros(int(np.prod(self.shape)), values.dtype).at[self._flat].set(
                values, unique_indices=True)
            return self.nesting(flat) if self.nesting is not None else flat.reshape(self.shape)
        if isinstance(values, jax.core.Tracer):
            raise TypeError('format="scipy" returns a host-side scipy matrix and cannot be '
                            'used inside jax.jit or other transformations; use format="bcoo" '
                            'or "dense".')
        values = np.asarray(values)
        if values.dtype.itemsize < 4 and jnp.issubdtype(values.dtype, jnp.floating):
            values = values.astype(np.float32)     # scipy.sparse holds float32 and wider
        if len(self.shape) == 2:
            return sp.csr_array((values, self.coordinates), shape=self.shape)
        return sp.coo_array((values, self.coordinates), shape=self.shape)
