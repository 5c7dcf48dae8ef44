"""Public detection entry points: global sparsity patterns of Jacobians and Hessians."""

from dataclasses import dataclass

import jax
import numpy as np
import scipy.sparse as sp

from .. import arguments, dtypes
from . import patterns, registry
from .interpreter import Propagator
from .values import Value


def trace(f, layout):
    """ClosedJaxpr of ``f`` over the traced argument leaves, the output leaves' avals (a
    list) and the output's tree structure."""
    fun = arguments.flat_function(f, layout)
    closed, out_shapes = jax.make_jaxpr(fun, return_shape=True)(*arguments.abstract_leaves(layout))
    return closed, out_shapes, fun.out_tree


MODES = ("global", "local")


def register_sparsity_rule(primitive, rule):
    """Tell sparsity detection how the JAX ``primitive`` (a ``jax.extend.core.Primitive``:
    a custom call, a Pallas kernel, a library primitive) propagates dependencies, so that it
    gets an exact pattern instead of the conservative rule and its ``SparsityWarning``.

    ``rule``: one of ``"linear"``, ``"piecewise_linear"``, ``"zero_derivative"``,
    ``"nonlinear_unary"``, ``"nonlinear"``, ``"bilinear"`` (elementwise over broadcast
    operands, by which derivatives vanish; see the README) or ``"conservative"``, or a
    function with the rule signature of the detection table (CONTRIBUTING.md). A registered
    rule replaces any built-in one for that primitive. Register before the first call on a
    function: plans already built keep their pattern."""
    registry.register_rule(primitive, rule)


@dataclass
class Detection:
    """What detection found for one argument signature.

    jacobian: bool csr (m, n) over flattened outputs / differentiated inputs;
    hessian: bool csr (n, n) of the Hessian of the sum of the outputs, or None;
    out_shapes: list of ShapeDtypeStructs of f's output leaves; out_tree: the output's
    tree structure; layout: the arguments' layout; jaxpr: the traced ClosedJaxpr.
    """

    jacobian: sp.csr_array
    hessian: sp.csr_array | None
    out_shapes: list
    out_tree: object
    layout: arguments.ArgumentLayout
    jaxpr: object

    @property
    def scalar_output(self) -> bool:
        leaves = jax.tree_util.tree_leaves(self.out_shapes)
        return len(leaves) == 1 and int(np.prod(leaves[0].shape)) == 1


def _is_concrete(leaf):
    return not isinstance(leaf, (jax.core.Tracer, jax.ShapeDtypeStruct))


def propagate(f, args, argnums, *, hessian: bool, strict: bool = False, constants=None,
              mode: str = "global", require_scalar: bool = True) -> Detection:
    """Run detection on ``f`` at the shapes of ``args``.

    ``constants`` (bool per argument leaf, default: every non-differentiated leaf with a
    concrete value) marks leaves whose values detection may use as known constants.
    ``mode="local"`` also uses the values of the differentiated arguments to resolve
    value-dependent choices (branches, max/min, dynamic indices, zero factors).
    With ``hessian=True`` and ``require_scalar``, a non-scalar ``f`` is an error; otherwise
    the Hessian pattern is that of the sum of the outputs (the union of theirs).
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not one of {MODES}")
    layout = arguments.layout_of(args, argnums)
    closed, out_shapes, out_tree = trace(f, layout)
    paths, leaves = zip(*jax.tree_util.tree_flatten_with_path(tuple(args))[0])
    n = layout.n
    local = mode == "local"
    prop = Propagator(n, record=hessian, strict=strict, local=local)
    offsets = layout.offsets()
    inputs = []
    for i in layout.dynamic:
        leaf, spec = leaves[i], layout.leaves[i]
        size = int(np.prod(spec.shape))
        if i in offsets:
            if local and not _is_concrete(leaf):
                raise ValueError('mode="local" needs concrete input values (arrays), not '
                                 'tracers or ShapeDtypeStructs: it computes the pattern at '
                                 'that point')
            point = np.asarray(leaf) if local else None
            inputs.append(Value(spec.shape, spec.dtype,
                                patterns.identity_block(size, offsets[i], n), point=point))
        else:
            use = constants[i] if constants is not None else True
            if use and _is_concrete(leaf):
                inputs.append(prop.constant(leaf, spec.shape, spec.dtype))
            else:
                inputs.append(prop.argument(spec.shape, spec.dtype, _label(paths[i])))
    outs = prop.walk_closed(closed, inputs)
    jac = sp.csr_array(sp.vstack([o.pattern for o in outs], format="csr")) if outs \
        else patterns.empty(0, n)
    if not hessian:
        return Detection(jac, None, out_shapes, out_tree, layout, closed)
    if require_scalar:
        _check_scalar(out_shapes)
    check_inexact(out_shapes)
    return Detection(jac, prop.hessian(outs), out_shapes, out_tree, layout, closed)


def _label(path):
    """How warnings name the argument leaf at ``path`` (a key path into ``args``)."""
    label = f"argument {path[0].idx} of f"
    return label if len(path) == 1 else f"{label} (leaf args{jax.tree_util.keystr(path)})"


def check_inexact(out_shapes):
    for o in jax.tree_util.tree_leaves(out_shapes):
        if not dtypes.is_inexact(o.dtype):
            raise TypeError(f"f returns an array of dtype {o.dtype}; derivatives need "
                            f"floating-point outputs")


def _check_scalar(out_shapes):
    leaves = jax.tree_util.tree_leaves(out_shapes)
    size = sum(int(np.prod(o.shape)) for o in leaves)
    if len(leaves) != 1 or size != 1 or not dtypes.is_inexact(leaves[0].dtype):
        shapes = [(tuple(o.shape), str(o.dtype)) for o in leaves]
        raise ValueError(
            f"a Hessian needs a scalar-valued function with a floating-point output, but f "
            f"returned {shapes}. Reduce the output to a scalar (e.g. jnp.sum); for the "
            f"Hessians of every output use sparsehess.hessian(f), and "
            f"jacobian_sparsity for first derivatives.")


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
    return propagate(f, args, argnums, hessian=False, strict=strict, mode=mode).jacobian


def hessian_sparsity(f, *args, argnums=0, strict=False, mode="global") -> sp.csr_array:
    """Symmetric bool pattern (n, n) of the Hessian of scalar ``f``; see jacobian_sparsity."""
    return propagate(f, args, argnums, hessian=True, strict=strict, mode=mode).hessian
