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


def assemble(values, coordinates, shape, format, dense_shape=None):
    """Array of ``shape`` with ``values`` at ``coordinates``, in ``format``.

    values: (nnz,) jax array; coordinates: tuple of (nnz,) numpy int arrays, one per
    dimension, in lexicographic order.  ``dense_shape`` reshapes the "dense" result (e.g.
    ``x.shape + x.shape``).  "scipy" gives a csr_array for 2-D and a coo_array otherwise.
    """
    if format == "bcoo":
        indices = jnp.asarray(np.stack(coordinates, axis=1).astype(np.int32))
        return jsparse.BCOO((values, indices), shape=shape, indices_sorted=True,
                            unique_indices=True)
    if format == "dense":
        flat_index = jnp.asarray(np.ravel_multi_index(coordinates, shape))
        flat = jnp.zeros(int(np.prod(shape)), values.dtype).at[flat_index].set(
            values, unique_indices=True)
        return flat.reshape(dense_shape if dense_shape is not None else shape)
    if isinstance(values, jax.core.Tracer):
        raise TypeError('format="scipy" returns a host-side scipy matrix and cannot be used '
                        'inside jax.jit or other transformations; use format="bcoo" or "dense".')
    values = np.asarray(values)
    if len(shape) == 2:
        return sp.csr_array((values, coordinates), shape=shape)
    return sp.coo_array((values, coordinates), shape=shape)
