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


def assemble(values, rows, cols, shape, format, dense_shape=None):
    """Matrix of ``shape`` (m, n) with ``values`` at (rows, cols), in ``format``.

    values: (nnz,) jax array; rows, cols: (nnz,) numpy ints in CSR order.
    ``dense_shape`` reshapes the "dense" result (e.g. x.shape + x.shape).
    """
    if format == "bcoo":
        indices = jnp.asarray(np.stack([rows, cols], axis=1).astype(np.int32))
        return jsparse.BCOO((values, indices), shape=shape, indices_sorted=True,
                            unique_indices=True)
    if format == "dense":
        flat = jnp.zeros(shape[0] * shape[1], values.dtype)
        flat = flat.at[jnp.asarray(rows * shape[1] + cols)].set(values, unique_indices=True)
        return flat.reshape(dense_shape if dense_shape is not None else shape)
    if isinstance(values, jax.core.Tracer):
        raise TypeError('format="scipy" returns a host-side scipy matrix and cannot be used '
                        'inside jax.jit or other transformations; use format="bcoo" or "dense".')
    return sp.csr_array((np.asarray(values), (rows, cols)), shape=shape)
