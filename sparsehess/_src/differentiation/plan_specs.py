"""What each transform's plan is made of: one short :class:`PlanSpec` per kind (what to
detect, how to color, how to compress and recover, which sweep, how to assemble) and the
parts its steps make, which :class:`~.plans.SparsePlan` is built from."""

import dataclasses
import functools
from typing import Any, Callable

import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from ..coloring import color as color_pattern
from ..recovery import jax_recovery
from . import choices, formats, sweeps
from .flat import csr_coordinates, input_dtype, input_nesting, output_nesting


@dataclasses.dataclass(frozen=True)
class Options:
    """The user's options of one plan (those a transform does not take keep the default)."""
    method: str = "auto"
    order: str = "largest_first"
    format: str = "bcoo"
    has_aux: bool = False
    chunk_size: Any = "auto"
    constants: Any = None
    effort: float = 0.0


@dataclasses.dataclass(frozen=True)
class Compression:
    """Host side of a plan: the derivative's ``pattern`` (for per-output kinds, the
    Jacobian's), the ``seeds`` (a numpy array, or a tuple of them), the number of products
    each seed set gives (``counts``), the JAX ``recovery`` of the nonzeros from the
    products, and where they go: ``coordinates`` (tuple of (nnz,) int64) in ``shape``."""
    pattern: sp.csr_array
    seeds: Any
    counts: tuple
    recovery: jax_recovery.Recovery
    coordinates: tuple
    shape: tuple


@dataclasses.dataclass(frozen=True)
class Sweep:
    """How the products are computed: ``products(fun, x_flat, seeds)`` -> tuple of compressed
    products for ``fun`` (x_flat -> f's outputs (m,)); ``value_grad`` the same with f's value
    and gradient first (None where there is no such sweep); ``chunk_size`` products run at
    once; ``kind`` names the products (SparsePlan.products)."""
    kind: str
    chunk_size: Any
    products: Callable
    value_grad: Callable = None


@dataclasses.dataclass(frozen=True)
class Output:
    """The result's ``format`` and ``assemble`` (recovered values -> result)."""
    format: str
    assemble: Callable


@dataclasses.dataclass(frozen=True)
class PlanSpec:
    """One transform kind.  ``hessian``: detect the Hessian of the sum of outputs (else the
    Jacobian); ``check(detection)`` raises for functions the kind does not take;
    ``color(detection, options)`` -> Coloring; ``compress(detection, coloring, dtype)`` ->
    Compression; ``sweep(detection, coloring, counts, chunk)`` -> Sweep; ``output(detection,
    compression, format)`` -> Output; ``vector``: the spec that takes over for a vector f."""
    kind: str
    hessian: bool
    color: Callable
    compress: Callable
    sweep: Callable
    output: Callable
    check: Callable = lambda detection: None
    vector: "PlanSpec" = None


# ------------------------------------------------------------------ checks

def _complex_output(detection) -> bool:
    return any(jnp.issubdtype(o.dtype, jnp.complexfloating) for o in detection.out_shapes)


def _real_scalar(what, detection):
    """A Hessian of a scalar f goes through jax.grad, which needs a real output."""
    if _complex_output(detection):
        raise TypeError(f"{what} of a complex-valued scalar f: gradients need a real output. "
                        f"Differentiate jnp.real(f) and jnp.imag(f) separately.")


def _square(detection):
    m, n = detection.jacobian.shape
    if m != n:
        raise ValueError(f"jacobian_diagonal needs as many outputs as inputs; f maps {n} "
                         f"inputs to {m} outputs")


# ------------------------------------------------------------------ colorings

def _hessian_coloring(detection, options):
    dtype = input_dtype(detection.layout)
    return choices.choose_hessian_coloring(
        detection.hessian, choices.direct_if_low_precision(options.method, dtype), options.order,
        choices.elements_per_evaluation(detection.jaxpr), dtype, effort=options.effort)


def _jacobian_coloring(detection, options):
    return choices.choose_jacobian_coloring(
        detection.jacobian, options.method, options.order, _complex_output(detection),
        choices.reverse_mode_runs(detection.jaxpr), effort=options.effort)


def _distance1(of, detection, options):
    return color_pattern(getattr(detection, of), "distance1", order=options.order)


def _output_columns(detection, options):
    return color_pattern(detection.jacobian, "column", order=options.order, effort=options.effort)


# ------------------------------------------------------------------ compression and recovery

def _output_prefix(detection):
    """(1,) when a one-element f's output has dimensions (``jnp.sum(..., keepdims=True)``):
    like jax.hessian, the result then keeps an output axis; () for a 0-d output."""
    return (1,) if any(len(o.shape) for o in detection.out_shapes) else ()


def _hessian_compression(detection, coloring, dtype):
    n = detection.layout.n
    prefix = _output_prefix(detection)
    rows, cols = csr_coordinates(coloring.pattern)
    return Compression(coloring.pattern, coloring.seed_matrix(dtype).T, (coloring.ncolors,),
                       coloring.decompress_jax(transposed=True),
                       (np.zeros_like(rows), rows, cols) if prefix else (rows, cols),
                       prefix + (n, n))


def _diagonal_compression(of, detection, coloring, dtype):
    n = detection.layout.n
    diagonal = np.arange(n, dtype=np.int64)
    return Compression(getattr(detection, of), coloring.seed_matrix(dtype).T,
                       (coloring.ncolors,), coloring.decompress_jax(transposed=True),
                       (diagonal, diagonal), (n,))


def _jacobian_compression(detection, coloring, dtype):
    if coloring.spec.seeds == "both":
        s_col, s_row = coloring.seed_matrices(dtype)
        seeds, counts = (s_col.T, s_row.T), (coloring.ncolumn_colors, coloring.nrow_colors)
        recovery = coloring.decompress_jax()
    else:
        seeds, counts = coloring.seed_matrix(dtype).T, (coloring.ncolors,)
        # JVPs give B.T (ncolors, m); VJPs give B (ncolors, n)
        recovery = coloring.decompress_jax(transposed=coloring.spec.seeds == "columns")
    return Compression(coloring.pattern, seeds, counts, recovery,
                       csr_coordinates(coloring.pattern), detection.jacobian.shape)


def _output_hessian_entries(jac, hess, diagonal):
    """(k, i, j) of the structurally nonzero ∂²y_k/∂x_i∂x_j: i, j in the Jacobian row of
    output k and (i, j) in the Hessian pattern of the sum of outputs."""
    lengths = np.diff(jac.indptr)
    ks, is_, js = [], [], []
    for length in np.unique(lengths[lengths > 0]):
        rows = np.flatnonzero(lengths == length)
        starts = jac.indptr[rows]
        cols = jac.indices[starts[:, None] + np.arange(length)]          # (R, L)
        if diagonal:
            ks.append(np.repeat(rows, length))
            is_.append(cols.ravel())
            js.append(cols.ravel())
        else:
            ks.append(np.repeat(rows, length * length))
            is_.append(np.repeat(cols, length, axis=1).ravel())
            js.append(np.tile(cols, (1, length)).ravel())
    if not ks:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    k, i, j = (np.concatenate(a).astype(np.int64) for a in (ks, is_, js))
    if not diagonal:
        n = hess.shape[0]
        h = sp.csr_array(hess)
        h.sort_indices()
        keys = csr_coordinates(h)
        present = np.isin(i * n + j, keys[0] * n + keys[1])
        k, i, j = k[present], i[present], j[present]
    order = np.lexsort((j, i, k))
    return k[order], i[order], j[order]


def _output_hessians_compression(diagonal, detection, coloring, dtype):
    """Per-output Hessians (or their diagonals) of a vector f from second directional
    derivatives.

    A column coloring of the Jacobian groups inputs that share no output; within one
    output, each color then holds at most one of its inputs, so d²y[u_a, u_b] for color
    seeds u_a, u_b reads ∂²y_k/∂x_i∂x_j directly.  Diagonals need the pairs (a, a): one
    sweep per color; full Hessians one sweep per pair of colors that some entry needs.
    """
    jac = detection.jacobian
    m, n = jac.shape
    colors = np.asarray(coloring.colors, np.int64)
    k, i, j = _output_hessian_entries(jac, detection.hessian, diagonal)
    base = max(coloring.ncolors, 1)
    lo, hi = np.minimum(colors[i], colors[j]), np.maximum(colors[i], colors[j])
    pair_keys, pair_of_entry = np.unique(lo * base + hi, return_inverse=True)
    seed = coloring.seed_matrix(dtype).T                                  # (ncolors, n)
    seed_pairs = (np.stack([seed[pair_keys // base], seed[pair_keys % base]], axis=1)
                  if len(pair_keys) else np.zeros((0, 2, n), dtype))
    coordinates, shape = ((k, i), (m, n)) if diagonal else ((k, i, j), (m, n, n))
    return Compression(jac, seed_pairs, (len(pair_keys),),
                       jax_recovery.gather(pair_of_entry.astype(np.int64) * m + k),
                       coordinates, shape)


# ------------------------------------------------------------------ sweeps

def _hvp_sweep(detection, coloring, counts, chunk):
    """HVPs of a scalar f: forward-over-reverse, or where reverse mode cannot run,
    forward-over-forward (n second directional derivatives per color, the basis vectors in
    batches that bound memory)."""
    (count,) = counts
    if choices.reverse_mode_runs(detection.jaxpr):
        hvp, vgh, kind = sweeps.hvp_sweep, sweeps.value_grad_hvp_sweep, "forward-over-reverse"
    else:
        batch = choices.auto_chunk_size(detection.jaxpr, detection.layout.n,
                                        np.dtype(input_dtype(detection.layout)).itemsize)
        hvp = lambda fun, x, seeds, _: sweeps.forward_hvp_sweep(fun, x, seeds, batch)
        vgh = lambda fun, x, seeds, _: sweeps.forward_value_grad_hvp_sweep(fun, x, seeds, batch)
        kind, chunk = "forward-over-forward", 1
    scalar = lambda fun: (lambda x: fun(x)[0])
    return Sweep(kind, chunk,
                 lambda fun, x, seeds: (hvp(scalar(fun), x, seeds, chunk)[:count],),
                 lambda fun, x, seeds: vgh(scalar(fun), x, seeds, chunk))


def _hvp_only_sweep(detection, coloring, counts, chunk):
    """HVPs as :func:`_hvp_sweep`, without a value-and-gradient sweep."""
    return dataclasses.replace(_hvp_sweep(detection, coloring, counts, chunk), value_grad=None)


def _jacobian_sweep(detection, coloring, counts, chunk):
    """JVPs for a column coloring, VJPs for a row coloring, both for a bicoloring."""
    if coloring.spec.sweep == "jvp+vjp":
        kc, kr = counts

        def products(fun, x, seeds):
            b_col = sweeps.jvp_sweep(fun, x, seeds[0], chunk)[:kc].T         # (m, kc)
            b_row = sweeps.vjp_sweep(fun, x, seeds[1], chunk)[:kr]           # (kr, n)
            return b_col, b_row
        return Sweep("jvp+vjp", chunk, products)
    (count,) = counts
    sweep = sweeps.jvp_sweep if coloring.spec.sweep == "jvp" else sweeps.vjp_sweep
    return Sweep(coloring.spec.sweep, chunk,
                 lambda fun, x, seeds: (sweep(fun, x, seeds, chunk)[:count],))


def _jvp_sweep(detection, coloring, counts, chunk):
    (count,) = counts
    return Sweep("jvp", chunk,
                 lambda fun, x, seeds: (sweeps.jvp_sweep(fun, x, seeds, chunk)[:count],))


def _second_directional_sweep(detection, coloring, counts, chunk):
    (count,) = counts
    return Sweep("forward-over-forward", chunk, lambda fun, x, pairs: (
        sweeps.second_directional_sweep(fun, x, pairs, chunk)[:count],))


# ------------------------------------------------------------------ outputs

def _assembled(order, detection, compression, format):
    """Values at the compression's coordinates in ``format``; "dense" in JAX's structure."""
    nesting = output_nesting(detection, order) if format == "dense" else None
    return Output(format, formats.Assembler(compression.coordinates, compression.shape, format,
                                            nesting))


def _dense_per_output(detection, compression, format):
    """A diagonal in jax.jacfwd's structure (dense whatever ``format`` asks)."""
    return Output("dense", output_nesting(detection, 1))


def _dense_per_input(detection, compression, format):
    """A diagonal in the structure of the differentiated arguments (dense)."""
    return Output("dense", input_nesting(detection.layout))


# ------------------------------------------------------------------ the specs

OUTPUT_HESSIANS = PlanSpec(
    "output_hessians", hessian=True, color=_output_columns,
    compress=functools.partial(_output_hessians_compression, False),
    sweep=_second_directional_sweep, output=functools.partial(_assembled, 2))
OUTPUT_HESSIAN_DIAGONALS = PlanSpec(
    "output_hessian_diagonals", hessian=True, color=_output_columns,
    compress=functools.partial(_output_hessians_compression, True),
    sweep=_second_directional_sweep, output=functools.partial(_assembled, 1))
HESSIAN = PlanSpec(
    "hessian", hessian=True, check=functools.partial(_real_scalar, "a Hessian"),
    color=_hessian_coloring, compress=_hessian_compression, sweep=_hvp_sweep,
    output=functools.partial(_assembled, 2), vector=OUTPUT_HESSIANS)
HESSIAN_DIAGONAL = PlanSpec(
    "hessian_diagonal", hessian=True, check=functools.partial(_real_scalar, "a Hessian diagonal"),
    color=functools.partial(_distance1, "hessian"),
    compress=functools.partial(_diagonal_compression, "hessian"), sweep=_hvp_only_sweep,
    output=_dense_per_output, vector=OUTPUT_HESSIAN_DIAGONALS)
JACOBIAN = PlanSpec(
    "jacobian", hessian=False, color=_jacobian_coloring, compress=_jacobian_compression,
    sweep=_jacobian_sweep, output=functools.partial(_assembled, 1))
JACOBIAN_DIAGONAL = PlanSpec(
    "jacobian_diagonal", hessian=False, check=_square,
    color=functools.partial(_distance1, "jacobian"),
    compress=functools.partial(_diagonal_compression, "jacobian"), sweep=_jvp_sweep,
    output=_dense_per_input)
