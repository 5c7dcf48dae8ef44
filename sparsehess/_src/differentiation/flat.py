"""f as a plan differentiates it: a function of one flat vector of the differentiated
inputs with its outputs raveled and concatenated (auxiliary output apart), and the
nestings of flat derivatives back into JAX's pytree structures."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import arguments
from . import formats


def split_aux(out):
    """``(output, aux)`` of a has_aux function, checked like JAX does."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        what = type(out).__name__ + (f" of shape {tuple(out.shape)}" if hasattr(out, "shape")
                                     else f" of length {len(out)}" if isinstance(out, (tuple, list))
                                     else "")
        raise TypeError(f"has_aux=True expects f to return a two-element tuple (output, aux), "
                        f"as jax.hessian and jax.jacfwd do, but f returned a {what}")
    return out[0], out[1]


def primal(f, has_aux):
    """``f`` without its auxiliary output."""
    return (lambda *a: split_aux(f(*a))[0]) if has_aux else f


class FlatFunction:
    """``f`` at the traced leaves of its arguments, seen through one flat vector.

    ``point(leaves)`` is the flat vector (n,) of the differentiated leaves;
    ``vector(x_flat, leaves)`` all outputs raveled and concatenated (m,) with the
    differentiated leaves replaced by slices of ``x_flat``; ``aux(x_flat, leaves)`` f's
    auxiliary output (None without ``has_aux``).  Also holds the detection's ``layout``,
    ``out_shapes`` and ``out_tree``, and ``dtype``, the inputs' common dtype.
    """

    def __init__(self, f, detection, has_aux):
        self.layout = layout = detection.layout
        self.out_shapes, self.out_tree = detection.out_shapes, detection.out_tree
        self.has_aux = has_aux
        self.dtype = input_dtype(layout)
        self._f = f
        self._primal = arguments.flat_function(primal(f, has_aux), layout)

    def point(self, leaves):
        """Concatenate the differentiated leaves (of the traced ``leaves``, in tree order)
        into one vector (n,), in the layout's flat order."""
        layout = self.layout
        position = {leaf: k for k, leaf in enumerate(layout.dynamic)}
        parts = [jnp.ravel(leaves[position[i]]).astype(layout.leaves[i].dtype)
                 for i in layout.order]
        return jnp.concatenate(parts) if len(parts) > 1 else parts[0]

    def vector(self, x_flat, leaves):
        outs = self._primal(*self._substitute(leaves, x_flat))
        return jnp.concatenate([jnp.ravel(o) for o in outs]) if len(outs) > 1 else jnp.ravel(outs[0])

    def at(self, leaves):
        """``x_flat -> vector(x_flat, leaves)``."""
        return lambda x_flat: self.vector(x_flat, leaves)

    def aux(self, x_flat, leaves):
        if not self.has_aux:
            return None
        layout = self.layout
        everything = layout.all_leaves(self._substitute(leaves, x_flat))
        return split_aux(self._f(*jax.tree_util.tree_unflatten(layout.treedef, everything)))[1]

    def _substitute(self, leaves, x_flat):
        """The traced ``leaves`` with the differentiated ones replaced by slices of ``x_flat``."""
        layout = self.layout
        offsets = layout.offsets()
        out = list(leaves)
        for k, i in enumerate(layout.dynamic):
            if i in offsets:
                shape = layout.leaves[i].shape
                out[k] = x_flat[offsets[i]:offsets[i] + math.prod(shape)].reshape(shape)
        return out


def input_dtype(layout):
    """The common dtype of the differentiated inputs (the flat vector's)."""
    return np.result_type(*[layout.leaves[i].dtype for i in layout.order])


def _input_shapes(layout):
    return [layout.leaves[i].shape for i in layout.order]


def input_nesting(layout):
    """Nesting of a flat (n,) vector into the structure of the differentiated arguments
    (one array for an int argnums and array argument; a tuple for a tuple argnums)."""
    return formats.Nesting(jax.tree_util.tree_structure(0), [()], layout.selected,
                           _input_shapes(layout), 1)


def output_nesting(detection, order):
    """Nesting of a flat (m, n[, n]) derivative into jax.jacfwd's (order 1) or
    jax.hessian's (order 2) structure."""
    layout = detection.layout
    return formats.Nesting(detection.out_tree, [o.shape for o in detection.out_shapes],
                           layout.selected, _input_shapes(layout), order)


def csr_coordinates(pattern):
    """(rows, cols) int64 of a CSR pattern's entries in storage order."""
    rows = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr))
    return rows, pattern.indices.astype(np.int64)
