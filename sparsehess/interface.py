"""User-facing derivative transforms, shaped like ``jax.jacfwd`` / ``jax.hessian``.

Each transform returns a function of the same arguments as ``f``.  The first call for a
given argument signature (pytree structure, shapes, dtypes) detects the sparsity pattern,
colors it and compiles the sweeps; later calls reuse that plan.  Non-differentiated
arguments are treated as unknown during detection, so a plan is valid for any of their
values.
"""

import functools

import jax
import numpy as np

from .differentiation import formats, plans


def _signature(args):
    leaves, treedef = jax.tree_util.tree_flatten(tuple(args))
    return treedef, tuple((tuple(np.shape(l)), str(jax.numpy.result_type(l))) for l in leaves)


def _cached_transform(f, argnums, prepare, **options):
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
        return plan(*args)

    transformed.plans = cache
    return transformed


def hessian(f, argnums=0, *, method="auto", order="largest_first", format="bcoo"):
    """Sparse Hessian of scalar ``f`` w.r.t. ``args[argnums]``, like ``jax.hessian``.

    Returns a function of f's arguments giving an (n, n) matrix over the flattened inputs
    (``format``: "bcoo" = jax.experimental.sparse.BCOO, "scipy" = csr_array, "dense" =
    jax array shaped ``x.shape + x.shape`` for a single array argument).  Costs one
    Hessian-vector product per color of the pattern's coloring: ``method`` "star" (direct
    recovery), "acyclic" (substitution, fewer colors), "column" (no symmetry) or "auto"
    (the fewest colors).
    """
    formats.check_format(format)
    return _cached_transform(f, argnums, plans.prepare_hessian, method=method, order=order,
                             format=format)


def hessian_diagonal(f, argnums=0, *, order="largest_first"):
    """Diagonal of the Hessian of scalar ``f``, shaped like the differentiated argument.

    Costs one Hessian-vector product per color of a distance-1 coloring of the Hessian's
    graph (fewer than a star coloring needs: 2 instead of 3 for a chain).
    """
    return _cached_transform(f, argnums, plans.prepare_hessian_diagonal, order=order)


def jacobian(f, argnums=0, *, method="auto", order="largest_first", format="bcoo"):
    """Sparse Jacobian of ``f`` w.r.t. ``args[argnums]``, like ``jax.jacfwd``.

    (m, n) over the flattened outputs and inputs; "dense" gives ``out.shape + x.shape`` for
    a single output and input array.  ``method``: "column" (one JVP per color), "row" (one
    VJP per color) or "auto" (the cheaper of the two).
    """
    formats.check_format(format)
    return _cached_transform(f, argnums, plans.prepare_jacobian, method=method, order=order,
                             format=format)
