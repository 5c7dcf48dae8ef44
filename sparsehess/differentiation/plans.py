"""Prepared sparse derivatives: pattern + coloring + jitted sweeps for one input signature.

A plan is built once per argument signature (shapes, dtypes, pytree structure); calling
it evaluates the derivative at new points with only the color sweeps and one gather.
"""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from .. import arguments
from ..coloring import color as color_pattern
from ..detection.api import propagate
from . import formats, sweeps


def _flat_point(layout, leaves):
    """Concatenate the differentiated leaves into one vector (n,)."""
    parts = [jnp.ravel(l) for l, d in zip(leaves, layout.differentiated) if d]
    return jnp.concatenate(parts) if len(parts) > 1 else parts[0]


def _substitute(layout, leaves, x_flat):
    """``leaves`` with the differentiated ones replaced by slices of ``x_flat``."""
    out, offset = [], 0
    for leaf, spec, diff in zip(leaves, layout.leaves, layout.differentiated):
        if diff:
            size = int(np.prod(spec.shape))
            out.append(x_flat[offset:offset + size].reshape(spec.shape))
            offset += size
        else:
            out.append(leaf)
    return out


def _vector_function(f, layout):
    """(x_flat, leaves) -> all output leaves raveled and concatenated, shape (m,)."""
    fun = arguments.flat_function(f, layout)

    def vec(x_flat, leaves):
        outs = fun(*_substitute(layout, leaves, x_flat))
        return jnp.concatenate([jnp.ravel(o) for o in outs]) if len(outs) > 1 else jnp.ravel(outs[0])
    return vec


def _diff_shape(layout):
    """Shape of the single differentiated array, or None for several leaves."""
    shapes = [s.shape for s, d in zip(layout.leaves, layout.differentiated) if d]
    return shapes[0] if len(shapes) == 1 else None


class SparsePlan:
    """A prepared sparse Jacobian, Hessian or Hessian diagonal for one argument signature.

    Attributes: ``pattern`` (bool csr_array), ``coloring``, ``ncolors`` (sweeps per call),
    ``shape`` of the flat derivative matrix.
    """

    def __init__(self, kind, pattern, coloring, layout, out_shapes, evaluate, gather, seeds,
                 coordinates, format="bcoo"):
        self.kind = kind
        self.pattern = pattern
        self.coloring = coloring
        self.layout = layout
        self.out_shapes = out_shapes
        self.format = formats.check_format(format)
        self._evaluate = evaluate
        self._gather = jnp.asarray(gather)
        self._seeds = seeds
        self.rows, self.cols = coordinates

    @property
    def ncolors(self) -> int:
        return int(self.coloring.ncolors)

    @property
    def shape(self):
        return self.pattern.shape

    def values(self, *args):
        """Recovered nonzeros in the CSR order of ``pattern`` (or the diagonal), shape (nnz,)."""
        leaves = jax.tree_util.tree_leaves(tuple(args))
        x_flat = _flat_point(self.layout, leaves)
        return self._evaluate(x_flat, leaves, self._seeds.astype(x_flat.dtype), self._gather)

    def __call__(self, *args):
        values = self.values(*args)
        if self.kind == "hessian_diagonal":
            return _unflatten_inputs(self.layout, values)
        dense_shape = None
        in_shape = _diff_shape(self.layout)
        out_leaves = jax.tree_util.tree_leaves(self.out_shapes)
        if self.kind == "hessian" and in_shape is not None:
            dense_shape = in_shape + in_shape
        elif self.kind == "jacobian" and in_shape is not None and len(out_leaves) == 1:
            dense_shape = tuple(out_leaves[0].shape) + in_shape
        return formats.assemble(values, self.rows, self.cols, self.shape, self.format, dense_shape)


def _unflatten_inputs(layout, flat):
    """Split a flat (n,) vector back into the shapes of the differentiated leaves."""
    pieces, offset = [], 0
    for spec, diff in zip(layout.leaves, layout.differentiated):
        if diff:
            size = int(np.prod(spec.shape))
            pieces.append(flat[offset:offset + size].reshape(spec.shape))
            offset += size
    return pieces[0] if len(pieces) == 1 else pieces


def _check_inexact_outputs(out_shapes):
    for o in jax.tree_util.tree_leaves(out_shapes):
        if not np.issubdtype(o.dtype, np.inexact):
            raise TypeError(f"f returns an array of dtype {o.dtype}; derivatives need "
                            f"floating-point outputs")


HESSIAN_METHODS = ("auto", "star", "acyclic", "column")


def choose_hessian_coloring(pattern, method, order):
    """Coloring of a Hessian pattern for ``method``; "auto" takes the fewest colors
    (acyclic only when it saves colors, since its recovery is by substitution)."""
    if method not in HESSIAN_METHODS:
        raise ValueError(f"hessian method={method!r} is not one of {HESSIAN_METHODS}")
    if method != "auto":
        return color_pattern(pattern, method, order=order)
    star = color_pattern(pattern, "star", order=order)
    acyclic = color_pattern(pattern, "acyclic", order=order)
    return acyclic if acyclic.ncolors < star.ncolors else star


def _recovery(coloring, width):
    """(gather, decompress): recovering CSR-ordered values from compressed (ncolors, width).

    Direct methods read each value with one gather (``gather`` indexes the flattened
    compressed array); acyclic colorings substitute along a precomputed schedule.
    """
    if coloring.method == "acyclic":
        substitute = coloring.decompress_jax()
        return np.zeros(0, np.int64), lambda compressed, gather: substitute(compressed.T)
    _, _, b_rows, b_cols = coloring.gather_indices()
    if coloring.method == "row":
        gather = b_rows * width + b_cols
    else:
        gather = b_cols * width + b_rows
    return gather, lambda compressed, gather: compressed.ravel()[gather]


def prepare_hessian(f, args, argnums=0, *, method="star", order="largest_first",
                    format="bcoo", constants=None):
    """Detect, color and compile the sparse Hessian of scalar ``f`` at the signature of ``args``."""
    _, pattern, out_shapes, layout = propagate(f, args, argnums, hessian=True,
                                               constants=constants)
    coloring = choose_hessian_coloring(pattern, method, order)
    coordinates = _csr_coordinates(coloring.pattern)
    gather, recover = _recovery(coloring, layout.n)
    seeds = jnp.asarray(coloring.seed_matrix().T)
    vec = _vector_function(f, layout)

    @jax.jit
    def evaluate(x_flat, leaves, seeds, gather):
        compressed = sweeps.hvp_sweep(lambda x: vec(x, leaves)[0], x_flat, seeds)
        return recover(compressed, gather)

    return SparsePlan("hessian", coloring.pattern, coloring, layout, out_shapes, evaluate, gather,
                      seeds, coordinates, format)


def _csr_coordinates(pattern):
    """(rows, cols) int64 of a CSR pattern's entries in storage order."""
    rows = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr))
    return rows, pattern.indices.astype(np.int64)


def prepare_hessian_diagonal(f, args, argnums=0, *, order="largest_first", constants=None):
    """Plan for the Hessian diagonal of scalar ``f`` from a distance-1 coloring."""
    _, pattern, out_shapes, layout = propagate(f, args, argnums, hessian=True,
                                               constants=constants)
    coloring = color_pattern(pattern, "distance1", order=order)
    n = layout.n
    gather = np.asarray(coloring.colors, np.int64) * n + np.arange(n)
    seeds = jnp.asarray(coloring.seed_matrix().T)
    vec = _vector_function(f, layout)

    @jax.jit
    def evaluate(x_flat, leaves, seeds, gather):
        compressed = sweeps.hvp_sweep(lambda x: vec(x, leaves)[0], x_flat, seeds)
        return compressed.ravel()[gather]

    diagonal = np.arange(n)
    return SparsePlan("hessian_diagonal", pattern, coloring, layout, out_shapes, evaluate, gather,
                      seeds, (diagonal, diagonal))


# A reverse-mode sweep costs about this many forward sweeps; "auto" weighs colorings by it.
VJP_COST = 1.5


def prepare_jacobian(f, args, argnums=0, *, method="auto", order="largest_first",
                     format="bcoo", constants=None):
    """Plan for the sparse Jacobian of ``f`` (column coloring + JVPs or row coloring + VJPs)."""
    pattern, _, out_shapes, layout = propagate(f, args, argnums, hessian=False,
                                               constants=constants)
    _check_inexact_outputs(out_shapes)
    if method == "auto":
        col = color_pattern(pattern, "column", order=order)
        row = color_pattern(pattern, "row", order=order)
        coloring = col if col.ncolors <= VJP_COST * row.ncolors else row
    elif method in ("column", "row"):
        coloring = color_pattern(pattern, method, order=order)
    else:
        raise ValueError(f"jacobian method={method!r} is not one of 'auto', 'column', 'row'")
    m, n = pattern.shape
    gather, recover = _recovery(coloring, m if coloring.method == "column" else n)
    sweep = sweeps.jvp_sweep if coloring.method == "column" else sweeps.vjp_sweep
    seeds = jnp.asarray(coloring.seed_matrix().T)
    vec = _vector_function(f, layout)

    @jax.jit
    def evaluate(x_flat, leaves, seeds, gather):
        compressed = sweep(lambda x: vec(x, leaves), x_flat, seeds)
        return recover(compressed, gather)

    return SparsePlan("jacobian", coloring.pattern, coloring, layout, out_shapes, evaluate,
                      gather, seeds, _csr_coordinates(coloring.pattern), format)
