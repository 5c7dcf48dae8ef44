"""The detection registry: one ``Rule`` per JAX primitive object.

Every entry is called the same way, ``rule(prop, eqn, ins) -> output Values``:
  * structural rules (almost all) wrap a function ``EqnContext -> EqnStructure`` (the
    equation's first-order maps and curvature); the propagator applies the structure;
  * walking rules (calls, control flow, custom derivatives) walk the nested jaxprs
    themselves with the propagator.
The table below is filled by class helpers, one per way derivatives vanish (in the style of
``jax.interpreters.ad.deflinear``), from primitive names resolved to the installed JAX's
primitive objects at import: a name that resolves to nothing fails loudly, unless listed in
``OTHER_JAX_VERSION_NAMES``. Users add entries with ``sparsehess.register_sparsity_rule``.
"""

import importlib
from dataclasses import dataclass

from jax.extend.core import Primitive

from ...errors import InternalError
from .rules import calls, contractions, control_flow, custom_derivatives, elementwise
from .rules import movement, reductions


@dataclass(frozen=True)
class IndexOperands:
    """Operands ``start:stop`` of an index primitive are indices (``stop`` None: to the end);
    unknown ones make the maps of the operands ``copied`` dense."""

    start: int
    stop: int | None
    copied: tuple


@dataclass(frozen=True)
class Rule:
    """How detection treats one primitive.

    ``cls``: its class in the table (``"linear"``, ``"control_flow"``, ...); ``structure``:
    ``EqnContext -> EqnStructure`` for structural rules, else None; ``walk``:
    ``(prop, eqn, ins) -> outs`` for walking rules, else None; ``indexed``: its
    ``IndexOperands`` when it moves data by index values; ``array_indexed``: it indexes by
    arrays of indices (gather / scatter), which run strided when batched (vmapped).
    """

    cls: str
    structure: object = None
    walk: object = None
    indexed: IndexOperands | None = None
    array_indexed: bool = False

    def __call__(self, prop, eqn, ins):
        if self.walk is not None:
            return self.walk(prop, eqn, ins)
        return prop.structured(eqn, ins, self)

    @property
    def data_positions(self):
        """The copied operands of a data-movement rule (for value ranges), else None."""
        return getattr(self.structure, "data_positions", None)


# Where primitives live that jax.extend.core.primitives, jax.lax and jax.lax.linalg do not
# export (PRNG internals, varying-manual-axes and resharding casts, LAPACK helpers).
_PRIMITIVE_MODULES = ("jax.extend.core.primitives", "jax.lax", "jax.lax.linalg",
                      "jax._src.lax.linalg", "jax._src.random.prng", "jax._src.prng",
                      "jax._src.core", "jax._src.pjit", "jax._src.ad_checkpoint",
                      "jax._src.custom_derivatives", "jax._src.lax.control_flow")

# Names in the table that the installed JAX may not have: other releases' names, skipped
# when absent (every other name must resolve).
OTHER_JAX_VERSION_NAMES = frozenset({
    "pjit",                   # the jit primitive before it was renamed "jit"
    "checkpoint", "remat",    # jax.checkpoint's primitive in older releases
    "core_call",              # the generic call primitive of older releases
    "custom_vjp_call_jaxpr",  # custom_vjp's primitive before "custom_vjp_call"
    "copy_p",                 # jax.lax copy's name in older releases
    "mesh_cast",              # sharding-in-types casts of some releases
})


def _primitives_by_name():
    """{name: [primitive objects]} over the modules of ``_PRIMITIVE_MODULES``."""
    found = {}
    for module_name in _PRIMITIVE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, Primitive):
                objects = found.setdefault(value.name, [])
                if all(value is not p for p in objects):
                    objects.append(value)
    return found


_BY_NAME = _primitives_by_name()
REGISTRY: dict = {}
"""{primitive object: Rule} of the built-in rules."""
USER_RULES: dict = {}
"""{primitive object: Rule} registered by users; they take precedence over ``REGISTRY``."""


def primitives_named(name):
    """The installed JAX's primitive objects called ``name`` ([] for a listed other-version
    name it lacks); raises InternalError for a name it does not know."""
    objects = _BY_NAME.get(name, [])
    if not objects and name not in OTHER_JAX_VERSION_NAMES:
        raise InternalError(f"detection table: no JAX primitive is named {name!r}; fix the "
                            f"name or list it in OTHER_JAX_VERSION_NAMES")
    return objects


def define(cls, names, structure=None, walk=None, **props):
    """Register one rule of class ``cls`` for every primitive called one of ``names``."""
    rule = Rule(cls, structure, walk, **props)
    for name in names:
        for primitive in primitives_named(name):
            REGISTRY[primitive] = rule


RULE_CLASSES = {
    "linear": elementwise.linear,
    "piecewise_linear": elementwise.piecewise_linear,
    "zero_derivative": elementwise.zero_derivative,
    "nonlinear_unary": elementwise.nonlinear_unary,
    "nonlinear": elementwise.nonlinear,
    "bilinear": elementwise.mul,
    "conservative": elementwise.conservative,
}
"""Rule classes a user may name in ``register_sparsity_rule``: elementwise primitives of
broadcast operands (``bilinear``: two operands, curvature only between them, like ``mul``) and
``conservative`` (every output depends on every input, curvature among all)."""


def _defclass(cls):
    """The helper registering primitives of the elementwise class ``cls``."""
    def helper(*names):
        define(cls, names, RULE_CLASSES[cls])
    helper.__name__ = f"def{cls}"
    return helper


deflinear = _defclass("linear")
defpiecewise_linear = _defclass("piecewise_linear")
defzero_derivative = _defclass("zero_derivative")
defnonlinear_unary = _defclass("nonlinear_unary")
defnonlinear = _defclass("nonlinear")


def rule_for(primitive):
    """The Rule for a primitive object (user rules first), or None."""
    return USER_RULES.get(primitive) or REGISTRY.get(primitive)


CONSERVATIVE = Rule("conservative", elementwise.conservative)
"""Every output depends on every input, with curvature among all (unknown primitives)."""

# ---------------------------------------------------------------- elementwise

deflinear("add", "add_any", "sub", "neg", "convert_element_type", "copy", "copy_p", "real",
          "imag", "conj", "reduce_precision", "optimization_barrier", "sharding_constraint",
          "mesh_cast", "reshard", "pvary", "device_put")
defpiecewise_linear("abs", "rem")
define("piecewise_linear", ("max", "min"), elementwise.max_min)
define("piecewise_linear", ("clamp",), elementwise.clamp)
define("piecewise_linear", ("select_n",), elementwise.select_n)
defzero_derivative(
    "sign", "floor", "ceil", "round", "is_finite", "eq", "ne", "lt", "le", "gt", "ge", "and",
    "or", "not", "xor", "iota", "stop_gradient", "argmax", "argmin", "random_bits",
    "random_seed", "random_wrap", "random_unwrap", "random_fold_in", "random_split",
    "threefry2x32", "shift_left", "shift_right_logical", "shift_right_arithmetic",
    "population_count", "clz", "nextafter", "reduce_and", "reduce_or", "reduce_xor",
    "rng_bit_generator", "bitcast_convert_type", "eq_to", "iota_2x32_shape")
defnonlinear_unary(
    "exp", "exp2", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh", "logistic", "sqrt",
    "rsqrt", "cbrt", "erf", "erfc", "erf_inv", "lgamma", "digamma", "asin", "acos", "atan",
    "sinh", "cosh", "asinh", "acosh", "atanh", "square", "bessel_i0e", "bessel_i1e")
define("nonlinear_unary", ("integer_pow",), elementwise.integer_pow)
defnonlinear("pow", "atan2", "igamma", "igammac", "polygamma", "zeta",
             "regularized_incomplete_beta")
define("bilinear", ("mul",), elementwise.mul)
define("nonlinear", ("div",), elementwise.div)

# ---------------------------------------------------------------- data movement

_ALL_OPERANDS = movement.data_movement(None)
define("data_movement", ("broadcast_in_dim", "tile", "unstack", "reshape", "squeeze",
                         "transpose", "slice", "rev", "split"), movement.data_movement(0))
define("data_movement", ("concatenate", "stack"), _ALL_OPERANDS)
define("data_movement", ("pad",), movement.data_movement(0, 1))
define("data_movement", ("gather",), movement.data_movement(0),
       indexed=IndexOperands(1, 2, (0,)), array_indexed=True)
define("data_movement", ("dynamic_slice",), movement.data_movement(0),
       indexed=IndexOperands(1, None, (0,)))
define("data_movement", ("dynamic_update_slice",), movement.data_movement(0, 1),
       indexed=IndexOperands(2, None, (0, 1)))
define("data_movement", ("scatter",), movement.scatter,
       indexed=IndexOperands(1, 2, (0, 2)), array_indexed=True)
# subtracting, or the min / max with, updates at known indices: the same linear or
# piecewise-linear dependencies as adding them
define("data_movement", ("scatter-add", "scatter-sub", "scatter-min", "scatter-max"),
       movement.scatter_add, indexed=IndexOperands(1, 2, (2,)), array_indexed=True)
define("data_movement", ("scatter-mul",), movement.scatter_mul,
       indexed=IndexOperands(1, 2, (2,)), array_indexed=True)
define("data_movement", ("sort",), movement.sort)
define("data_movement", ("top_k",), movement.top_k)

# ---------------------------------------------------------------- reductions, contractions

define("reduction", ("reduce_sum", "reduce_max", "reduce_min"), reductions.reduction)
define("reduction", ("reduce_prod",), reductions.reduction_product)
define("reduction", ("cumsum", "cummax", "cummin"), reductions.cumulative)
define("reduction", ("cumprod",), reductions.cumulative_product)
define("reduction", ("cumlogsumexp",), reductions.cumulative_nonlinear)
define("bilinear", ("dot_general",), contractions.dot_general)
define("bilinear", ("conv_general_dilated",), contractions.conv)
define("linear_algebra", ("cholesky", "lu", "eigh", "qr", "householder_product", "geqrf",
                          "svd", "eig", "schur", "tridiagonal", "hessenberg"),
       contractions.per_matrix)
# A solve's solution depends on all of its right-hand side and matrix, linearly on the former.
define("linear_algebra", ("triangular_solve", "tridiagonal_solve", "custom_linear_solve"),
       contractions.linear_solve)

# ---------------------------------------------------------------- jaxprs inside equations

define("call", ("jit", "pjit", "closed_call", "core_call", "remat", "remat2", "checkpoint"),
       walk=calls.inline)
define("control_flow", ("cond",), walk=control_flow.cond)
define("control_flow", ("scan",), walk=control_flow.scan)
define("control_flow", ("while",), walk=control_flow.while_loop)
define("custom_derivative", ("custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr"),
       walk=custom_derivatives.custom_call)


# ---------------------------------------------------------------- user rules

def register_rule(primitive, rule):
    """Register ``rule`` (a name of :data:`RULE_CLASSES` or a function ``EqnContext ->
    EqnStructure``) for the JAX ``primitive``; returns the registered Rule."""
    if not hasattr(primitive, "bind") or not isinstance(getattr(primitive, "name", None), str):
        raise TypeError(f"register_sparsity_rule expects a JAX primitive (an object with .name "
                        f"and .bind, such as jax.lax.exp_p), got {type(primitive).__name__}")
    if isinstance(rule, str):
        if rule not in RULE_CLASSES:
            raise ValueError(f"unknown rule class {rule!r}; accepted: "
                             f"{', '.join(RULE_CLASSES)}, or a function of the rule signature")
        registered = Rule(rule, RULE_CLASSES[rule])
    elif callable(rule):
        registered = Rule("user", rule)
    else:
        raise TypeError(f"rule must be a class name ({', '.join(RULE_CLASSES)}) or a function, "
                        f"got {type(rule).__name__}")
    USER_RULES[primitive] = registered
    return registered
