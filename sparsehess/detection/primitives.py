"""The primitive table: each JAX primitive is classified once, and each class has one rule.

Classes (by the structure of first and second derivatives):
  linear            out = sum of operands, no curvature (add, neg, convert, ...)
  piecewise_linear  first derivative piecewise constant, no curvature (abs, max, select_n, ...)
  zero_derivative   output does not depend differentiably on inputs (comparisons, sign, ...)
  nonlinear_unary   curvature only on the diagonal (exp, tanh, ...)
  nonlinear         curvature between every pair of operands (pow, atan2, ...)
  bilinear          curvature only between the two operands (mul, dot_general)
  data_movement     copies elements (reshape, slice, gather, ...): maps from index evaluation
  reduction / cumulative / scatter    linear many-to-one maps built from the shapes

A rule takes an ``EqnContext`` and returns an ``EqnStructure``.  Primitives missing from the
table get ``conservative`` (every output element depends on every input element, with
curvature among all of them) and a ``SparsityWarning`` from the interpreter.
"""

from dataclasses import dataclass

import numpy as np
from jax import dtypes, lax

from . import index_maps, value_ranges
from .index_maps import size_of
from .structure import EqnStructure, Interaction, LocalMap


@dataclass
class EqnContext:
    """What a rule may look at: the equation, operand shapes and operand values.

    ``known``: the operands' values that are constants (the same for every input), else None.
    ``values``: their values at the point of detection: the constant, else (local mode) the
    value at the input point, else None; the same list as ``known`` in global mode.

    A zero in ``values`` proves a first derivative zero at the point (∂(ab)/∂b = a), so
    rules may prune first-order maps by it.  Only a constant has no derivatives at all:
    second-order terms (∂²(ab)/∂a∂b = 1) and a value's own dependencies are pruned by
    ``known`` only.
    ``ranges``: for operands without a value, their possible values
    (``value_ranges.Range``) or None; index rules try every index they allow.
    """

    eqn: object
    in_shapes: list
    known: list
    values: list
    out_shapes: list
    ranges: list = None

    @property
    def params(self):
        return self.eqn.params

    def in_size(self, pos: int) -> int:
        return size_of(self.in_shapes[pos])

    def out_size(self, pos: int = 0) -> int:
        return size_of(self.out_shapes[pos])


# ---------------------------------------------------------------- elementwise helpers

def _elementwise_index(ctx, pos, out_pos=0):
    """Operand element used by each output element of an elementwise op (numpy-style
    broadcasting of size-1 dimensions); None means the identity."""
    in_shape, out_shape = tuple(ctx.in_shapes[pos]), tuple(ctx.out_shapes[out_pos])
    if in_shape == out_shape:
        return None
    try:
        ids = np.broadcast_to(np.arange(ctx.in_size(pos)).reshape(in_shape), out_shape)
    except ValueError:
        raise ValueError(f"{ctx.eqn.primitive.name}: operand shape {in_shape} does not "
                         f"broadcast elementwise to {out_shape}") from None
    return ids.ravel()


def _elementwise_map(ctx, pos, keep=None, out_pos=0):
    """LocalMap of an elementwise op for operand ``pos``; ``keep`` masks output elements."""
    idx = _elementwise_index(ctx, pos, out_pos)
    if keep is not None and not np.all(keep):
        base = np.arange(ctx.out_size(out_pos)) if idx is None else idx
        idx = np.where(np.broadcast_to(keep, base.shape), base, -1)
    return LocalMap(ctx.out_size(out_pos), ctx.in_size(pos), gather=idx)


def _elementwise_interaction(ctx, a, b):
    ia, ib = _elementwise_index(ctx, a), _elementwise_index(ctx, b)
    if ia is None and ib is None:
        return Interaction(0, a, b)
    n = ctx.out_size()
    arange = np.arange(n)
    return Interaction(0, a, b, arange, arange if ia is None else ia, arange if ib is None else ib)


def _nonzero_mask(ctx, pos):
    """Output-shaped mask of operand ``pos`` being nonzero at the point, else None."""
    value = ctx.values[pos]
    if value is None:
        return None
    return np.broadcast_to(np.asarray(value) != 0, ctx.out_shapes[0]).ravel()


# ---------------------------------------------------------------- rules by class

def linear(ctx):
    """Each output element depends on the same element of every operand; no curvature."""
    return EqnStructure(maps=[(0, p, _elementwise_map(ctx, p)) for p in range(len(ctx.in_shapes))])


piecewise_linear = linear


def zero_derivative(ctx):
    return EqnStructure()


def nonlinear_unary(ctx):
    return EqnStructure(maps=[(0, 0, _elementwise_map(ctx, 0))],
                        interactions=[_elementwise_interaction(ctx, 0, 0)])


def nonlinear(ctx):
    """Elementwise with curvature between every pair of operands."""
    n = len(ctx.in_shapes)
    return EqnStructure(
        maps=[(0, p, _elementwise_map(ctx, p)) for p in range(n)],
        interactions=[_elementwise_interaction(ctx, a, b) for a in range(n) for b in range(a, n)])


def mul(ctx):
    """x * y: a zero factor removes the dependency on the other factor (not its own, nor
    the curvature between them)."""
    return EqnStructure(
        maps=[(0, 0, _elementwise_map(ctx, 0, _nonzero_mask(ctx, 1))),
              (0, 1, _elementwise_map(ctx, 1, _nonzero_mask(ctx, 0)))],
        interactions=[_elementwise_interaction(ctx, 0, 1)])


def div(ctx):
    """x / y: linear in x, nonlinear in y."""
    return EqnStructure(
        maps=[(0, 0, _elementwise_map(ctx, 0)),
              (0, 1, _elementwise_map(ctx, 1, _nonzero_mask(ctx, 0)))],
        interactions=[_elementwise_interaction(ctx, 0, 1), _elementwise_interaction(ctx, 1, 1)])


def integer_pow(ctx):
    y = ctx.params["y"]
    if y == 0:
        return zero_derivative(ctx)
    if y == 1:
        return linear(ctx)
    return nonlinear_unary(ctx)


def _may_tie(a, b):
    """Bool mask of elements of ``a`` and ``b`` that may compare equal when computed: equal,
    NaN, or both below the smallest normal number (XLA on CPU flushes those to zero)."""
    tie = a == b
    dtype = np.result_type(a, b)
    if dtypes.issubdtype(dtype, np.inexact):
        tiny = np.finfo(dtype).tiny
        tie |= ((np.abs(a) < tiny) & (np.abs(b) < tiny)) | np.isnan(a) | np.isnan(b)
    return tie


def max_min(ctx):
    """max / min: piecewise linear.  With both values available (local mode) each output
    element depends only on the operand(s) attaining it (both where they may tie)."""
    a, b = ctx.values
    if a is None or b is None:
        return linear(ctx)
    shape = ctx.out_shapes[0]
    a, b = np.broadcast_to(a, shape).ravel(), np.broadcast_to(b, shape).ravel()
    tie = _may_tie(a, b)
    pick_a = tie | (a > b if ctx.eqn.primitive.name == "max" else a < b)
    pick_b = tie | (b > a if ctx.eqn.primitive.name == "max" else b < a)
    return EqnStructure(maps=[(0, 0, _elementwise_map(ctx, 0, pick_a)),
                              (0, 1, _elementwise_map(ctx, 1, pick_b))])


def clamp(ctx):
    """clamp(lo, x, hi): piecewise linear.  With all values available (local mode) each
    output element depends only on the operand JAX differentiates it by (lo where
    x < lo < hi, x where lo < x < hi, hi where hi < x; all three where they may tie)."""
    lo, x, hi = ctx.values
    if lo is None or x is None or hi is None:
        return linear(ctx)
    shape = ctx.out_shapes[0]
    lo, x, hi = (np.broadcast_to(v, shape).ravel() for v in (lo, x, hi))
    tie = _may_tie(x, lo) | _may_tie(x, hi) | _may_tie(lo, hi)
    return EqnStructure(maps=[(0, 0, _elementwise_map(ctx, 0, tie | ((lo > x) & (lo < hi)))),
                              (0, 1, _elementwise_map(ctx, 1, tie | ((x > lo) & (x < hi)))),
                              (0, 2, _elementwise_map(ctx, 2, tie | (hi < x)))])


def select_n(ctx):
    """select_n(which, *cases): piecewise in the cases, no derivative w.r.t. ``which``."""
    which = ctx.values[0]
    maps = []
    for k in range(1, len(ctx.in_shapes)):
        keep = None
        if which is not None:
            keep = np.broadcast_to(np.asarray(which).astype(np.int64) == k - 1,
                                   ctx.out_shapes[0]).ravel()
        maps.append((0, k, _elementwise_map(ctx, k, keep)))
    return EqnStructure(maps=maps)


def conservative(ctx):
    """Every output element depends on every operand element, with curvature among all."""
    maps, interactions = [], []
    for o in range(len(ctx.out_shapes)):
        for p in range(len(ctx.in_shapes)):
            maps.append((o, p, LocalMap(ctx.out_size(o), ctx.in_size(p), dense=True)))
        interactions.append(Interaction(o))
    return EqnStructure(maps=maps, interactions=interactions)


def data_movement(*data_positions):
    """Rule for a gather-like primitive whose operands ``data_positions`` are copied
    (``None`` = all operands).  Other operands (indices, start positions) must have values
    (constants, or local-mode points) for an exact map; otherwise every output element may
    come from any element."""

    def rule(ctx):
        positions = range(len(ctx.in_shapes)) if data_positions == (None,) else data_positions
        dense = EqnStructure(maps=[(o, p, LocalMap(ctx.out_size(o), ctx.in_size(p), dense=True))
                                   for o in range(len(ctx.out_shapes)) for p in positions])
        candidates = _index_candidates(ctx, set(positions))
        if candidates is None:
            return dense
        all_maps = [index_maps.gather_like(ctx.eqn, ctx.in_shapes, values, set(positions))
                    for values in candidates]
        if any(maps is None for maps in all_maps):
            return dense
        if len(all_maps) == 1:
            return EqnStructure(maps=[(o, p, LocalMap(ctx.out_size(o), ctx.in_size(p), gather=idx))
                                      for (o, p), idx in all_maps[0].items()])
        return EqnStructure(maps=[(o, p, LocalMap(ctx.out_size(o), ctx.in_size(p),
                                                  matrix=_union_of_gathers(maps_of, ctx.in_size(p))))
                                  for (o, p), maps_of in _by_key(all_maps).items()])
    rule.data_positions = data_positions
    return rule


def _index_candidates(ctx, data_positions):
    """Operand value lists to evaluate an index primitive at (see
    ``value_ranges.index_candidates``), or None."""
    ranges = ctx.ranges or [None] * len(ctx.values)
    return value_ranges.index_candidates(ctx.eqn.primitive.name, ctx.values, ranges,
                                         data_positions)


def _by_key(dicts):
    """{key: [values of that key in each dict]} over a list of dicts."""
    out = {}
    for d in dicts:
        for k, v in d.items():
            out.setdefault(k, []).append(v)
    return out


def _entries(arrays):
    """(positions, values) over the entries >= 0 of equal-length int arrays."""
    stacked = np.stack(arrays)
    keep = stacked >= 0
    return np.broadcast_to(np.arange(stacked.shape[1]), stacked.shape)[keep], stacked[keep]


def _union_of_gathers(gathers, in_size):
    """Bool CSR (out size, in_size): output element i depends on g[i] for each gather g."""
    rows, cols = _entries(gathers)
    return index_maps.targets_to_matrix_pairs(rows, cols, len(gathers[0]), in_size)


def _scatter_targets(ctx):
    """For every index value the indices (operand 1) may take, the output element each
    update element (operand 2) lands in (int arrays, -1 for dropped); None if unknown."""
    candidates = _index_candidates(ctx, {0, 2})
    if candidates is None:
        return None
    out_shape, upd_shape = ctx.out_shapes[0], ctx.in_shapes[2]
    params = dict(ctx.params)
    zeros = np.zeros(out_shape, np.float32)
    targets = []
    for values in candidates:
        def place(updates, indices=values[1]):
            return lax.scatter_add_p.bind(zeros, indices, updates, **params)
        targets.append(index_maps.scatter_targets(place, upd_shape, out_shape))
    return targets


def _scatter_updates_map(ctx, targets):
    """LocalMap of a scatter's updates into its output, given their possible ``targets``."""
    if targets is None:
        return LocalMap(ctx.out_size(), ctx.in_size(2), dense=True)
    cols, rows = _entries(targets)
    matrix = index_maps.targets_to_matrix_pairs(rows, cols, ctx.out_size(), ctx.in_size(2))
    return LocalMap(ctx.out_size(), ctx.in_size(2), matrix=matrix)


def scatter_add(ctx):
    """out = operand + updates placed at known indices (or any of the indices their
    range allows)."""
    upd = _scatter_updates_map(ctx, _scatter_targets(ctx))
    return EqnStructure(maps=[(0, 0, _elementwise_map(ctx, 0)), (0, 2, upd)])


def scatter_mul(ctx):
    """out = operand times the updates placed at constant indices: curvature among each
    output element's factors."""
    structure = scatter_add(ctx)
    structure.interactions.append(Interaction(0))
    return structure


def scatter(ctx):
    """out = operand with the elements at known indices overwritten by updates (an element
    keeps the operand's dependency unless every index the range allows overwrites it)."""
    targets = _scatter_targets(ctx)
    upd = _scatter_updates_map(ctx, targets)
    if targets is None:
        return EqnStructure(maps=[(0, 0, _elementwise_map(ctx, 0)), (0, 2, upd)])
    overwritten = np.ones(ctx.out_size(), bool)
    for t in targets:
        hit = np.zeros(ctx.out_size(), bool)
        hit[t[t >= 0]] = True
        overwritten &= hit
    return EqnStructure(maps=[(0, 0, _elementwise_map(ctx, 0, ~overwritten)), (0, 2, upd)])


def _reduction_map(ctx):
    targets = index_maps.reduction_targets(ctx.in_shapes[0], ctx.params["axes"])
    return LocalMap(ctx.out_size(), ctx.in_size(0),
                    matrix=index_maps.targets_to_matrix(targets, ctx.out_size()))


def reduction(ctx):
    """reduce_sum / reduce_max / reduce_min over ``axes``: linear or piecewise linear."""
    return EqnStructure(maps=[(0, 0, _reduction_map(ctx))])


def reduction_nonlinear(ctx):
    """reduce_prod and friends: curvature among all elements of each reduced group."""
    return EqnStructure(maps=[(0, 0, _reduction_map(ctx))], interactions=[Interaction(0)])


def _cumulative_map(ctx):
    matrix = index_maps.cumulative_matrix(ctx.in_shapes[0], ctx.params["axis"],
                                          ctx.params["reverse"])
    return LocalMap(ctx.out_size(), ctx.in_size(0), matrix=matrix)


def cumulative(ctx):
    """cumsum / cummax / cummin: element i depends on the prefix (or suffix) up to i."""
    return EqnStructure(maps=[(0, 0, _cumulative_map(ctx))])


def cumulative_nonlinear(ctx):
    """cumprod / cumlogsumexp: prefix dependencies with curvature among them."""
    return EqnStructure(maps=[(0, 0, _cumulative_map(ctx))], interactions=[Interaction(0)])


def _nonzero_at(value, elems):
    """Bool mask (len(elems),) of ``value`` (flattened) being nonzero at ``elems``; None
    (nothing to prune) when the value is unknown."""
    return None if value is None else np.asarray(value).ravel()[elems] != 0


def _both(mask, other):
    """Conjunction of two masks where None means all true."""
    if mask is None or other is None:
        return other if mask is None else mask
    return mask & other


def _select(mask, *arrays):
    """The arrays at ``mask`` (all of them when None or all true)."""
    if mask is None or mask.all():
        return arrays
    return tuple(a[mask] for a in arrays)


def _bilinear(ctx, out_t, lhs_t, rhs_t):
    """Structure of out[o] = Σ lhs[l] * rhs[r] over the triples (o, l, r) (int arrays of
    equal length).

    ∂out[o]/∂lhs[l] = rhs[r]: the lhs map skips triples whose rhs is zero at the point, and
    the rhs map those whose lhs is; ∂²out[o]/∂lhs[l]∂rhs[r] = 1, so the curvature skips only
    triples with a constant zero (whose operand has no derivatives anyway)."""
    out_size = ctx.out_size()
    constant = _both(_nonzero_at(ctx.known[0], lhs_t), _nonzero_at(ctx.known[1], rhs_t))
    lhs_keep = rhs_keep = constant
    if ctx.values[1] is not ctx.known[1]:
        lhs_keep = _both(constant, _nonzero_at(ctx.values[1], rhs_t))
    if ctx.values[0] is not ctx.known[0]:
        rhs_keep = _both(constant, _nonzero_at(ctx.values[0], lhs_t))
    lhs_out, lhs_in = _select(lhs_keep, out_t, lhs_t)
    rhs_out, rhs_in = _select(rhs_keep, out_t, rhs_t)
    lhs_map = index_maps.targets_to_matrix_pairs(lhs_out, lhs_in, out_size, ctx.in_size(0))
    rhs_map = index_maps.targets_to_matrix_pairs(rhs_out, rhs_in, out_size, ctx.in_size(1))
    return EqnStructure(
        maps=[(0, 0, LocalMap(out_size, ctx.in_size(0), matrix=lhs_map)),
              (0, 1, LocalMap(out_size, ctx.in_size(1), matrix=rhs_map))],
        interactions=[Interaction(0, 0, 1, *_select(constant, out_t, lhs_t, rhs_t))])


def dot_general(ctx):
    """Bilinear contraction: exact element triples, pruned by zeros (see ``_bilinear``)."""
    out_t, lhs_t, rhs_t, _ = index_maps.dot_general_triples(
        ctx.in_shapes[0], ctx.in_shapes[1], ctx.params["dimension_numbers"])
    return _bilinear(ctx, out_t, lhs_t, rhs_t)


def conv(ctx):
    """conv_general_dilated: bilinear, exact triples (a 3x3 stencil with zero corners in a
    constant kernel gives the 5-point pattern), feature and batch groups included."""
    triples = index_maps.conv_triples(ctx.eqn, ctx.in_shapes[0], ctx.in_shapes[1],
                                      ctx.out_shapes[0], ctx.known[1])
    if triples is None:
        return conservative(ctx)
    return _bilinear(ctx, *triples)


def sort(ctx):
    """sort along ``dimension``: each output element may be any element of its line of the
    same operand (a permutation chosen by the keys, which get no derivative)."""
    shape = ctx.in_shapes[0]
    axis = ctx.params["dimension"]
    size = ctx.in_size(0)
    if shape[axis] == size:
        local = LocalMap(size, size, dense=True)
    else:
        groups = index_maps.line_groups(shape, axis)
        local = LocalMap(size, size, matrix=index_maps.same_group_matrix(groups, groups))
    return EqnStructure(maps=[(p, p, local) for p in range(len(ctx.in_shapes))])


def top_k(ctx):
    """top_k along the last axis: each value may be any element of its row."""
    in_shape, out_shape = ctx.in_shapes[0], ctx.out_shapes[0]
    if len(in_shape) == 1:
        local = LocalMap(ctx.out_size(), ctx.in_size(0), dense=True)
    else:
        matrix = index_maps.same_group_matrix(index_maps.line_groups(out_shape, len(out_shape) - 1),
                                              index_maps.line_groups(in_shape, len(in_shape) - 1))
        local = LocalMap(ctx.out_size(), ctx.in_size(0), matrix=matrix)
    return EqnStructure(maps=[(0, 0, local)])


def per_matrix(ctx):
    """Linear algebra on (batches of) matrices: conservative within each matrix, exact
    across the batch (the leading dimensions of the first operand, minus two)."""
    first = ctx.in_shapes[0]
    batch = size_of(first[:-2]) if len(first) >= 2 else 1
    if batch == 1:
        return conservative(ctx)
    maps = []
    for o, out_shape in enumerate(ctx.out_shapes):
        for p, in_shape in enumerate(ctx.in_shapes):
            so, si = size_of(out_shape), size_of(in_shape)
            if so % batch or si % batch or tuple(out_shape[:len(first) - 2]) != tuple(first[:-2]) \
                    or tuple(in_shape[:len(first) - 2]) != tuple(first[:-2]):
                maps.append((o, p, LocalMap(so, si, dense=True)))
                continue
            matrix = index_maps.same_group_matrix(np.arange(so) // (so // batch),
                                                  np.arange(si) // (si // batch))
            maps.append((o, p, LocalMap(so, si, matrix=matrix)))
    return EqnStructure(maps=maps,
                        interactions=[Interaction(o) for o in range(len(ctx.out_shapes))])


# ---------------------------------------------------------------- the table

PRIMITIVE_CLASSES = {
    "linear": (
        "add", "add_any", "sub", "neg", "convert_element_type", "copy", "copy_p", "real", "imag",
        "conj", "reduce_precision", "optimization_barrier", "sharding_constraint", "mesh_cast",
        "reshard", "pvary", "device_put",
    ),
    "piecewise_linear": ("abs", "rem"),
    "zero_derivative": (
        "sign", "floor", "ceil", "round", "is_finite", "eq", "ne", "lt", "le", "gt", "ge", "and",
        "or", "not", "xor", "iota", "stop_gradient", "argmax", "argmin", "random_bits",
        "random_seed", "random_wrap", "random_unwrap", "random_fold_in", "random_split",
        "threefry2x32", "shift_left", "shift_right_logical", "shift_right_arithmetic",
        "population_count", "clz", "nextafter", "reduce_and", "reduce_or", "reduce_xor",
        "rng_bit_generator", "bitcast_convert_type", "eq_to", "iota_2x32_shape",
    ),
    "nonlinear_unary": (
        "exp", "exp2", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh", "logistic", "sqrt",
        "rsqrt", "cbrt", "erf", "erfc", "erf_inv", "lgamma", "digamma", "asin", "acos", "atan",
        "sinh", "cosh", "asinh", "acosh", "atanh", "square", "bessel_i0e", "bessel_i1e",
    ),
    "nonlinear": ("pow", "atan2", "igamma", "igammac", "polygamma", "zeta", "regularized_incomplete_beta"),
}

PRIMITIVE_RULES = {name: globals()[cls] for cls, names in PRIMITIVE_CLASSES.items() for name in names}
PRIMITIVE_RULES.update({
    "mul": mul,
    "div": div,
    "integer_pow": integer_pow,
    "select_n": select_n,
    "clamp": clamp,
    "max": max_min,
    "min": max_min,
    "dot_general": dot_general,
    "reduce_sum": reduction,
    "reduce_max": reduction,
    "reduce_min": reduction,
    "reduce_prod": reduction_nonlinear,
    "cumsum": cumulative,
    "cummax": cumulative,
    "cummin": cumulative,
    "cumprod": cumulative_nonlinear,
    "cumlogsumexp": cumulative_nonlinear,
    "scatter-add": scatter_add,
    "scatter": scatter,
    "scatter-mul": scatter_mul,
    # subtracting, or the min / max with, updates at constant indices: the same linear or
    # piecewise-linear dependencies as adding them
    "scatter-sub": scatter_add,
    "scatter-min": scatter_add,
    "scatter-max": scatter_add,
    "broadcast_in_dim": data_movement(0),
    "tile": data_movement(0),
    "unstack": data_movement(0),
    "reshape": data_movement(0),
    "squeeze": data_movement(0),
    "transpose": data_movement(0),
    "slice": data_movement(0),
    "rev": data_movement(0),
    "split": data_movement(0),
    "gather": data_movement(0),
    "dynamic_slice": data_movement(0),
    "pad": data_movement(0, 1),
    "dynamic_update_slice": data_movement(0, 1),
    "concatenate": data_movement(None),
    "stack": data_movement(None),
    "conv_general_dilated": conv,
    "sort": sort,
    "top_k": top_k,
    # A linear solve's solution depends on all of its right-hand side and matrix.
    "custom_linear_solve": conservative,
})
PRIMITIVE_RULES.update({name: per_matrix for name in (
    "cholesky", "triangular_solve", "lu", "eigh", "qr", "householder_product", "geqrf", "svd",
    "eig", "schur", "tridiagonal_solve", "tridiagonal", "hessenberg")})

# Primitive names in the tables that the newest tested JAX no longer (or not yet) has; every
# other name must be a primitive of the installed JAX (tests/test_registry.py checks).
OTHER_JAX_VERSION_NAMES = frozenset({
    "pjit",                   # the jit primitive before it was renamed "jit"
    "checkpoint", "remat",    # jax.checkpoint's primitive in older releases
    "core_call",              # the generic call primitive of older releases
    "custom_vjp_call_jaxpr",  # custom_vjp's primitive before "custom_vjp_call"
    "copy_p",                 # jax.lax copy's name in older releases
    "mesh_cast",              # sharding-in-types casts of some releases
})

# Rules a user registers (sparsehess.register_sparsity_rule), keyed by the primitive object;
# they take precedence over the table above.
USER_RULES = {}

RULE_CLASSES = {
    "linear": linear,
    "piecewise_linear": piecewise_linear,
    "zero_derivative": zero_derivative,
    "nonlinear_unary": nonlinear_unary,
    "nonlinear": nonlinear,
    "bilinear": mul,
    "conservative": conservative,
}
"""Rule classes a user may name in ``register_sparsity_rule``: elementwise primitives of
broadcast operands (``bilinear``: two operands, curvature only between them, like ``mul``) and
``conservative`` (every output depends on every input, curvature among all)."""


def register_rule(primitive, rule):
    """Register ``rule`` (a name of :data:`RULE_CLASSES` or a function ``EqnContext ->
    EqnStructure``) for the JAX ``primitive``; returns the rule function."""
    if not hasattr(primitive, "bind") or not isinstance(getattr(primitive, "name", None), str):
        raise TypeError(f"register_sparsity_rule expects a JAX primitive (an object with .name "
                        f"and .bind, such as jax.lax.exp_p), got {type(primitive).__name__}")
    if isinstance(rule, str):
        if rule not in RULE_CLASSES:
            raise ValueError(f"unknown rule class {rule!r}; accepted: "
                             f"{', '.join(RULE_CLASSES)}, or a function of the rule signature")
        rule = RULE_CLASSES[rule]
    elif not callable(rule):
        raise TypeError(f"rule must be a class name ({', '.join(RULE_CLASSES)}) or a function, "
                        f"got {type(rule).__name__}")
    USER_RULES[primitive] = rule
    return rule


# Index primitives whose maps are dense when an index operand is unknown:
# name -> (first index operand, end of the index operands or None, operands whose maps
# become dense).  The interpreter warns when unknown arguments cause that.
_SCATTER_ADDS = ("scatter-add", "scatter-sub", "scatter-mul", "scatter-min", "scatter-max")
INDEX_PRIMITIVES = {
    "gather": (1, 2, (0,)),
    "dynamic_slice": (1, None, (0,)),
    "dynamic_update_slice": (2, None, (0, 1)),
    "scatter": (1, 2, (0, 2)),
    **{name: (1, 2, (2,)) for name in _SCATTER_ADDS},
}
