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


class Assembler:
    """Puts ``values`` at fixed ``coordinates`` of an array of ``shape``, in ``format``.

    coordinates: tuple of (nnz,) numpy int arrays, one per dimension, in lexicographic
    order.  The index arrays each format needs are built once, on the device.
    ``dense_shape`` reshapes the "dense" result (e.g. ``x.shape + x.shape``).  "scipy"
    gives a csr_array for 2-D and a coo_array otherwise; scipy.sparse has no float16 or
    bfloat16 (nor float8) matrices, so such values come as float32 (converted exactly).
    """

    def __init__(self, coordinates, shape, format, dense_shape=None):
        self.coordinates = tuple(np.asarray(c, np.int64) for c in coordinates)
        self.shape = tuple(shape)
        self.format = check_format(format)
        self.dense_shape = tuple(dense_shape) if dense_shape is not None else self.shape
        self._bcoo_structure = None
        if format == "bcoo":
            with jax.ensure_compile_time_eval():     # concrete even when built under jit
                self._indices = jnp.asarray(np.stack(self.coordinates, axis=1).astype(np.int32))
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
            return flat.reshape(self.dense_shape)
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
