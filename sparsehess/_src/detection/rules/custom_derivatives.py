"""``custom_jvp`` / ``custom_vjp``: the pattern follows the derivative rule the user wrote.

JAX differentiates these functions with the user's rule, not the primal code, so a
straight-through estimator (primal ``round(x)``, rule "tangent = t") has a nonzero
derivative.  We trace the rule itself (``jax.jvp`` or ``jax.vjp`` of the bound primitive)
and read off, with a nested propagation over local element ids:
  * first order: which tangent inputs each tangent output depends on;
  * second order: a rule ``t_out[i] = Σ_b c_ib(p) t[b]`` has curvature between b and every
    primal input a that the coefficients of output i depend on.
"""

import warnings

import jax
import numpy as np
import scipy.sparse as sp

from ... import dtypes
from ....errors import SparsityWarning
from .. import patterns
from ..index_maps import bind, size_of
from ..structure import EqnStructure, Interaction, LocalMap
from ..values import Value, opaque_structure, value_key

# Custom rules traced inside custom rules, at most this deep.
MAX_RULE_DEPTH = 2


def _call(eqn):
    """The equation as a Python function of its operands (traceable)."""
    params = eqn.primitive.get_bind_params(eqn.params)

    def fun(*args):
        out = eqn.primitive.bind(*args, **params)
        return list(out) if eqn.primitive.multiple_results else [out]
    return fun


def _rule_jaxpr(eqn, ins, diff):
    """ClosedJaxpr of (primals, seeds) -> derivative outputs of the user's rule.

    ``diff``: positions of inexact operands.  For custom_jvp the seeds are tangents of the
    differentiated operands and the outputs are output tangents; for custom_vjp the seeds
    are output cotangents and the outputs are operand cotangents.
    """
    call = _call(eqn)
    avals = [v.aval for v in eqn.outvars]

    def restricted(primals, wrt):
        args = list(primals)
        for pos, value in zip(diff, wrt):
            args[pos] = value
        return call(*args)

    primal_specs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in ins]
    if eqn.primitive.name == "custom_jvp_call":
        def rule(primals, seeds):
            wrt = [primals[p] for p in diff]
            return jax.jvp(lambda *w: restricted(primals, w), wrt, seeds)[1]
        seed_specs = [primal_specs[p] for p in diff]
    else:
        def rule(primals, seeds):
            wrt = [primals[p] for p in diff]
            _, pullback = jax.vjp(lambda *w: restricted(primals, w), *wrt)
            return pullback(list(seeds))
        seed_specs = [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in avals]
    return jax.make_jaxpr(rule)(primal_specs, seed_specs), seed_specs


def _local_patterns(prop, eqn, ins, diff):
    """Patterns of the rule's derivative outputs over local ids [primals | seeds].

    In local mode the rule is walked at the primals' points: its first-order patterns
    are then those at the point, and so are the coefficients' dependencies on the
    primals, which are the rule's second derivatives there."""
    closed, seed_specs = _rule_jaxpr(eqn, ins, diff)
    sizes = [v.size for v in ins] + [size_of(s.shape) for s in seed_specs]
    n_local = sum(sizes)
    sub = prop.child(n_local, record=False, depth=prop.depth + 1, strict=False)
    values, offset = [], 0
    for k, size in enumerate(sizes):
        spec = ins[k] if k < len(ins) else seed_specs[k - len(ins)]
        known, point = (ins[k].known, ins[k].point) if k < len(ins) else (None, None)
        pattern = patterns.empty(size, n_local) if known is not None else \
            patterns.identity_block(size, offset, n_local)
        values.append(Value(spec.shape, spec.dtype, pattern, known, point))
        offset += size
    outs = sub.walk_closed(closed, values)
    primal_total = sum(v.size for v in ins)
    return outs, primal_total, n_local


def custom_call(prop, eqn, ins):
    """Handler for custom_jvp_call / custom_vjp_call."""
    if prop.depth >= MAX_RULE_DEPTH:
        # Inside a traced rule, a rule that calls itself (a primal recomputation) would
        # recurse forever: walk the primal code there instead.
        return prop.walk_closed(eqn.params["call_jaxpr"], ins)
    avals = [v.aval for v in eqn.outvars]
    out_specs = [(a.shape, a.dtype) for a in avals]
    diff = [p for p, v in enumerate(ins) if v.inexact]
    try:
        key = ("custom", id(eqn), tuple((v.known is None, value_key(v.value)) for v in ins))
        if key not in prop.cache:
            prop.cache[key] = (_rule_structure(prop, eqn, ins, diff), eqn,
                               [v.value for v in ins])
        structure = prop.cache[key][0]
    except Exception as err:  # noqa: BLE001 - any failure to trace the rule: stay conservative
        warnings.warn(f"could not trace the derivative rule of {eqn.primitive.name} "
                      f"'{eqn.params.get('name', '')}' ({type(err).__name__}: {err}); "
                      f"using a conservative pattern", SparsityWarning, stacklevel=2)
        structure = opaque_structure(ins, [size_of(a.shape) for a in avals])
    outs = prop.apply(structure, ins, out_specs)
    if prop.local and all(v.value is not None for v in ins):
        for out, point in zip(outs, bind(eqn, [v.value for v in ins])):
            out.point = dtypes.host(point)
    return outs


def _rule_structure(prop, eqn, ins, diff):
    """EqnStructure of a custom-derivative call, from its traced rule (at the operands'
    points in local mode)."""
    outs, primal_total, n_local = _local_patterns(prop, eqn, ins, diff)
    in_offsets = np.cumsum([0] + [v.size for v in ins])
    out_sizes = [size_of(v.aval.shape) for v in eqn.outvars]
    out_offsets = np.cumsum([0] + out_sizes)
    derivative = sp.csr_array(sp.vstack([o.pattern for o in outs], format="csr"))
    primal_part = derivative[:, :primal_total]      # coefficient dependence on primals
    seed_part = derivative[:, primal_total:]        # linear part: which seeds
    if eqn.primitive.name == "custom_jvp_call":
        # rows: output elements; seed columns: elements of differentiated operands.
        diff_ids = np.concatenate([np.arange(in_offsets[p], in_offsets[p + 1]) for p in diff])
        jac = sp.csr_array((np.ones(seed_part.nnz, bool), diff_ids[seed_part.indices],
                            seed_part.indptr), shape=(seed_part.shape[0], primal_total))
        out_i, b = _pairs(jac)
        coeff_rows = primal_part                    # P_i for output element i
        a_of = [coeff_rows.indices[coeff_rows.indptr[i]:coeff_rows.indptr[i + 1]] for i in
                range(coeff_rows.shape[0])]
        triples = [(i, a, bb) for i, bb in zip(out_i, b) for a in a_of[i]]
    else:
        # rows: operand cotangents (differentiated operands, concatenated); seeds: outputs.
        diff_ids = np.concatenate([np.arange(in_offsets[p], in_offsets[p + 1]) for p in diff])
        jac = sp.csr_array(seed_part.T)             # (outputs, differentiated operand ids)
        jac = sp.csr_array((np.ones(jac.nnz, bool), diff_ids[jac.indices], jac.indptr),
                           shape=(jac.shape[0], primal_total))
        out_i, b = _pairs(jac)
        row_of = {int(g): r for r, g in enumerate(diff_ids)}
        triples = [(i, a, bb) for i, bb in zip(out_i, b)
                   for a in primal_part.indices[primal_part.indptr[row_of[bb]]:
                                                primal_part.indptr[row_of[bb] + 1]]]
    maps, interactions = [], []
    for o in range(len(out_sizes)):
        rows = jac[out_offsets[o]:out_offsets[o + 1]]
        for p in diff:
            block = sp.csr_array(rows[:, in_offsets[p]:in_offsets[p + 1]])
            if block.nnz:
                maps.append((o, p, LocalMap(out_sizes[o], ins[p].size, matrix=block)))
    if triples:
        t = np.asarray(triples, dtype=np.int64)
        out_of = np.searchsorted(out_offsets, t[:, 0], side="right") - 1
        a_op = np.searchsorted(in_offsets, t[:, 1], side="right") - 1
        b_op = np.searchsorted(in_offsets, t[:, 2], side="right") - 1
        for o, pa, pb in set(zip(out_of.tolist(), a_op.tolist(), b_op.tolist())):
            sel = (out_of == o) & (a_op == pa) & (b_op == pb)
            interactions.append(Interaction(o, pa, pb, t[sel, 0] - out_offsets[o],
                                            t[sel, 1] - in_offsets[pa], t[sel, 2] - in_offsets[pb]))
    return EqnStructure(maps=maps, interactions=interactions)


def _pairs(matrix):
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return rows, matrix.indices

