"""Rules of elementwise primitives, by which derivatives vanish (numpy broadcasting of
size-1 operand dimensions): linear, piecewise linear, zero derivative, nonlinear unary,
nonlinear, and the products and selections whose zeros prune dependencies."""

import numpy as np

from jax import dtypes
from ..structure import EqnStructure, Interaction, LocalMap


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


def elementwise_map(ctx, pos, keep=None, out_pos=0):
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
    return EqnStructure(maps=[(0, p, elementwise_map(ctx, p)) for p in range(len(ctx.in_shapes))])


piecewise_linear = linear


def zero_derivative(ctx):
    return EqnStructure()


def nonlinear_unary(ctx):
    return EqnStructure(maps=[(0, 0, elementwise_map(ctx, 0))],
                        interactions=[_elementwise_interaction(ctx, 0, 0)])


def nonlinear(ctx):
    """Elementwise with curvature between every pair of operands."""
    n = len(ctx.in_shapes)
    return EqnStructure(
        maps=[(0, p, elementwise_map(ctx, p)) for p in range(n)],
        interactions=[_elementwise_interaction(ctx, a, b) for a in range(n) for b in range(a, n)])


def mul(ctx):
    """x * y: a zero factor removes the dependency on the other factor (not its own, nor
    the curvature between them)."""
    return EqnStructure(
        maps=[(0, 0, elementwise_map(ctx, 0, _nonzero_mask(ctx, 1))),
              (0, 1, elementwise_map(ctx, 1, _nonzero_mask(ctx, 0)))],
        interactions=[_elementwise_interaction(ctx, 0, 1)])


def div(ctx):
    """x / y: linear in x, nonlinear in y."""
    return EqnStructure(
        maps=[(0, 0, elementwise_map(ctx, 0)),
              (0, 1, elementwise_map(ctx, 1, _nonzero_mask(ctx, 0)))],
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
    return EqnStructure(maps=[(0, 0, elementwise_map(ctx, 0, pick_a)),
                              (0, 1, elementwise_map(ctx, 1, pick_b))])


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
    return EqnStructure(maps=[(0, 0, elementwise_map(ctx, 0, tie | ((lo > x) & (lo < hi)))),
                              (0, 1, elementwise_map(ctx, 1, tie | ((x > lo) & (x < hi)))),
                              (0, 2, elementwise_map(ctx, 2, tie | (hi < x)))])


def select_n(ctx):
    """select_n(which, *cases): piecewise in the cases, no derivative w.r.t. ``which``."""
    which = ctx.values[0]
    maps = []
    for k in range(1, len(ctx.in_shapes)):
        keep = None
        if which is not None:
            keep = np.broadcast_to(np.asarray(which).astype(np.int64) == k - 1,
                                   ctx.out_shapes[0]).ravel()
        maps.append((0, k, elementwise_map(ctx, k, keep)))
    return EqnStructure(maps=maps)


def conservative(ctx):
    """Every output element depends on every operand element, with curvature among all."""
    maps, interactions = [], []
    for o in range(len(ctx.out_shapes)):
        for p in range(len(ctx.in_shapes)):
            maps.append((o, p, LocalMap(ctx.out_size(o), ctx.in_size(p), dense=True)))
        interactions.append(Interaction(o))
    return EqnStructure(maps=maps, interactions=interactions)
