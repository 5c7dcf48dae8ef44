"""Prepared sparse derivatives: pattern + coloring + jitted sweeps for one input signature.

A plan is built once per argument signature (pytree structure, shapes, dtypes): detection,
coloring and the recovery indices are computed once; calling the plan evaluates the
derivative at new points with only the color sweeps and one gather (or the acyclic
substitution schedule).  Sweeps run over all JAX devices when there are several.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
from jax.extend import core as jax_core
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import arguments
from ..coloring import color as color_pattern
from ..recovery import jax_recovery
from ..detection import registry
from ..detection.api import check_inexact, propagate
from . import formats, sweeps

HESSIAN_METHODS = ("auto", "star", "acyclic", "column")
JACOBIAN_METHODS = ("auto", "column", "row", "bicoloring")
# A reverse-mode sweep costs about this many forward sweeps; "auto" weighs colorings by it.
VJP_COST = 1.5
# Automatic chunking keeps the sweeps of one chunk under this many bytes of intermediates.
CHUNK_MEMORY_BYTES = 2 * 2 ** 30
# Seeds of at most this many elements are compile-time constants of the jitted sweeps (on
# one device): XLA then folds what depends on the seeds alone (their gathers by constant
# indices, their products with constant weights) out of every evaluation.
EMBEDDED_SEEDS_MAX = 2 ** 20
# Rough CPU cost model for method="auto" (nanoseconds), calibrated on the built-in
# problems: one HVP per element of f's intermediates, and recovery per nonzero (one gather
# for direct methods, prefix sums and several gathers for acyclic substitution).
HVP_NS_PER_ELEMENT = 1.0
RECOVERY_NS_PER_NONZERO = {"star": 2.0, "column": 2.0, "acyclic": 12.0}
# Substitution sums the rounding errors of the products over a subtree of a 2-colored tree.
# In float32 and narrower, "auto" substitutes only when no recovered nonzero sums more than
# this many products' entries: its error then stays within about this factor of direct
# recovery's.
LOW_PRECISION_MAX_TERMS = 10


# ------------------------------------------------------------------ flattening

def _flat_point(layout, leaves):
    """Concatenate the differentiated leaves (of the traced ``leaves``, in tree order) into
    one vector (n,), in the layout's flat order."""
    position = {leaf: k for k, leaf in enumerate(layout.dynamic)}
    parts = [jnp.ravel(leaves[position[i]]).astype(layout.leaves[i].dtype) for i in layout.order]
    return jnp.concatenate(parts) if len(parts) > 1 else parts[0]


def _substitute(layout, leaves, x_flat):
    """The traced ``leaves`` with the differentiated ones replaced by slices of ``x_flat``."""
    offsets = layout.offsets()
    out = list(leaves)
    for k, i in enumerate(layout.dynamic):
        if i in offsets:
            shape = layout.leaves[i].shape
            out[k] = x_flat[offsets[i]:offsets[i] + math.prod(shape)].reshape(shape)
    return out


def split_aux(out):
    """``(output, aux)`` of a has_aux function, checked like JAX does."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        what = type(out).__name__ + (f" of shape {tuple(out.shape)}" if hasattr(out, "shape")
                                     else f" of length {len(out)}" if isinstance(out, (tuple, list))
                                     else "")
        raise TypeError(f"has_aux=True expects f to return a two-element tuple (output, aux), "
                        f"as jax.hessian and jax.jacfwd do, but f returned a {what}")
    return out[0], out[1]


def _primal(f, has_aux):
    """``f`` without its auxiliary output."""
    return (lambda *a: split_aux(f(*a))[0]) if has_aux else f


def _detect(f, args, argnums, *, has_aux, hessian, constants):
    """Detection for a plan: the Hessian of the sum of outputs when ``hessian`` (vector f
    allowed), else the Jacobian of a function that must have floating-point outputs."""
    detection = propagate(_primal(f, has_aux), args, argnums, hessian=hessian,
                          constants=constants, require_scalar=False)
    check_inexact(detection.out_shapes)
    return detection


def _vector_function(f, layout, has_aux):
    """(x_flat, leaves) -> (all outputs raveled and concatenated (m,), aux or None), for the
    traced ``leaves``."""
    fun = arguments.flat_function(_primal(f, has_aux), layout)

    def vec(x_flat, leaves):
        outs = fun(*_substitute(layout, leaves, x_flat))
        return jnp.concatenate([jnp.ravel(o) for o in outs]) if len(outs) > 1 else jnp.ravel(outs[0])

    def aux(x_flat, leaves):
        if not has_aux:
            return None
        everything = layout.all_leaves(_substitute(layout, leaves, x_flat))
        return split_aux(f(*jax.tree_util.tree_unflatten(layout.treedef, everything)))[1]
    return vec, aux


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


def _csr_coordinates(pattern):
    """(rows, cols) int64 of a CSR pattern's entries in storage order."""
    rows = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr))
    return rows, pattern.indices.astype(np.int64)


# ------------------------------------------------------------------ devices and memory

def _place_seeds(seeds: np.ndarray):
    """Seeds as a device array, concrete even when the plan is built under ``jax.jit``;
    with several devices, padded with zero seeds to a multiple of the device count and
    sharded along the seed axis (results stay identical)."""
    devices = jax.devices()
    if len(devices) > 1:
        pad = (-seeds.shape[0]) % len(devices)
        if pad:
            seeds = np.concatenate([seeds, np.zeros((pad,) + seeds.shape[1:], seeds.dtype)])
        mesh = Mesh(np.array(devices), ("colors",))
        spec = PartitionSpec("colors", *([None] * (seeds.ndim - 1)))
        sharding = NamedSharding(mesh, spec)
    else:
        sharding = devices[0]
    with jax.ensure_compile_time_eval():
        return jax.device_put(seeds, sharding)


def elements_per_evaluation(jaxpr) -> int:
    """Number of array elements f's top-level equations produce (a size of one evaluation)."""
    return max(1, sum(math.prod(v.aval.shape) for eqn in jaxpr.jaxpr.eqns for v in eqn.outvars
                      if hasattr(v.aval, "shape")))


def auto_chunk_size(jaxpr, nseeds: int, itemsize: int = 8):
    """Seeds per chunk so that one chunk of sweeps stays under CHUNK_MEMORY_BYTES.

    One sweep is estimated at 3x the intermediates of one evaluation of f (primal, tangent
    and cotangent values).  Returns None when everything fits at once.
    """
    per_sweep = 3 * elements_per_evaluation(jaxpr) * itemsize
    chunk = max(1, CHUNK_MEMORY_BYTES // per_sweep)
    return None if chunk >= nseeds else int(chunk)


def sequential_sweeps_pay(jaxpr) -> bool:
    """Whether the products should run one per color rather than vmapped: on a single CPU
    device, when f indexes by arrays (gathers/scatters anywhere, nested jaxprs included).
    Products then share the linearization and run in a compiled loop (batched, a leading
    axis makes every indexed row a strided access: ``registry.Rule.array_indexed``)."""
    if jax.default_backend() != "cpu" or len(jax.devices()) > 1:
        return False
    return any(getattr(registry.rule_for(eqn.primitive), "array_indexed", False)
               for eqn in _all_equations(jaxpr.jaxpr))


def reverse_mode_runs(jaxpr) -> bool:
    """Whether JAX can reverse-differentiate f: not through a ``while`` loop (``while_loop``,
    ``fori_loop`` with traced bounds), nested jaxprs included."""
    return not any(eqn.primitive.name == "while" for eqn in _all_equations(jaxpr.jaxpr))


def _hessian_sweeps(detection, chunk, nseeds, dtype):
    """(hvp sweep, value-grad-hvp sweep, chunk, products) for a scalar f: forward-over-
    reverse, or where reverse mode cannot run, forward-over-forward (n second directional
    derivatives per color, the basis vectors in batches that bound memory)."""
    if reverse_mode_runs(detection.jaxpr):
        return sweeps.hvp_sweep, sweeps.value_grad_hvp_sweep, chunk, "forward-over-reverse"
    batch = auto_chunk_size(detection.jaxpr, detection.layout.n, np.dtype(dtype).itemsize)
    hvp = lambda fun, x, seeds, _: sweeps.forward_hvp_sweep(fun, x, seeds, batch)
    vgh = lambda fun, x, seeds, _: sweeps.forward_value_grad_hvp_sweep(fun, x, seeds, batch)
    return hvp, vgh, 1, "forward-over-forward"


def _all_equations(jaxpr):
    for eqn in jaxpr.eqns:
        yield eqn
        for sub in jax_core.jaxprs_in_params(eqn.params):
            yield from _all_equations(sub)


# ------------------------------------------------------------------ colorings

def choose_hessian_coloring(pattern, method, order, per_evaluation=1, dtype=np.float64,
                            effort=0.0):
    """Coloring of a Hessian pattern for ``method``.

    "auto" compares star (direct recovery) and acyclic (fewer colors, recovery by
    substitution) by estimated cost: ncolors HVPs of ``per_evaluation`` elements each plus
    the recovery of every nonzero.  Expensive functions get the fewest HVPs; cheap ones
    the cheapest recovery.  For a ``dtype`` narrower than float64, acyclic only where it is
    as accurate as star up to LOW_PRECISION_MAX_TERMS.  ``effort``: seconds of the coloring
    improvement stage (:func:`sparsehess.coloring.color`) for each coloring computed.
    """
    if method not in HESSIAN_METHODS:
        raise ValueError(f"hessian method={method!r} is not one of {HESSIAN_METHODS}")
    if method != "auto":
        return color_pattern(pattern, method, order=order, effort=effort)
    def cost(method, ncolors, nnz):
        return (ncolors * HVP_NS_PER_ELEMENT * per_evaluation
                + RECOVERY_NS_PER_NONZERO[method] * nnz)

    star = color_pattern(pattern, "star", order=order, effort=effort)
    star_cost = cost("star", star.ncolors, star.pattern.nnz)
    if cost("acyclic", 1, star.pattern.nnz) >= star_cost:
        return star                  # even one acyclic color could not pay for substitution
    acyclic = color_pattern(pattern, "acyclic", order=order, effort=effort)
    if cost("acyclic", acyclic.ncolors, acyclic.pattern.nnz) >= star_cost:
        return star
    if jnp.finfo(dtype).bits < 64 and acyclic.max_terms > LOW_PRECISION_MAX_TERMS:
        return star                  # fewer HVPs, but not at the price of accuracy
    return acyclic


def choose_jacobian_coloring(pattern, method, order, complex_output=False, reverse=True,
                             effort=0.0):
    """Column (JVPs), row (VJPs) or bicoloring (both); "auto" takes the cheapest, counting
    a VJP as VJP_COST JVPs.  Complex outputs of real inputs need JVPs (a VJP would read only
    the real part of the products), and so does f where reverse mode cannot run (``reverse``
    False: a while loop): column coloring.  ``effort``: seconds of coloring improvement for
    each coloring computed."""
    if method not in JACOBIAN_METHODS:
        raise ValueError(f"jacobian method={method!r} is not one of {JACOBIAN_METHODS}")
    if complex_output and method in ("row", "bicoloring"):
        raise ValueError(f"jacobian method={method!r} uses reverse-mode products, which do not "
                         f"give the Jacobian of a complex-valued f of real inputs; use "
                         f"method='column' (what 'auto' picks for complex outputs)")
    if not reverse and method in ("row", "bicoloring"):
        raise ValueError(f"jacobian method={method!r} uses reverse-mode products, which JAX "
                         f"cannot run through f's while loop; use method='column' (what "
                         f"'auto' picks there)")
    if complex_output or not reverse or method != "auto":
        return color_pattern(pattern, "column" if method == "auto" else method, order=order,
                             effort=effort)
    candidates = [color_pattern(pattern, m, order=order, effort=effort)
                  for m in ("column", "row", "bicoloring")]
    return min(candidates, key=_jacobian_cost)


def _complex_output(detection) -> bool:
    return any(jnp.issubdtype(o.dtype, jnp.complexfloating) for o in detection.out_shapes)


def _check_real_scalar(detection, what):
    """A Hessian of a scalar f goes through jax.grad, which needs a real output."""
    if _complex_output(detection):
        raise TypeError(f"{what} of a complex-valued scalar f: gradients need a real output. "
                        f"Differentiate jnp.real(f) and jnp.imag(f) separately.")


def _jacobian_cost(coloring):
    if coloring.method == "column":
        return coloring.ncolors
    if coloring.method == "row":
        return VJP_COST * coloring.ncolors
    return coloring.ncolumn_colors + VJP_COST * coloring.nrow_colors


# ------------------------------------------------------------------ the plan

class SparsePlan:
    """A prepared sparse derivative for one argument signature.

    Attributes
      kind        "hessian", "hessian_diagonal", "jacobian", "jacobian_diagonal",
                  "output_hessians" (per-output Hessians of a vector f, (m, n, n)) or
                  "output_hessian_diagonals" ((m, n))
      pattern     bool csr_array of the derivative (for per-output kinds: of the Jacobian)
      coloring    the Coloring that compressed it
      ncolors     number of sweeps (products) one evaluation runs
      chunk_size  products run at once (None: all, vmapped; 1: one after the other)
      products    how one product is computed: "forward-over-reverse" (HVPs), or
                  "forward-over-forward" where f has a while loop (reverse mode cannot run
                  there; each color then costs n second directional derivatives), or
                  "jvp" / "vjp" / "jvp+vjp" for Jacobians
      shape       shape of the flat result
    Calling the plan with f's arguments evaluates the derivative there.
    """

    def __init__(self, kind, *, pattern, coloring, nsweeps, detection, evaluate, seeds,
                 recovery, chunk_size, coordinates, shape, assemble, format, has_aux,
                 products="forward-over-reverse"):
        self.kind = kind
        self.products = products
        self.pattern = pattern
        self.coloring = coloring
        self.ncolors = int(nsweeps)
        self.chunk_size = chunk_size
        self.layout = detection.layout
        self.out_shapes = detection.out_shapes
        self.coordinates = coordinates
        self.shape = shape
        self.format = formats.check_format(format)
        self.has_aux = has_aux
        self._assemble = assemble
        self._seeds, self._recovery = seeds, recovery
        self._products = self.compile(evaluate)
        self._apply = jax.jit(lambda stage, inputs: stage(*inputs))
        if isinstance(assemble, formats.Assembler) and assemble.format != "dense":
            # scipy matrices are built on the host; a BCOO wraps the values around index
            # arrays kept on the device (a compiled function would copy them every call)
            self._apply_last = None
        else:
            self._apply_last = jax.jit(lambda stage, inputs: assemble(stage(*inputs)))

    def compile(self, fn):
        """``jax.jit(fn)(leaves, seeds)`` as a function of f's flattened arguments.  Seeds
        are compile-time constants when vmapped, small and on one device (XLA then folds
        whatever depends on them alone out of every evaluation), else arguments."""
        seeds = self._seeds
        arrays = jax.tree_util.tree_leaves(seeds)
        if (self.chunk_size is None and sum(a.size for a in arrays) <= EMBEDDED_SEEDS_MAX
                and all(len(a.sharding.device_set) == 1 for a in arrays)):
            return jax.jit(lambda leaves: fn(leaves, seeds))
        jitted = jax.jit(fn)
        return lambda leaves: jitted(leaves, seeds)

    def recover(self, products):
        """Recovered nonzeros from the compressed products: each recovery stage is its own
        compiled step (fused with what it gathers from, XLA would recompute that per
        gathered entry), with the index tables as arguments, not compiled-in constants."""
        return self._through(self._recovery.stages, products)[0]

    def _through(self, stages, inputs):
        for stage in stages:
            inputs = (self._apply(stage, inputs),)
        return inputs

    @property
    def rows(self):
        return self.coordinates[-2]

    @property
    def cols(self):
        return self.coordinates[-1]

    def values(self, *args):
        """Recovered nonzeros in the order of ``coordinates`` (jax array (nnz,)); with
        ``has_aux``, ``(values, aux)``."""
        products, aux = self._products(self.layout.dynamic_leaves(args))
        values = self.recover(products)
        return (values, aux) if self.has_aux else values

    def assemble(self, values):
        """The result in this plan's format from ``values()``."""
        return self._assemble(values)

    def __call__(self, *args):
        """The derivative at ``args``, which must have the signature the plan was built for."""
        return self.evaluate_leaves(self.layout.dynamic_leaves(args))

    def evaluate_leaves(self, leaves):
        """The derivative from the traced leaves of f's arguments, unchecked (for callers that
        matched the signature already)."""
        products, aux = self._products(leaves)
        out = self.finish(products)
        return (out, aux) if self.has_aux else out

    def finish(self, products):
        """The result in this plan's format from the compressed products."""
        if self._apply_last is None:
            return self.assemble(self.recover(products))
        *stages, last = self._recovery.stages
        return self._apply_last(last, self._through(stages, products))


def _evaluation(layout, products, aux_fn):
    """evaluate(leaves, seeds) -> (compressed products (tuple of arrays), aux); the
    flattening of the differentiated leaves is part of it, so that it happens inside the
    compiled function."""
    def evaluate(leaves, seeds):
        x_flat = _flat_point(layout, leaves)
        return products(x_flat, leaves, seeds), aux_fn(x_flat, leaves)
    return evaluate


def _options(chunk_size, detection, nseeds, x_dtype):
    if chunk_size == "auto" or chunk_size is None:
        if sequential_sweeps_pay(detection.jaxpr):
            return 1
        return auto_chunk_size(detection.jaxpr, nseeds, np.dtype(x_dtype).itemsize)
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int or 'auto', got {chunk_size!r}")
    return int(chunk_size)


def _x_dtype(layout):
    return np.result_type(*[layout.leaves[i].dtype for i in layout.order])


def _output_prefix(detection):
    """(1,) when a one-element f's output has dimensions (``jnp.sum(..., keepdims=True)``):
    like jax.hessian, the result then keeps an output axis; () for a 0-d output."""
    return (1,) if any(len(o.shape) for o in detection.out_shapes) else ()


def _assembler(coordinates, shape, format, nesting):
    return formats.Assembler(coordinates, shape, format, nesting if format == "dense" else None)


def _direct_if_low_precision(method, dtype):
    """``method``, with "auto" as "star" below 32-bit floats: substitution (acyclic
    recovery) subtracts products that sum several Hessian entries, each rounded to
    float16 / bfloat16, so its entries lose digits that direct recovery keeps."""
    return "star" if method == "auto" and np.dtype(dtype).itemsize < 4 else method


def prepare_hessian(f, args, argnums=0, *, method="auto", order="largest_first",
                    format="bcoo", has_aux=False, chunk_size="auto", constants=None, effort=0.0):
    """Detect, color and compile the sparse Hessian of ``f`` at the signature of ``args``.

    Scalar f: the (n, n) Hessian ((1, n, n) for an output of shape (1,)).  Vector f (m
    outputs): every output's Hessian, (m, n, n).
    """
    detection = _detect(f, args, argnums, has_aux=has_aux, hessian=True, constants=constants)
    if not detection.scalar_output:
        return _prepare_output_hessians(f, detection, diagonal=False, order=order,
                                        format=format, has_aux=has_aux, chunk_size=chunk_size,
                                        effort=effort)
    _check_real_scalar(detection, "a Hessian")
    layout, n = detection.layout, detection.layout.n
    coloring = choose_hessian_coloring(detection.hessian,
                                       _direct_if_low_precision(method, _x_dtype(layout)),
                                       order, elements_per_evaluation(detection.jaxpr),
                                       _x_dtype(layout), effort=effort)
    chunk = _options(chunk_size, detection, coloring.ncolors, _x_dtype(layout))
    hvp_sweep, vgh_sweep, chunk, kind = _hessian_sweeps(detection, chunk, coloring.ncolors,
                                                        _x_dtype(layout))
    ncolors = coloring.ncolors
    vec, aux = _vector_function(f, layout, has_aux)

    def products(x_flat, leaves, seeds):
        scalar = lambda x: vec(x, leaves)[0]
        return hvp_sweep(scalar, x_flat, seeds, chunk)[:ncolors],

    prefix = _output_prefix(detection)
    rows, cols = _csr_coordinates(coloring.pattern)
    coordinates = (np.zeros_like(rows), rows, cols) if prefix else (rows, cols)
    shape = prefix + (n, n)
    plan = SparsePlan(
        "hessian", pattern=coloring.pattern, coloring=coloring, nsweeps=ncolors,
        detection=detection, evaluate=_evaluation(layout, products, aux),
        seeds=_place_seeds(coloring.seed_matrix(_x_dtype(layout)).T),
        recovery=coloring.decompress_jax(transposed=True), chunk_size=chunk,
        coordinates=coordinates, shape=shape,
        assemble=_assembler(coordinates, shape, format, output_nesting(detection, 2)),
        format=format, has_aux=has_aux, products=kind)
    plan.value_grad_and_hessian = _value_grad_and_hessian(plan, vec, detection, vgh_sweep)
    return plan


def _value_grad_and_hessian(plan, vec, detection, vgh_sweep):
    """(value shaped like f's output, gradient shaped like the differentiated arguments,
    Hessian) sharing one linearization."""
    grad_nesting = input_nesting(plan.layout)
    out = detection.out_shapes[0]

    def evaluate(leaves, seeds):
        scalar = lambda x: vec(x, leaves)[0]
        x_flat = _flat_point(plan.layout, leaves)
        value, grad, compressed = vgh_sweep(scalar, x_flat, seeds, plan.chunk_size)
        value = jax.tree_util.tree_unflatten(detection.out_tree, [value.reshape(out.shape)])
        return value, grad_nesting(grad), compressed[:plan.ncolors]
    evaluate = plan.compile(evaluate)

    def call(*args):
        return evaluate_leaves(plan.layout.dynamic_leaves(args))

    def evaluate_leaves(leaves):
        value, grad, compressed = evaluate(leaves)
        return value, grad, plan.finish((compressed,))
    call.evaluate_leaves = evaluate_leaves
    return call


def prepare_hessian_diagonal(f, args, argnums=0, *, order="largest_first", has_aux=False,
                             chunk_size="auto", constants=None, format="dense"):
    """Plan for the Hessian diagonal: scalar f from a distance-1 coloring of the Hessian's
    graph (one HVP per color); vector f, every output's diagonal (m, n), in ``format``."""
    detection = _detect(f, args, argnums, has_aux=has_aux, hessian=True, constants=constants)
    if not detection.scalar_output:
        return _prepare_output_hessians(f, detection, diagonal=True, order=order,
                                        format=format, has_aux=has_aux, chunk_size=chunk_size)
    _check_real_scalar(detection, "a Hessian diagonal")
    layout, n = detection.layout, detection.layout.n
    coloring = color_pattern(detection.hessian, "distance1", order=order)
    chunk = _options(chunk_size, detection, coloring.ncolors, _x_dtype(layout))
    hvp_sweep, _, chunk, kind = _hessian_sweeps(detection, chunk, coloring.ncolors,
                                                _x_dtype(layout))
    vec, aux = _vector_function(f, layout, has_aux)
    ncolors = coloring.ncolors

    def products(x_flat, leaves, seeds):
        scalar = lambda x: vec(x, leaves)[0]
        return hvp_sweep(scalar, x_flat, seeds, chunk)[:ncolors],

    diagonal = np.arange(n, dtype=np.int64)
    return SparsePlan(
        "hessian_diagonal", pattern=detection.hessian, coloring=coloring,
        nsweeps=coloring.ncolors, detection=detection,
        evaluate=_evaluation(layout, products, aux),
        seeds=_place_seeds(coloring.seed_matrix(_x_dtype(layout)).T),
        recovery=coloring.decompress_jax(transposed=True), chunk_size=chunk,
        coordinates=(diagonal, diagonal), shape=(n,), assemble=output_nesting(detection, 1),
        format="dense", has_aux=has_aux, products=kind)


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
        keys = _csr_coordinates(h)
        present = np.isin(i * n + j, keys[0] * n + keys[1])
        k, i, j = k[present], i[present], j[present]
    order = np.lexsort((j, i, k))
    return k[order], i[order], j[order]


def _prepare_output_hessians(f, detection, *, diagonal, order, format, has_aux, chunk_size,
                             effort=0.0):
    """Per-output Hessians (or their diagonals) of a vector f by forward-over-forward sweeps.

    A column coloring of the Jacobian groups inputs that share no output; within one
    output, each color then holds at most one of its inputs, so d²y[u_a, u_b] for color
    seeds u_a, u_b reads ∂²y_k/∂x_i∂x_j directly.  Diagonals need the pairs (a, a): one
    sweep per color; full Hessians one sweep per pair of colors that some entry needs.
    """
    layout, jac = detection.layout, detection.jacobian
    m, n = jac.shape
    coloring = color_pattern(jac, "column", order=order, effort=effort)
    colors = np.asarray(coloring.colors, np.int64)
    k, i, j = _output_hessian_entries(jac, detection.hessian, diagonal)
    lo, hi = np.minimum(colors[i], colors[j]), np.maximum(colors[i], colors[j])
    pair_keys, pair_of_entry = np.unique(lo * max(coloring.ncolors, 1) + hi, return_inverse=True)
    pair_lo, pair_hi = pair_keys // max(coloring.ncolors, 1), pair_keys % max(coloring.ncolors, 1)
    dtype = _x_dtype(layout)
    seed = coloring.seed_matrix(dtype).T                                  # (ncolors, n)
    seed_pairs = np.stack([seed[pair_lo], seed[pair_hi]], axis=1) if len(pair_keys) else \
        np.zeros((0, 2, n), dtype)
    chunk = _options(chunk_size, detection, len(pair_keys), dtype)
    vec, aux = _vector_function(f, layout, has_aux)
    npairs = len(pair_keys)

    def products(x_flat, leaves, pairs):
        fun = lambda x: vec(x, leaves)
        return sweeps.second_directional_sweep(fun, x_flat, pairs, chunk)[:npairs],

    if diagonal:
        kind, coordinates, shape = "output_hessian_diagonals", (k, i), (m, n)
        assemble = _assembler(coordinates, shape, format, output_nesting(detection, 1))
    else:
        kind, coordinates, shape = "output_hessians", (k, i, j), (m, n, n)
        assemble = _assembler(coordinates, shape, format, output_nesting(detection, 2))
    return SparsePlan(
        kind, pattern=jac, coloring=coloring, nsweeps=len(pair_keys), detection=detection,
        evaluate=_evaluation(layout, products, aux), seeds=_place_seeds(seed_pairs),
        recovery=jax_recovery.gather(pair_of_entry.astype(np.int64) * m + k),
        chunk_size=chunk, coordinates=coordinates, shape=shape, assemble=assemble,
        format=format, has_aux=has_aux, products="forward-over-forward")


def prepare_jacobian(f, args, argnums=0, *, method="auto", order="largest_first",
                     format="bcoo", has_aux=False, chunk_size="auto", constants=None,
                     effort=0.0):
    """Plan for the sparse Jacobian of ``f``: column coloring + JVPs, row coloring + VJPs,
    or a bicoloring with both."""
    detection = _detect(f, args, argnums, has_aux=has_aux, hessian=False, constants=constants)
    layout = detection.layout
    m, n = detection.jacobian.shape
    coloring = choose_jacobian_coloring(detection.jacobian, method, order,
                                        _complex_output(detection),
                                        reverse_mode_runs(detection.jaxpr), effort=effort)
    dtype = _x_dtype(layout)
    vec, aux = _vector_function(f, layout, has_aux)
    if coloring.method == "bicoloring":
        s_col, s_row = coloring.seed_matrices(dtype)
        kc, kr = coloring.ncolumn_colors, coloring.nrow_colors
        chunk = _options(chunk_size, detection, max(kc, kr), dtype)
        seeds = (_place_seeds(s_col.T), _place_seeds(s_row.T))

        def products(x_flat, leaves, seeds):
            fun = lambda x: vec(x, leaves)
            b_col = sweeps.jvp_sweep(fun, x_flat, seeds[0], chunk)[:kc].T     # (m, kc)
            b_row = sweeps.vjp_sweep(fun, x_flat, seeds[1], chunk)[:kr]       # (kr, n)
            return b_col, b_row
        nsweeps = kc + kr
        recovery = coloring.decompress_jax()
    else:
        chunk = _options(chunk_size, detection, coloring.ncolors, dtype)
        column = coloring.method == "column"
        sweep = sweeps.jvp_sweep if column else sweeps.vjp_sweep
        seeds = _place_seeds(coloring.seed_matrix(dtype).T)
        nsweeps = coloring.ncolors

        def products(x_flat, leaves, seeds):
            return sweep(lambda x: vec(x, leaves), x_flat, seeds, chunk)[:nsweeps],
        # JVPs give B.T (ncolors, m); VJPs give B (ncolors, n)
        recovery = coloring.decompress_jax(transposed=column)
    coordinates = _csr_coordinates(coloring.pattern)
    return SparsePlan(
        "jacobian", pattern=coloring.pattern, coloring=coloring, nsweeps=nsweeps,
        detection=detection, evaluate=_evaluation(layout, products, aux), seeds=seeds,
        recovery=recovery, chunk_size=chunk, coordinates=coordinates, shape=(m, n),
        assemble=_assembler(coordinates, (m, n), format, output_nesting(detection, 1)),
        format=format, has_aux=has_aux,
        products={"column": "jvp", "row": "vjp", "bicoloring": "jvp+vjp"}[coloring.method])


def prepare_jacobian_diagonal(f, args, argnums=0, *, order="largest_first", has_aux=False,
                              chunk_size="auto", constants=None):
    """Plan for the diagonal of a square Jacobian from a distance-1 coloring of J ∪ Jᵀ."""
    detection = _detect(f, args, argnums, has_aux=has_aux, hessian=False, constants=constants)
    m, n = detection.jacobian.shape
    if m != n:
        raise ValueError(f"jacobian_diagonal needs as many outputs as inputs; f maps {n} "
                         f"inputs to {m} outputs")
    layout = detection.layout
    coloring = color_pattern(detection.jacobian, "distance1", order=order)
    dtype = _x_dtype(layout)
    chunk = _options(chunk_size, detection, coloring.ncolors, dtype)
    vec, aux = _vector_function(f, layout, has_aux)
    ncolors = coloring.ncolors

    def products(x_flat, leaves, seeds):
        fun = lambda x: vec(x, leaves)
        return sweeps.jvp_sweep(fun, x_flat, seeds, chunk)[:ncolors],

    diagonal = np.arange(n, dtype=np.int64)
    return SparsePlan(
        "jacobian_diagonal", pattern=detection.jacobian, coloring=coloring,
        nsweeps=coloring.ncolors, detection=detection,
        evaluate=_evaluation(layout, products, aux),
        seeds=_place_seeds(coloring.seed_matrix(dtype).T),
        recovery=coloring.decompress_jax(transposed=True), chunk_size=chunk,
        coordinates=(diagonal, diagonal), shape=(n,), assemble=input_nesting(layout),
        format="dense", has_aux=has_aux, products="jvp")


