"""Detection through control flow: ``cond``/``switch``, ``scan`` and ``while_loop``.

* cond: the taken branch when the index is a known constant, else the union of the
  branches its value range allows (all of them without one).
* scan without a carry (``lax.map``): traced once as a ``vmap`` of the body, exact.
* scan with a carry, and while loops whose condition is known at every step: unrolled,
  one body walk per iteration (exact; e.g. a loop over ``i`` updating ``x[i]`` from its
  neighbours gives the banded pattern).  A scan body's walk is reused at the iterations
  whose inputs have the same values (``loop_bodies.py``).
* longer scans and while loops with a value-dependent condition: the carry's pattern is
  iterated to a fixed point; curvature is then taken conservatively among each output's
  inputs.  The fixed point holds for every value of the carry, so it uses constants only,
  not local-mode points (whose zeros would hide curvature behind a zero first derivative).
"""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
from jax.extend.core import jaxpr_as_fun

from ... import dtypes
from .. import patterns, value_ranges
from ..structure import EqnStructure, LocalMap
from ..values import Value, opaque_structure
from . import loop_bodies

# Iterations walked one by one before a scan or while loop switches to a fixed point.
UNROLL_LIMIT = 5000
# Fixed-point sweeps before giving up on precision (then every carry element depends on
# everything the loop's inputs depend on, which is always a fixed point).
MAX_FIXED_POINT_SWEEPS = 1000


def cond(prop, eqn, ins):
    """The branch the index selects; when the index is unknown, the union over the
    branches its range allows (all of them without a range)."""
    branches = eqn.params["branches"]
    index, operands = ins[0], ins[1:]
    if index.value is not None:
        taken = [np.asarray(index.value).item()]
    elif index.range is not None and index.range.choices is not None:
        taken = np.unique(index.range.choices).tolist()
    else:
        taken = range(len(branches))
    taken = sorted({int(np.clip(k, 0, len(branches) - 1)) for k in taken})
    if len(taken) == 1:
        return prop.walk_closed(branches[taken[0]], operands)
    results = [prop.walk_closed(branches[k], operands) for k in taken]
    return [_merge(prop, [r[o] for r in results]) for o in range(len(results[0]))]


def _merge(prop, values):
    """One Value that may be any of ``values`` (same shape): the union of their patterns
    and, for integer values, of their ranges."""
    first = values[0]
    same = all(v.known is not None and np.array_equal(dtypes.host_data(v.known),
                                                      dtypes.host_data(first.known))
               for v in values)
    maps = [(p, LocalMap(first.size, first.size)) for p in range(len(values))]
    out = prop.linked(values, first.shape, first.dtype, maps, first.known if same else None)
    if not same and not dtypes.is_key(first.dtype) and not first.inexact:
        out.range = value_ranges.union([value_ranges.of(v) for v in values], first.dtype)
    return out


def scan(prop, eqn, ins):
    params = eqn.params
    nconsts, ncarry, length = params["num_consts"], params["num_carry"], params["length"]
    consts, carry, xs = ins[:nconsts], ins[nconsts:nconsts + ncarry], ins[nconsts + ncarry:]
    if ncarry == 0:
        return _scan_as_vmap(prop, eqn, consts, xs)
    if length <= UNROLL_LIMIT:
        return _scan_unrolled(prop, eqn, consts, carry, xs)
    xs_union = [_union_over_steps(prop, x, length) for x in xs]
    body = params["jaxpr"]
    fixed_consts = _without_points(consts)

    def step(carry_values):
        return prop.walk_closed(body, fixed_consts + carry_values + xs_union)

    final, ys = _fixed_point(prop, step, carry, ncarry, consts + xs)
    avals = [v.aval for v in eqn.outvars]
    out_patterns = [c.pattern for c in final] + [
        sp.csr_array(sp.vstack([y.pattern] * length, format="csr")) for y in ys]
    structure = opaque_structure(ins, [int(np.prod(a.shape)) for a in avals])
    return prop.apply(structure, ins, [(a.shape, a.dtype) for a in avals], out_patterns)


def _scan_as_vmap(prop, eqn, consts, xs):
    """A scan with no carry is a map over its inputs: trace it as vmap of the body."""
    key = ("vmap", id(eqn))
    if key not in prop.cache:
        length = eqn.params["length"]
        in_axes = (None,) * len(consts) + (0,) * len(xs)
        specs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in consts + xs]
        fun = jax.vmap(jaxpr_as_fun(eqn.params["jaxpr"]), in_axes=in_axes, axis_size=length)
        prop.cache[key] = (jax.make_jaxpr(fun)(*specs), eqn)  # eqn kept alive: ids stay unique
    closed, _ = prop.cache[key]
    return prop.walk_closed(closed, consts + xs)


def _scan_unrolled(prop, eqn, consts, carry, xs):
    params = eqn.params
    length, ncarry = params["length"], params["num_carry"]
    steps = range(length - 1, -1, -1) if params["reverse"] else range(length)
    per_step = [None] * length
    for k in steps:
        outs = loop_bodies.call(prop, params["jaxpr"],
                                consts + carry + [_step(prop, x, k, length) for x in xs])
        carry, per_step[k] = outs[:ncarry], outs[ncarry:]
    ys = [_stack(prop, [per_step[k][j] for k in range(length)], eqn.outvars[ncarry + j].aval)
          for j in range(len(eqn.outvars) - ncarry)]
    return list(carry) + ys


def _step(prop, x, k, length):
    """Element k along the leading axis of a scanned-over Value."""
    shape, size = x.shape[1:], x.size // length
    point = None if x.point is None else x.point[k]
    if not prop.differentiable(x):
        step = prop.constant(None if x.known is None else x.known[k], shape, x.dtype)
        step.point, step.origin = point, x.origin
        return step
    return prop.linked([x], shape, x.dtype, [(0, LocalMap(size, x.size, offset=k * size))],
                       point=point)


def _stack(prop, values, aval):
    """Stack per-step Values along a new leading axis (the scan's ``ys``)."""
    point = None
    if all(v.value is not None for v in values):
        stack = jnp.stack if dtypes.is_key(aval.dtype) else np.stack   # numpy holds no keys
        point = stack([dtypes.host(v.value) for v in values])
    size = values[0].size
    total = size * len(values)
    maps = [(k, LocalMap(total, size, offset=k * size)) for k, v in enumerate(values)
            if prop.differentiable(v)]
    if not maps:
        known = point if all(v.known is not None for v in values) else None
        out = prop.constant(known, aval.shape, aval.dtype)
        out.point = point
        return out
    stacked = patterns.stack([v.pattern for v in values], prop.n)
    (out,) = prop.apply(EqnStructure(maps=[(0, p, m) for p, m in maps]), values,
                        [(aval.shape, aval.dtype)], [stacked])
    out.point = point
    return out


def _union_over_steps(prop, x, length):
    """A Value for "x at some step": the union of x's patterns over the leading axis."""
    shape, size = x.shape[1:], x.size // length
    if patterns.nnz(x.pattern) == 0:
        return prop.unknown(shape, x.dtype)
    targets = np.arange(x.size) % size
    matrix = sp.csr_array((np.ones(x.size, bool), (targets, np.arange(x.size))),
                          shape=(size, x.size))
    return prop.unknown(shape, x.dtype, sp.csr_array(matrix @ x.pattern))


def _without_points(values):
    """The Values with their local-mode points dropped (constants kept), for fixed points."""
    return [v if v.point is None else Value(v.shape, v.dtype, v.pattern, v.known)
            for v in values]


def _fixed_point(prop, step, carry, ncarry, others):
    """Iterate carry patterns to a fixed point of ``carry ∪ step(carry)``; ``others`` are
    the loop's other inputs.

    Returns the final carry Values (unknown values) and the per-iteration outputs beyond
    the carry computed at the fixed point.
    """
    prop.opaque = True
    with prop.not_recording():
        current = [prop.unknown(c.shape, c.dtype, c.pattern) for c in carry]
        for _ in range(MAX_FIXED_POINT_SWEEPS):
            outs = step(current)
            grown = [patterns.union(c.pattern, o.pattern) for c, o in zip(current, outs[:ncarry])]
            if all(patterns.nnz(g) == patterns.nnz(c.pattern)
                   for g, c in zip(grown, current)):
                return current, outs[ncarry:]
            current = [prop.unknown(c.shape, c.dtype, g) for c, g in zip(current, grown)]
        # No convergence: every carry element depends on every column seen so far.
        cols = np.unique(np.concatenate([v.pattern.indices for v in current + list(others)]))
        dense = [prop.unknown(c.shape, c.dtype, _rows_depending_on(c.size, cols, prop.n))
                 for c in current]
        return dense, step(dense)[ncarry:]


def _rows_depending_on(nrows, cols, n):
    indptr = np.arange(nrows + 1, dtype=np.int64) * len(cols)
    return sp.csr_array((np.ones(nrows * len(cols), bool), np.tile(cols, nrows), indptr),
                        shape=(nrows, n))


def while_loop(prop, eqn, ins):
    params = eqn.params
    cn, bn = params["cond_nconsts"], params["body_nconsts"]
    cond_consts, body_consts, carry = ins[:cn], ins[cn:cn + bn], ins[cn + bn:]
    for _ in range(UNROLL_LIMIT):
        with prop.not_recording():
            (pred,) = prop.walk_closed(params["cond_jaxpr"], cond_consts + carry)
        if pred.value is None:
            break
        if not bool(np.asarray(pred.value)):
            return carry
        carry = prop.walk_closed(params["body_jaxpr"], body_consts + carry)

    fixed_consts = _without_points(body_consts)

    def step(carry_values):
        return prop.walk_closed(params["body_jaxpr"], fixed_consts + carry_values)

    final, _ = _fixed_point(prop, step, carry, len(carry), body_consts)
    region_ins = body_consts + list(carry)
    structure = opaque_structure(region_ins, [c.size for c in final])
    return prop.apply(structure, region_ins, [(c.shape, c.dtype) for c in final],
                      [c.pattern for c in final])

