"""Prepared sparse derivatives: pattern + coloring + jitted sweeps for one input signature.

A plan is built once per argument signature (pytree structure, shapes, dtypes) by
:func:`build_plan` from its transform's :class:`~.plan_specs.PlanSpec`: detection, coloring
and the recovery indices are computed once; calling the plan evaluates the derivative at
new points with only the color sweeps and one gather (or the acyclic substitution
schedule).  Sweeps run over all JAX devices when there are several.
"""

import functools

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..detection.api import check_inexact, propagate
from . import choices, formats, plan_specs
from .flat import FlatFunction, input_nesting, primal

# Seeds of at most this many elements are compile-time constants of the jitted sweeps (on
# one device): XLA then folds what depends on the seeds alone (their gathers by constant
# indices, their products with constant weights) out of every evaluation.
EMBEDDED_SEEDS_MAX = 2 ** 20


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


class SparsePlan:
    """A prepared sparse derivative for one argument signature.

    Built from ``function`` (a FlatFunction: f at one flat vector) and the parts of
    :mod:`.plan_specs`: ``coloring``, ``compression`` (seeds, recovery, coordinates),
    ``sweep`` (the products) and ``output`` (format and assembly).

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
    Calling the plan with f's arguments evaluates the derivative there; a "hessian" plan's
    ``value_grad_and_hessian`` evaluates f, its gradient and its Hessian together.
    """

    def __init__(self, kind, function, coloring, compression, sweep, output):
        self.kind = kind
        self.function, self.sweep = function, sweep
        self.coloring = coloring
        self.pattern = compression.pattern
        self.ncolors = int(sum(compression.counts))
        self.products = sweep.kind
        self.chunk_size = sweep.chunk_size
        self.layout, self.out_shapes = function.layout, function.out_shapes
        self.has_aux = function.has_aux
        self.coordinates, self.shape = compression.coordinates, compression.shape
        self.format = formats.check_format(output.format)
        self._assemble = assemble = output.assemble
        self._seeds = jax.tree_util.tree_map(_place_seeds, compression.seeds)
        self._recovery = compression.recovery

        def evaluate(leaves, seeds):
            x_flat = function.point(leaves)
            return sweep.products(function.at(leaves), x_flat, seeds), function.aux(x_flat, leaves)
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

    @functools.cached_property
    def value_grad_and_hessian(self):
        """``(value, gradient, Hessian)`` at f's arguments (a :class:`ValueGradHessian`),
        for plans whose sweep has a value-and-gradient form ("hessian" plans)."""
        if self.sweep.value_grad is None:
            raise AttributeError(f"a {self.kind!r} plan has no value_grad_and_hessian")
        return ValueGradHessian(self)


class ValueGradHessian:
    """(value shaped like f's output, gradient shaped like the differentiated arguments,
    Hessian in the plan's format) of a "hessian" plan, sharing one linearization."""

    def __init__(self, plan):
        self._plan = plan
        function, value_grad, count = plan.function, plan.sweep.value_grad, plan.ncolors
        grad_nesting = input_nesting(plan.layout)
        out = function.out_shapes[0]

        def evaluate(leaves, seeds):
            x_flat = function.point(leaves)
            value, grad, compressed = value_grad(function.at(leaves), x_flat, seeds)
            value = jax.tree_util.tree_unflatten(function.out_tree, [value.reshape(out.shape)])
            return value, grad_nesting(grad), compressed[:count]
        self._evaluate = plan.compile(evaluate)

    def __call__(self, *args):
        return self.evaluate_leaves(self._plan.layout.dynamic_leaves(args))

    def evaluate_leaves(self, leaves):
        value, grad, compressed = self._evaluate(leaves)
        return value, grad, self._plan.finish((compressed,))


def build_plan(spec, f, args, argnums, options):
    """The plan of ``spec`` (a PlanSpec) for ``f`` at the signature of ``args``: detect,
    color, compress, choose the sweep, assemble (``options``: a plan_specs.Options)."""
    detection = propagate(primal(f, options.has_aux), args, argnums, hessian=spec.hessian,
                          constants=options.constants, require_scalar=False)
    check_inexact(detection.out_shapes)
    if spec.vector is not None and not detection.scalar_output:
        spec = spec.vector
    spec.check(detection)
    function = FlatFunction(f, detection, options.has_aux)
    coloring = spec.color(detection, options)
    compression = spec.compress(detection, coloring, function.dtype)
    chunk = choices.chunk_size(options.chunk_size, detection.jaxpr, max(compression.counts),
                               function.dtype)
    sweep = spec.sweep(detection, coloring, compression.counts, chunk)
    output = spec.output(detection, compression, options.format)
    return SparsePlan(spec.kind, function, coloring, compression, sweep, output)


def prepare_hessian(f, args, argnums=0, *, method="auto", order="largest_first",
                    format="bcoo", has_aux=False, chunk_size="auto", constants=None, effort=0.0):
    """Detect, color and compile the sparse Hessian of ``f`` at the signature of ``args``.

    Scalar f: the (n, n) Hessian ((1, n, n) for an output of shape (1,)).  Vector f (m
    outputs): every output's Hessian, (m, n, n).
    """
    return build_plan(plan_specs.HESSIAN, f, args, argnums, plan_specs.Options(
        method=method, order=order, format=format, has_aux=has_aux, chunk_size=chunk_size,
        constants=constants, effort=effort))


def prepare_hessian_diagonal(f, args, argnums=0, *, order="largest_first", has_aux=False,
                             chunk_size="auto", constants=None, format="dense"):
    """Plan for the Hessian diagonal: scalar f from a distance-1 coloring of the Hessian's
    graph (one HVP per color); vector f, every output's diagonal (m, n), in ``format``."""
    return build_plan(plan_specs.HESSIAN_DIAGONAL, f, args, argnums, plan_specs.Options(
        order=order, format=format, has_aux=has_aux, chunk_size=chunk_size,
        constants=constants))


def prepare_jacobian(f, args, argnums=0, *, method="auto", order="largest_first",
                     format="bcoo", has_aux=False, chunk_size="auto", constants=None,
                     effort=0.0):
    """Plan for the sparse Jacobian of ``f``: column coloring + JVPs, row coloring + VJPs,
    or a bicoloring with both."""
    return build_plan(plan_specs.JACOBIAN, f, args, argnums, plan_specs.Options(
        method=method, order=order, format=format, has_aux=has_aux, chunk_size=chunk_size,
        constants=constants, effort=effort))


def prepare_jacobian_diagonal(f, args, argnums=0, *, order="largest_first", has_aux=False,
                              chunk_size="auto", constants=None):
    """Plan for the diagonal of a square Jacobian from a distance-1 coloring of J ∪ Jᵀ."""
    return build_plan(plan_specs.JACOBIAN_DIAGONAL, f, args, argnums, plan_specs.Options(
        order=order, format="dense", has_aux=has_aux, chunk_size=chunk_size,
        constants=constants))
