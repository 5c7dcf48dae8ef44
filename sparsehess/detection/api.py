"""Public detection entry points: global sparsity patterns of Jacobians and Hessians."""

import jax
import numpy as np
import scipy.sparse as sp

from .. import arguments
from . import patterns
from .interpreter import Propagator, Value


def trace(f, layout):
    """ClosedJaxpr of ``f`` over all argument leaves, and the output avals."""
    fun = arguments.flat_function(f, layout)
    closed, out_shapes = jax.make_jaxpr(fun, return_shape=True)(*arguments.abstract_leaves(layout))
    return closed, out_shapes


MODES = ("global", "local")


def _is_concrete(leaf):
    return not isinstance(leaf, (jax.core.Tracer, jax.ShapeDtypeStruct))


def propagate(f, args, argnums, *, hessian: bool, strict: bool = False, constants=None,
              mode: str = "global"):
    """Run detection on ``f`` at the shapes of ``args``.

    ``constants`` (bool per argument leaf, default: every non-differentiated leaf with a
    concrete value) marks leaves whose values detection may use as known constants.
    ``mode="local"`` also uses the values of the differentiated arguments to resolve
    value-dependent choices (branches, max/min, dynamic indices, zero factors).
    Returns (Jacobian pattern (m, n), Hessian pattern (n, n) or None, output shapes, layout).
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not one of {MODES}")
    layout = arguments.layout_of(args, argnums)
    closed, out_shapes = trace(f, layout)
    leaves = jax.tree_util.tree_leaves(tuple(args))
    n = layout.n
    local = mode == "local"
    prop = Propagator(n, record=hessian, strict=strict, local=local)
    inputs, offset = [], 0
    for i, (leaf, spec, diff) in enumerate(zip(leaves, layout.leaves, layout.differentiated)):
        size = int(np.prod(spec.shape))
        if diff:
            if local and not _is_concrete(leaf):
                raise ValueError('mode="local" needs concrete input values (arrays), not '
                                 'tracers or ShapeDtypeStructs: it computes the pattern at '
                                 'that point')
            point = np.asarray(leaf) if local else None
            inputs.append(Value(spec.shape, spec.dtype, patterns.identity_block(size, offset, n),
                                point=point))
            offset += size
        else:
            use = constants[i] if constants is not None else True
            value = leaf if use and _is_concrete(leaf) else None
            inputs.append(prop.constant(value, spec.shape, spec.dtype))
    outs = prop.run(closed, inputs)
    jac = sp.csr_array(sp.vstack([o.pattern for o in outs], format="csr")) if outs \
        else patterns.empty(0, n)
    if not hessian:
        return jac, None, out_shapes, layout
    _check_scalar(out_shapes)
    return jac, prop.hessian(outs), out_shapes, layout


def _check_scalar(out_shapes):
    leaves = jax.tree_util.tree_leaves(out_shapes)
    size = sum(int(np.prod(o.shape)) for o in leaves)
    if len(leaves) != 1 or size != 1 or not np.issubdtype(leaves[0].dtype, np.inexact):
        shapes = [(tuple(o.shape), str(o.dtype)) for o in leaves]
        raise ValueError(
            f"a Hessian needs a scalar-valued function with a floating-point output, but f "
            f"returned {shapes}. Reduce the output to a scalar (e.g. jnp.sum), or use "
            f"sparsehess.jacobian / jacobian_sparsity for vector outputs.")


def jacobian_sparsity(f, *args, argnums=0, strict=False, mode="global") -> sp.csr_array:
    """Bool pattern (output size, input size) of ∂f/∂args[argnums].

    ``mode="global"`` (default): valid for every value of the differentiated arguments;
    only their shapes and dtypes are used.  ``mode="local"``: the pattern at the given
    point, using its values to resolve branches (``cond``, ``where``, ``max``), dynamic
    indices and zero factors; valid only at that point.

    Inputs and outputs of any shape and pytree structure are flattened row-major, leaf by
    leaf (``jax.tree_util`` order).  Non-differentiated arguments with concrete values are
    used as known constants (their zeros and index values sharpen the pattern); pass
    ``jax.ShapeDtypeStruct``s for them to get a pattern valid for every value.  Primitives
    without an exact rule get a conservative one and a ``SparsityWarning``;
    ``strict=True`` raises ``UnsupportedPrimitiveError`` instead.
    """
    jac, _, _, _ = propagate(f, args, argnums, hessian=False, strict=strict, mode=mode)
    return jac


def hessian_sparsity(f, *args, argnums=0, strict=False, mode="global") -> sp.csr_array:
    """Symmetric bool pattern (n, n) of the Hessian of scalar ``f``; see jacobian_sparsity."""
    _, hess, _, _ = propagate(f, args, argnums, hessian=True, strict=strict, mode=mode)
    return hess
