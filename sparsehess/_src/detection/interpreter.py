"""Walks a jaxpr once, propagating dependency patterns through every equation.

Forward pass: each value gets a bool CSR pattern (its size, n inputs) and, where it is
computable from constants alone, its concrete value (used to prove structural zeros and to
resolve constant indices).  In local mode values also carry their value at the input point:
its zeros prove first derivatives zero there, never second ones (see ``EqnContext``).
Each equation goes to the rule the registry (``registry.py``) holds for its primitive: nested
jaxprs of calls are inlined, control flow and custom derivatives have walking rules in
``rules/``, every other primitive a structural rule whose ``EqnStructure`` is applied here.

Hessian pass (scalar output): walking the recorded equations backwards marks the elements
that reach the output; every interaction at a reached output element adds the outer
product of its operands' patterns to the Hessian pattern.  The marks go through every value
that may have derivatives (``Propagator.differentiable``): in local mode that includes values
whose first derivative is zero at the point (x·x at 0 has Hessian 2).
"""

import contextlib
import warnings
from dataclasses import dataclass

import jax
import numpy as np
import scipy.sparse as sp
from jax.extend.core import Literal

from .. import dtypes
from ...errors import SparsityWarning, UnsupportedPrimitiveError
from . import patterns, registry, value_ranges
from .index_maps import bind, size_of
from .structure import EqnContext, EqnStructure, RegionCurvature
from .values import Value, value_key

# Evaluating a constant subexpression is skipped above this many elements (kept unknown).
_MAX_KNOWN_SIZE = 50_000_000


@dataclass
class _Recorded:
    structure: EqnStructure
    inputs: list
    outputs: list


class Propagator:
    """Propagates patterns for one traced function; ``n`` is the number of input elements."""

    def __init__(self, n: int, *, record: bool, strict: bool = False, depth: int = 0,
                 local: bool = False):
        self.n = n
        self.record = record
        self.strict = strict
        self.local = local       # evaluate every value at the input point (mode="local")
        self.depth = depth       # nesting of custom-derivative rules being traced
        self.tape = []
        self.warned = set()
        self.cache = {}          # per-equation results reused across loop iterations
        self.opaque = False      # a fixed point was taken: patterns not all exact compositions
        self.labelled = False    # some Value carries an argument origin (see Value.origin)
        self._empty = {}

    # ------------------------------------------------------------ values
    def empty(self, size):
        """The all-false (size, n) pattern, shared: patterns are never modified in place."""
        pattern = self._empty.get(size)
        if pattern is None:
            pattern = self._empty[size] = patterns.empty(size, self.n)
        return pattern

    def constant(self, value, shape, dtype):
        known = None if isinstance(value, jax.core.Tracer) or value is None else dtypes.host(value)
        return Value(shape, dtype, self.empty(size_of(shape)), known)

    def argument(self, shape, dtype, label):
        """A non-differentiated argument leaf of unknown value, labelled for warnings."""
        self.labelled = True
        return Value(shape, dtype, self.empty(size_of(shape)), origin=(label,))

    def unknown(self, shape, dtype, pattern=None):
        return Value(shape, dtype, self.empty(size_of(shape)) if pattern is None else pattern)

    def differentiable(self, value) -> bool:
        """Whether ``value`` may have nonzero derivatives of some order.  Not for integers
        and constants; in global mode not for an empty pattern either (independent of the
        inputs), but in local mode an empty pattern only says the first derivative is zero
        at the point."""
        if not value.inexact or value.known is not None:
            return False
        return self.local or patterns.nnz(value.pattern) > 0

    def child(self, n, *, record, depth=None, strict=None):
        """A propagator over ``n`` local ids for a nested walk (same mode; sharing nothing)."""
        return Propagator(n, record=record, local=self.local,
                          strict=self.strict if strict is None else strict,
                          depth=self.depth if depth is None else depth)

    # ------------------------------------------------------------ walking
    def walk_closed(self, closed_jaxpr, inputs):
        """Walk ``closed_jaxpr`` with ``inputs`` (list of Value); returns the output Values."""
        consts = [self.constant(c, np.shape(c), getattr(c, "dtype", None) or np.result_type(c))
                  for c in closed_jaxpr.consts]
        return self.walk(closed_jaxpr.jaxpr, consts, inputs)

    def walk(self, jaxpr, consts, inputs):
        env = dict(zip(jaxpr.constvars, consts))
        env.update(zip(jaxpr.invars, inputs))

        def read(atom):
            if isinstance(atom, Literal):
                return self.constant(atom.val, atom.aval.shape, atom.aval.dtype)
            return env[atom]

        for eqn in jaxpr.eqns:
            outs = self.equation(eqn, [read(a) for a in eqn.invars])
            env.update(zip(eqn.outvars, outs))
        return [read(a) for a in jaxpr.outvars]

    @contextlib.contextmanager
    def not_recording(self):
        """Walk without recording (fixed-point iterations whose curvature is covered otherwise)."""
        saved, self.record = self.record, False
        try:
            yield
        finally:
            self.record = saved

    def equation(self, eqn, ins):
        """Output Values of one equation: evaluated when every operand is known, else by
        the primitive's rule (the conservative rule, with a warning, when it has none)."""
        if all(v.known is not None for v in ins) and not eqn.effects:
            values = self.evaluate(eqn, ins, [v.aval for v in eqn.outvars])
            if values is not None:
                return values
        rule = registry.rule_for(eqn.primitive)
        if rule is None:
            rule = self.unknown_primitive(eqn.primitive.name)
        return rule(self, eqn, ins)

    def structured(self, eqn, ins, rule):
        """Output Values of an equation described by a structural ``rule``: its
        ``EqnStructure`` (cached per operand values) applied to ``ins``."""
        avals = [v.aval for v in eqn.outvars]
        values = [v.value for v in ins]
        known = values
        ranges = [v.range for v in ins]
        key = (id(eqn), tuple(value_key(v) for v in values), value_ranges.cache_key(ranges))
        if self.local:
            # A point value prunes less than an equal constant: the key tells them apart.
            known = [v.known for v in ins]
            key += (tuple(k is None for k in known),)
        if key in self.cache:
            structure = self.cache[key][0]
        else:
            ctx = EqnContext(eqn, [v.shape for v in ins], known, values,
                             [tuple(a.shape) for a in avals], ranges)
            structure = rule.structure(ctx)
            # Loops walk the same equation again: keep the structure, and the objects whose
            # ids are in the key, for the next iteration.
            self.cache[key] = (structure, eqn, values)
        if self.labelled and rule.indexed is not None:
            self.warn_unknown_indices(eqn.primitive.name, rule.indexed, ins)
        outs = self.apply(structure, ins, [(a.shape, a.dtype) for a in avals])
        value_ranges.propagate(eqn, ins, outs, rule.data_positions)
        if self.local and all(v is not None for v in values):
            for out, point in zip(outs, bind(eqn, values)):
                out.point = dtypes.host(point)
        if self.labelled:
            origin = _origin(ins)
            if origin is not None:
                for out in outs:
                    if out.value is None:
                        out.origin = origin
        return outs

    def apply(self, structure, ins, out_specs, out_patterns=None):
        """Output Values of an equation with ``structure``; records it for the Hessian pass.

        ``out_patterns`` overrides the forward propagation (used by fixed-point loops whose
        maps are only a conservative description for the backward pass).
        """
        outs = [self.unknown(shape, dtype) for shape, dtype in out_specs]
        if out_patterns is not None:
            for o, pat in zip(outs, out_patterns):
                if o.inexact:
                    o.pattern = pat
        else:
            for o, p, local in structure.maps:
                if outs[o].inexact and ins[p].inexact and patterns.nnz(ins[p].pattern):
                    outs[o].pattern = patterns.union(outs[o].pattern,
                                                     local.forward(ins[p].pattern))
        return self.emit(structure, ins, outs)

    def emit(self, structure, ins, outs):
        """Record ``outs`` (Values already complete) as the outputs of ``structure`` on ``ins``."""
        if self.record:
            self.tape.append(_Recorded(structure, ins, outs))
        return outs

    def linked(self, ins, shape, dtype, maps, known=None, point=None):
        """A Value built from ``ins`` by linear ``maps`` [(operand position, LocalMap)]."""
        (out,) = self.apply(EqnStructure(maps=[(0, p, m) for p, m in maps]), ins, [(shape, dtype)])
        out.known, out.point = known, point
        return out

    def evaluate(self, eqn, ins, avals):
        """Concrete outputs of an equation whose operands are all known, or None."""
        if sum(size_of(a.shape) for a in avals) > _MAX_KNOWN_SIZE:
            return None
        try:
            results = bind(eqn, [v.known for v in ins])
        except Exception:  # noqa: BLE001 - a constant we cannot evaluate just stays unknown
            return None
        return [self.constant(r, a.shape, a.dtype) for a, r in zip(avals, results)]

    def warn_unknown_indices(self, name, indexed, ins):
        """Warn (once per argument) when indices unknown only because non-differentiated
        arguments are unknown make index primitive ``name`` (operands ``indexed``, a
        ``registry.IndexOperands``) fall back to a dense map."""
        start, stop, copied = indexed.start, indexed.stop, indexed.copied
        if not any(ins[p].inexact and patterns.nnz(ins[p].pattern) for p in copied):
            return                        # nothing differentiable is moved: no loss
        unresolved = [v for v in ins[start:stop] if v.value is None and v.origin
                      and (v.range is None or v.range.choices is None)]
        labels = sorted({label for v in unresolved for label in v.origin} - self.warned)
        if not labels:
            return
        self.warned.update(labels)
        names = " and ".join(labels)
        warnings.warn(
            f"sparsity detection: '{name}' in f indexes with values from {names}, unknown "
            f"at detection time, so each element it moves may come from (or go to) any "
            f"position: the pattern is dense along that axis (valid, but costly). Arguments "
            f"outside argnums are unknown to the derivative transforms (sparsehess.hessian, "
            f"jacobian, ...), so that one plan serves all their values, and when given as "
            f"ShapeDtypeStructs or tracers. If the indices are fixed, make them known: close "
            f"over them (functools.partial(f, idx=idx) or lambda x: f(x, idx)), or pass the "
            f"concrete array to hessian_sparsity / jacobian_sparsity.",
            SparsityWarning, stacklevel=2)

    def unknown_primitive(self, name):
        if self.strict:
            raise UnsupportedPrimitiveError(
                f"sparsity detection has no rule for the JAX primitive '{name}'. Pass "
                f"strict=False to use a conservative rule (denser pattern), or rewrite f "
                f"without '{name}'.")
        if name not in self.warned:
            self.warned.add(name)
            warnings.warn(
                f"sparsity detection has no exact rule for the JAX primitive '{name}': "
                f"every output of it is assumed to depend on every input (a valid but denser "
                f"pattern).", SparsityWarning, stacklevel=2)
        return registry.CONSERVATIVE

    # ------------------------------------------------------------ Hessian
    def hessian(self, outputs) -> sp.csr_array:
        """Symmetric bool (n, n) Hessian pattern of the sum of ``outputs``' elements."""
        reached = {id(v): np.ones(v.size, bool) for v in outputs if v.inexact}
        accumulator = patterns.HessianAccumulator(self.n)
        for a_rows, b_rows in self.curvature(reached):
            accumulator.add(a_rows, b_rows)
        return accumulator.result()

    def curvature(self, reached):
        """Pairs (a rows, b rows) of patterns whose outer products make up the Hessian pattern
        of the elements ``reached`` ({id(Value): bool mask}, updated) of the tape's values."""
        for rec in reversed(self.tape):
            outs_reached = [reached.get(id(v)) for v in rec.outputs]
            if all(r is None or not r.any() for r in outs_reached):
                continue
            for o, p, local in rec.structure.maps:
                r = outs_reached[o]
                operand = rec.inputs[p]
                if r is None or not self.differentiable(operand):
                    continue
                back = local.backward(r)
                key = id(operand)
                reached[key] = back if key not in reached else reached[key] | back
            for it in rec.structure.interactions:
                if isinstance(it, RegionCurvature):
                    rows = it.rows(rec.inputs, outs_reached)
                else:
                    r = outs_reached[it.out]
                    rows = self.interaction_rows(it, rec, r) if r is not None and r.any() else None
                if rows is not None:
                    yield rows

    @staticmethod
    def interaction_rows(it, rec, r):
        """The (a rows, b rows) patterns whose outer products the interaction contributes."""
        if it.a is None:
            rows = patterns.gather_rows(rec.outputs[it.out].pattern, np.nonzero(r)[0])
            return rows, rows
        a, b = rec.inputs[it.a], rec.inputs[it.b]
        if not (a.inexact and b.inexact and patterns.nnz(a.pattern) and patterns.nnz(b.pattern)):
            nothing = patterns.empty(0, a.pattern.shape[1])
            return nothing, nothing
        if it.out_elems is None:
            ia = ib = np.nonzero(r)[0]
        else:
            keep = r[it.out_elems]
            ia, ib = it.a_elems[keep], it.b_elems[keep]
        return patterns.gather_rows(a.pattern, ia), patterns.gather_rows(b.pattern, ib)


def _origin(ins):
    """The argument labels an equation's outputs inherit: those of its unknown operands,
    when every unknown operand has some (None otherwise: also unknown for other reasons)."""
    origin = None
    for v in ins:
        if v.value is None:
            if v.origin is None:
                return None
            origin = v.origin if origin is None or origin == v.origin else \
                tuple(sorted(set(origin) | set(v.origin)))
    return origin
