"""User-facing derivative transforms, shaped like ``jax.jacfwd`` / ``jax.hessian``.

Each transform returns a function of the same arguments as ``f``.  The first call for a
given argument signature (pytree structure, shapes, dtypes) detects the sparsity pattern,
colors it and compiles the sweeps; later calls reuse that plan (kept in ``.plans``).
Non-differentiated arguments are treated as unknown during detection, so a plan is valid
for any of their values.  The transforms work under ``jax.jit`` (detection and coloring
then happen at trace time) and ``jax.vmap`` (with ``format="dense"``).

Common keywords: ``argnums`` (int or tuple, like JAX), ``has_aux`` (f returns
``(output, aux)``; the transform returns ``(derivative, aux)``), ``order`` (vertex order
of the coloring), ``chunk_size`` (colors swept at once: "auto" bounds memory and, on one
CPU device, sweeps f that index by arrays one color at a time; an int fixes it).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import arguments
from .differentiation import formats, plans


def _signature(args):
    """(pytree structure, (shape, dtype) per leaf): what a plan is specific to."""
    leaves, treedef = jax.tree_util.tree_flatten(tuple(args))
    return treedef, tuple(_leaf_signature(l) for l in leaves)


def _leaf_signature(leaf):
    if isinstance(leaf, jax.Array):                      # the common case, kept cheap
        return leaf.shape, str(leaf.dtype)
    return tuple(np.shape(leaf)), str(jnp.result_type(leaf))


def _cached_transform(f, argnums, prepare, call=None, **options):
    """A function of f's arguments that builds (once per signature) and calls a plan."""
    cache = {}

    @functools.wraps(f)
    def transformed(*args):
        key = _signature(args)
        plan = cache.get(key)
        if plan is None:
            constants = [False] * len(jax.tree_util.tree_leaves(tuple(args)))
            plan = prepare(f, args, argnums, constants=constants, **options)
            cache[key] = plan
        return plan(*args) if call is None else call(plan, *args)

    transformed.plans = cache
    return transformed


def hessian(f, argnums=0, *, method="auto", order="largest_first", format="bcoo",
            has_aux=False, chunk_size="auto"):
    """Sparse Hessian of ``f`` w.r.t. ``args[argnums]``, like ``jax.hessian``.

    Scalar f: an (n, n) matrix over the flattened inputs (``format``: "bcoo" =
    jax.experimental.sparse.BCOO, "scipy" = scipy csr_array, "dense" = jax array shaped
    ``x.shape + x.shape`` for a single array argument).  Costs one Hessian-vector product
    per color: ``method`` "star" (direct recovery), "acyclic" (substitution, fewer
    colors), "column" (no symmetry) or "auto" (the cheapest by an estimate of sweeps plus
    recovery; below float64, acyclic only where substitution stays about as accurate).

    Vector f (m outputs): every output's Hessian, a sparse (m, n, n) array, from
    forward-over-forward sweeps over pairs of colors of the Jacobian's column coloring
    (for a per-sample function of a C x D batch, C(C+1)/2 sweeps whatever D is).
    """
    formats.check_format(format)
    return _cached_transform(f, argnums, plans.prepare_hessian, method=method, order=order,
                             format=format, has_aux=has_aux, chunk_size=chunk_size)


def hessian_diagonal(f, argnums=0, *, order="largest_first", has_aux=False, chunk_size="auto"):
    """Diagonal of the Hessian, shaped like the differentiated argument.

    Scalar f: one HVP per color of a distance-1 coloring of the Hessian's graph (2 for a
    chain, where a full Hessian needs 3).  Vector f: the (m, n) array of ∂²y_k/∂x_i²
    (shaped ``y.shape + x.shape``), one forward-over-forward sweep per Jacobian color.
    """
    return _cached_transform(f, argnums, plans.prepare_hessian_diagonal, order=order,
                             has_aux=has_aux, chunk_size=chunk_size)


def jacobian(f, argnums=0, *, method="auto", order="largest_first", format="bcoo",
             has_aux=False, chunk_size="auto"):
    """Sparse Jacobian of ``f`` w.r.t. ``args[argnums]``, like ``jax.jacfwd``.

    (m, n) over the flattened outputs and inputs; "dense" gives ``y.shape + x.shape`` for a
    single output and input array.  ``method``: "column" (one JVP per color), "row" (one
    VJP per color), "bicoloring" (both, for dense rows and columns) or "auto" (the cheapest,
    a VJP counted as 1.5 JVPs).
    """
    formats.check_format(format)
    return _cached_transform(f, argnums, plans.prepare_jacobian, method=method, order=order,
                             format=format, has_aux=has_aux, chunk_size=chunk_size)


def jacobian_diagonal(f, argnums=0, *, order="largest_first", has_aux=False, chunk_size="auto"):
    """Diagonal of the Jacobian of a square ``f``, shaped like the input; one JVP per color
    of a distance-1 coloring of the symmetrized pattern J ∪ Jᵀ."""
    return _cached_transform(f, argnums, plans.prepare_jacobian_diagonal, order=order,
                             has_aux=has_aux, chunk_size=chunk_size)


def value_grad_and_hessian(f, argnums=0, *, method="auto", order="largest_first",
                           format="bcoo", chunk_size="auto"):
    """``(f(x), ∇f(x), ∇²f(x))`` for scalar ``f`` from one linearization of the gradient;
    the gradient has the structure of the differentiated arguments."""
    formats.check_format(format)

    def call(plan, *args):
        if plan.kind != "hessian":
            raise ValueError("value_grad_and_hessian needs a scalar-valued f")
        return plan.value_grad_and_hessian(*args)
    return _cached_transform(f, argnums, plans.prepare_hessian, call=call, method=method,
                             order=order, format=format, chunk_size=chunk_size)


def prepare_hessian(f, *args, argnums=0, method="auto", order="largest_first", format="bcoo",
                    has_aux=False, chunk_size="auto"):
    """The plan ``hessian`` builds for the signature of ``args``, to inspect and reuse.

    ``.pattern``, ``.coloring``, ``.ncolors`` (sweeps per evaluation); call it with new
    arguments of the same signature to evaluate there.  Accepts vector-valued f too.
    """
    formats.check_format(format)
    return plans.prepare_hessian(f, args, argnums, method=method, order=order, format=format,
                                 has_aux=has_aux, chunk_size=chunk_size,
                                 constants=[False] * len(jax.tree_util.tree_leaves(args)))


def prepare_jacobian(f, *args, argnums=0, method="auto", order="largest_first", format="bcoo",
                     has_aux=False, chunk_size="auto"):
    """The plan ``jacobian`` builds for the signature of ``args``; see prepare_hessian."""
    formats.check_format(format)
    return plans.prepare_jacobian(f, args, argnums, method=method, order=order, format=format,
                                  has_aux=has_aux, chunk_size=chunk_size,
                                  constants=[False] * len(jax.tree_util.tree_leaves(args)))


def hvp(f, argnums=0):
    """Hessian-vector product without forming H: ``hvp(f)(*args, v)``.

    ``v`` has the structure of ``args[argnums]`` (a tuple of them for a tuple argnums);
    the result has the same structure.  One forward-over-reverse pass.
    """
    def product(*args_and_v):
        *args, v = args_and_v
        nums = arguments.normalize_argnums(argnums, len(args))
        primals = tuple(args[i] for i in nums)

        def of_selected(*selected):
            full = list(args)
            for i, value in zip(nums, selected):
                full[i] = value
            return f(*full)
        tangents = (v,) if isinstance(argnums, int) else tuple(v)
        grad = jax.grad(of_selected, argnums=tuple(range(len(nums))))
        out = jax.jvp(grad, primals, tangents)[1]
        return out[0] if isinstance(argnums, int) else out
    return product

