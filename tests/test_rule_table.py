"""Every primitive the detection registry has a rule for: a case that emits it, checked against
dense JAX (the detected pattern contains every nonzero of ``jax.hessian`` / ``jax.jacfwd`` at
random points, and equals their union where the pattern is exact), or a listed reason why it
cannot be exercised here."""

import contextlib
import warnings

import jax
import jax.extend.random as jrandom
import jax.numpy as jnp
import jax.scipy.special as jsp
from jax.extend.core.primitives import closed_call_p
import numpy as np
import pytest
from jax import lax

import sparsehess
from sparsehess._src.detection import registry


def registered_names() -> set[str]:
    """Names of the primitives the detection registry has a rule for, in the installed JAX."""
    return {primitive.name for primitive in registry.REGISTRY}


N = 6


def _spd(x):
    a = x[:4].reshape(2, 2)
    return a @ a.T + 3.0 * jnp.eye(2)


def _mask(x):
    """An integer mask of x (its derivative is zero)."""
    return (x > 0).astype(jnp.int32)


def _bits(x):
    """The float bits of x as integers (their derivative is zero)."""
    return lax.bitcast_convert_type(x, jnp.int64)


def _pick(mask, x):
    """Sum of x_i^2 or 2 x_i^2 as ``mask`` (derivative zero) says: a diagonal Hessian."""
    return jnp.sum(jnp.where(mask, x ** 2, 2.0 * x ** 2))


def _weigh(k, x):
    """Sum of x_i^2 weighted by 1 or 2 from the parity of ``k`` (derivative zero): a diagonal
    Hessian."""
    return jnp.sum((k % 2 + 1) * x ** 2)


def _raw_key(x):
    """A raw uint32[2] PRNG key from the sign of x[0]."""
    return jnp.stack([_mask(x)[0], 1]).astype(jnp.uint32)


def _key(x):
    """A typed PRNG key seeded from the sign of x[0]."""
    return jax.random.key((x[0] > 0).astype(jnp.uint32))


@jax.custom_vjp
def _clipped_sin(x):
    return jnp.sin(x)


_clipped_sin.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (g * jnp.cos(x) * x[::-1],))


# primitive name -> function of x (shape (N,)) whose jaxpr contains that primitive
CASES = {
    # linear
    "add": lambda x: jnp.sum((x[:3] + x[3:]) ** 2),
    "add_any": lambda x: jax.grad(lambda y: jnp.sum(jnp.sin(y) * y[0]))(x),
    "sub": lambda x: jnp.sum((x[:3] - x[3:]) ** 2),
    "neg": lambda x: jnp.sum(jnp.sin(-x)),
    "convert_element_type": lambda x: jnp.sum(x.astype(jnp.float32).astype(x.dtype) ** 2),
    "copy": lambda x: jnp.sum(jnp.array(x, copy=True) ** 2),
    "real": lambda x: jnp.sum(jnp.real(x * (1.0 + 2.0j)) ** 2),
    "imag": lambda x: jnp.sum(jnp.imag(x * (1.0 + 2.0j)) * x[::-1]),
    "conj": lambda x: jnp.sum(jnp.real(jnp.conj(x * (1.0 + 2.0j)) * x)),
    "reduce_precision": lambda x: jnp.sum(lax.reduce_precision(x, 8, 7) ** 2),
    "optimization_barrier": lambda x: jnp.sum(lax.optimization_barrier(x) ** 2),
    "sharding_constraint": lambda x: jnp.sum(lax.with_sharding_constraint(
        x, jax.sharding.SingleDeviceSharding(jax.devices()[0])) ** 2),
    "reshard": lambda x: jax.sharding.reshard(x, jax.sharding.PartitionSpec()) * x[0],
    "device_put": lambda x: jnp.sum(jax.device_put(x, jax.devices()[0]) ** 2),
    # piecewise linear
    "abs": lambda x: jnp.sum(jnp.abs(x) * x[0]),
    "rem": lambda x: jnp.fmod(x[1:] * 3.0, x[:-1] + 5.0),
    # zero derivative: feeding a mask or a multiplier
    "sign": lambda x: _weigh(jnp.sign(x), x),
    "floor": lambda x: _weigh(jnp.floor(x * 3.0), x),
    "ceil": lambda x: _weigh(jnp.ceil(x * 3.0), x),
    "round": lambda x: _weigh(jnp.round(x * 3.0), x),
    "is_finite": lambda x: _pick(jnp.isfinite(x), x),
    "eq": lambda x: _pick(_mask(x) == 1, x),
    "ne": lambda x: _pick(_mask(x) != 1, x),
    "lt": lambda x: _pick(x < 0, x),
    "le": lambda x: _pick(x <= 0, x),
    "gt": lambda x: _pick(x > 0, x),
    "ge": lambda x: _pick(x >= 0, x),
    "and": lambda x: _pick((x > 0) & (x < 0.5), x),
    "or": lambda x: _pick((x > 0.5) | (x < -0.5), x),
    "not": lambda x: _pick(~(x > 0), x),
    "xor": lambda x: _pick((x > 0) ^ (x[::-1] > 0), x),
    # no public function emits eq_to (JAX's sort comparators use it): bound directly
    "eq_to": lambda x: _pick(lax.eq_to_p.bind(x, x[::-1]), x),
    "nextafter": lambda x: _pick(jnp.nextafter(lax.stop_gradient(x), 2.0) > 0, x),
    "bitcast_convert_type": lambda x: _pick(_bits(x) < 0, x),
    "iota": lambda x: _weigh(lax.iota(x.dtype, N), x),
    "stop_gradient": lambda x: jnp.sum(lax.stop_gradient(x) * x[0] ** 2),
    "argmax": lambda x: _weigh(jnp.argmax(x), x),
    "argmin": lambda x: _weigh(jnp.argmin(x), x),
    "shift_left": lambda x: _weigh(lax.shift_left(_mask(x), jnp.int32(1)), x),
    "shift_right_logical": lambda x: _weigh(lax.shift_right_logical(_bits(x), 63), x),
    "shift_right_arithmetic": lambda x: _weigh(lax.shift_right_arithmetic(_bits(x), 62), x),
    "population_count": lambda x: _weigh(lax.population_count(_bits(x)), x),
    "clz": lambda x: _weigh(lax.clz(_bits(x)), x),
    "reduce_and": lambda x: _weigh(jnp.all(x.reshape(2, 3) > 0, axis=1).repeat(3), x),
    "reduce_or": lambda x: _weigh(jnp.any(x.reshape(2, 3) > 0, axis=1).repeat(3), x),
    "reduce_xor": lambda x: _weigh(jnp.bitwise_xor.reduce(_mask(x).reshape(2, 3), axis=1)
                                   .repeat(3), x),
    # PRNG keys and bits seeded from a mask of x
    "random_seed": lambda x: _weigh(jax.random.key_data(_key(x))[-1], x),
    "random_unwrap": lambda x: _weigh(jax.random.key_data(_key(x))[-1], x),
    "random_wrap": lambda x: _weigh(
        jax.random.bits(jax.random.wrap_key_data(_raw_key(x)), (N,)), x),
    "random_bits": lambda x: _weigh(jax.random.bits(_key(x), (N,)), x),
    "random_fold_in": lambda x: _weigh(jax.random.bits(jax.random.fold_in(_key(x), 3), (N,)), x),
    "random_split": lambda x: _weigh(jax.random.bits(jax.random.split(_key(x))[1], (N,)), x),
    "threefry2x32": lambda x: _weigh(jrandom.threefry_2x32(
        jnp.array([0, 1], jnp.uint32), _mask(x).astype(jnp.uint32)), x),
    "iota_2x32_shape": lambda x: _weigh(
        jrandom.threefry_prng_impl.random_bits(_raw_key(x), 32, (N,)), x),
    "rng_bit_generator": lambda x: _weigh(
        lax.rng_bit_generator(jnp.tile(_raw_key(x), 2), (N,))[1], x),
    # nonlinear unary (shifted into their domains)
    "exp": lambda x: jnp.sum(jnp.exp(x)),
    "exp2": lambda x: jnp.sum(jnp.exp2(x)),
    "expm1": lambda x: jnp.sum(jnp.expm1(x)),
    "log": lambda x: jnp.sum(jnp.log(x + 2.0)),
    "log1p": lambda x: jnp.sum(jnp.log1p(x + 1.0)),
    "sin": lambda x: jnp.sum(jnp.sin(x)),
    "cos": lambda x: jnp.sum(jnp.cos(x)),
    "tan": lambda x: jnp.sum(jnp.tan(x)),
    "tanh": lambda x: jnp.sum(jnp.tanh(x)),
    "logistic": lambda x: jnp.sum(jax.nn.sigmoid(x)),
    "sqrt": lambda x: jnp.sum(jnp.sqrt(x + 2.0)),
    "rsqrt": lambda x: jnp.sum(lax.rsqrt(x + 2.0)),
    "cbrt": lambda x: jnp.sum(jnp.cbrt(x + 2.0)),
    "erf": lambda x: jnp.sum(jsp.erf(x)),
    "erfc": lambda x: jnp.sum(jsp.erfc(x)),
    "erf_inv": lambda x: jnp.sum(jsp.erfinv(x * 0.5)),
    "lgamma": lambda x: jnp.sum(jsp.gammaln(x + 2.0)),
    "digamma": lambda x: jnp.sum(jsp.digamma(x + 2.0)),
    "asin": lambda x: jnp.sum(jnp.arcsin(x * 0.5)),
    "acos": lambda x: jnp.sum(jnp.arccos(x * 0.5)),
    "atan": lambda x: jnp.sum(jnp.arctan(x)),
    "sinh": lambda x: jnp.sum(jnp.sinh(x)),
    "cosh": lambda x: jnp.sum(jnp.cosh(x)),
    "asinh": lambda x: jnp.sum(jnp.arcsinh(x)),
    "acosh": lambda x: jnp.sum(jnp.arccosh(x + 2.0)),
    "atanh": lambda x: jnp.sum(jnp.arctanh(x * 0.5)),
    "square": lambda x: jnp.sum(jnp.square(x) * x[0]),
    "bessel_i0e": lambda x: jnp.sum(jsp.i0e(x)),
    "bessel_i1e": lambda x: jnp.sum(jsp.i1e(x)),
    # nonlinear binary
    "pow": lambda x: jnp.sum((x[:3] + 2.0) ** (x[3:] * 0.5)),
    "atan2": lambda x: jnp.sum(jnp.arctan2(x[:3], x[3:] + 3.0)),
    "igamma": lambda x: jnp.sum(jsp.gammainc(2.5, x + 2.0)),
    "igammac": lambda x: jnp.sum(jsp.gammaincc(2.5, x + 2.0)),
    "polygamma": lambda x: jnp.sum(jsp.polygamma(1, x + 2.0)),
    "zeta": lambda x: jnp.sum(jsp.zeta(3.0, x + 2.0)),
    "regularized_incomplete_beta": lambda x: jnp.sum(jsp.betainc(2.0, 3.0, x * 0.4 + 0.5)),
    # arithmetic with their own rules
    "mul": lambda x: x[1:] * x[:-1],
    "div": lambda x: x[1:] / (x[:-1] + 3.0),
    "integer_pow": lambda x: x ** 3 + x[::-1] ** 2,
    "select_n": lambda x: jnp.where(x > 0, x ** 2, x[::-1]),
    "clamp": lambda x: lax.clamp(-0.5, x, 0.5) * x[0],
    "max": lambda x: jnp.maximum(x[1:], x[:-1]) * x[0],
    "min": lambda x: jnp.minimum(x[1:], 0.5 * x[:-1]) * x[0],
    "dot_general": lambda x: x[:3] @ x.reshape(3, 2) * x[5],
    # reductions and cumulative reductions
    "reduce_sum": lambda x: jnp.sum(x.reshape(2, 3) ** 2, axis=0),
    "reduce_max": lambda x: jnp.max(x.reshape(3, 2), axis=1) * x[:3],
    "reduce_min": lambda x: jnp.min(x.reshape(3, 2), axis=1) * x[:3],
    "reduce_prod": lambda x: jnp.prod(x.reshape(3, 2), axis=1),
    "cumsum": lambda x: jnp.cumsum(x ** 2),
    "cummax": lambda x: lax.cummax(x) * x,
    "cummin": lambda x: lax.cummin(x, reverse=True) * x,
    "cumprod": lambda x: jnp.cumprod(x),
    "cumlogsumexp": lambda x: lax.cumlogsumexp(x),
    # scatters at constant indices
    "scatter-add": lambda x: jnp.zeros(4).at[jnp.array([0, 2, 0, 3, 1, 1])].add(x ** 2),
    "scatter": lambda x: x.at[jnp.array([1, 4])].set(x[:2] * x[5]),
    "scatter-mul": lambda x: x.at[jnp.array([1, 4])].multiply(x[:2], unique_indices=True),
    "scatter-sub": lambda x: x.at[jnp.array([1, 4, 1])].subtract(x[:3] ** 2),
    "scatter-min": lambda x: x.at[jnp.array([1, 4, 4])].min(x[:3] * 2.0) * x[0],
    "scatter-max": lambda x: x.at[jnp.array([0, 0])].max(x[4:] ** 2),
    # data movement
    "broadcast_in_dim": lambda x: (x.reshape(2, 3)[:, None, :] * x[:2, None, None]).ravel(),
    "tile": lambda x: jnp.tile(x[:3], 2) * x,
    "unstack": lambda x: jnp.unstack(x.reshape(2, 3))[1] * x[:3],
    "reshape": lambda x: x.reshape(2, 3)[1] * x[:3],
    "squeeze": lambda x: jnp.squeeze(x.reshape(1, N) ** 2, 0),
    "transpose": lambda x: (x.reshape(2, 3).T * x[:3, None]).ravel(),
    "slice": lambda x: x[::2] * x[1::2],
    "rev": lambda x: jnp.flip(x) * x,
    "split": lambda x: jnp.split(x, 2)[0] * jnp.split(x, 2)[1],
    "gather": lambda x: x[jnp.array([0, 3, 3, 5])] * x[jnp.array([1, 1, 2, 4])],
    "dynamic_slice": lambda x: lax.dynamic_slice(x, (2,), (3,)) * x[:3],
    "pad": lambda x: jnp.pad(x, (2, 1)) ** 2,
    "dynamic_update_slice": lambda x: lax.dynamic_update_slice(x, x[:2] ** 2, (3,)) * x[0],
    "concatenate": lambda x: jnp.concatenate([x[:2] ** 2, x[3:] * x[0]]),
    "stack": lambda x: jnp.stack([x, x[::-1]]).ravel() * x[0],
    # products, order statistics
    "conv_general_dilated": lambda x: lax.conv_general_dilated(
        x.reshape(1, 1, 6), x[None, None, :3] * 0.5, (1,), "SAME").ravel(),
    "sort": lambda x: jnp.sort(x.reshape(2, 3), axis=1).ravel() * x,
    "top_k": lambda x: lax.top_k(x, 2)[0] ** 2,
    # linear algebra
    "custom_linear_solve": lambda x: lax.custom_linear_solve(
        lambda v: _spd(x) @ v, x[4:], lambda mv, b: jnp.linalg.solve(_spd(x), b), symmetric=True),
    "cholesky": lambda x: jnp.linalg.cholesky(_spd(x)).ravel(),
    "triangular_solve": lambda x: jax.scipy.linalg.solve_triangular(
        jnp.linalg.cholesky(_spd(x)), x[4:], lower=True),
    "lu": lambda x: jax.scipy.linalg.lu_factor(_spd(x))[0].ravel(),
    "eigh": lambda x: jnp.linalg.eigh(_spd(x))[0],
    "qr": lambda x: jnp.linalg.qr(x.reshape(3, 2))[1].ravel(),
    "svd": lambda x: jnp.linalg.svd(x.reshape(3, 2), compute_uv=False),
    "eig": lambda x: jnp.real(lax.linalg.eig(_spd(x) + jnp.array([[0.0, 0.5], [0.0, 0.0]]),
                                             enable_eigvec_derivs=True)[0]),
    "tridiagonal_solve": lambda x: lax.linalg.tridiagonal_solve(
        jnp.concatenate([jnp.zeros(1), x[:1]]), x[1:3] + 3.0,
        jnp.concatenate([x[3:4], jnp.zeros(1)]), x[4:, None])[:, 0],
    # calls and control flow
    # JAX's partial evaluation emits closed_call (known scan parts, pruned custom_vjp): bound
    # here through jax.extend
    "closed_call": lambda x: closed_call_p.bind(x, **closed_call_p.get_bind_params(
        {"call_jaxpr": jax.make_jaxpr(lambda y: jnp.sin(y[1:]) * y[:-1])(x)}))[0],
    "jit": lambda x: jax.jit(lambda y: jnp.sin(y[1:]) * y[:-1])(x),
    "remat2": lambda x: jax.checkpoint(lambda y: jnp.exp(y) * y[::-1])(x),
    "cond": lambda x: lax.cond(x[0] > 0, lambda y: y ** 2, lambda y: jnp.sin(y) * y[1], x),
    "scan": lambda x: lax.scan(lambda c, xi: (c * 0.5 + jnp.sin(xi * c), c * xi), x[0], x[1:])[1],
    "while": lambda x: lax.while_loop(lambda c: c[1] < 4, lambda c: (c[0] * jnp.roll(c[0], 1),
                                                                     c[1] + 1), (x, 0))[0],
    "custom_jvp_call": lambda x: jax.nn.softplus(x) * x[0],
    "custom_vjp_call": lambda x: _clipped_sin(x) ** 2,
}

# primitive name -> why no case here exercises it
_NO_DERIVATIVE = "jax 0.10.2 has no differentiation rule for it, so dense JAX cannot check it"
NOT_EXERCISED = {
    "pvary": "emitted only inside shard_map, a primitive the tables have no rule for (its "
             "conservative fallback warns and never looks into the body)",
    "geqrf": "no public API emits it in jax 0.10.2 (jax.lax.linalg has no geqrf; jnp.linalg.qr "
             "stays one qr equation), and " + _NO_DERIVATIVE,
    "householder_product": _NO_DERIVATIVE,
    "hessenberg": _NO_DERIVATIVE,
    "schur": _NO_DERIVATIVE,
    "tridiagonal": _NO_DERIVATIVE,
}

# cases whose detected pattern is a strict superset of the dense nonzeros at the points below
# (for every other case the two are equal), with why
_BRANCH = "valid for every branch, and the points take only some of them"
_PER_MATRIX = ("every output of the matrix function depends on every matrix and right-hand-side "
               "entry, nonlinearly")
CONSERVATIVE = {
    **dict.fromkeys(["clamp", "cond", "cummax", "cummin", "min", "scatter-max", "scatter-min",
                     "select_n", "sort", "top_k"], _BRANCH),
    "rem": "d fmod(a, b)/db = -trunc(a/b) is zero while |a| < b, as at these points",
    **dict.fromkeys(["cholesky", "lu", "qr", "custom_linear_solve", "triangular_solve",
                     "tridiagonal_solve"], _PER_MATRIX),
}

# custom_vjp functions have no forward mode
REVERSE_ONLY = {"custom_vjp_call"}
# while loops have no reverse mode
FORWARD_ONLY = {"while"}
# cases traced under a context: reshard needs a (one-device) mesh with explicit axes
CONTEXTS = {"reshard": lambda: jax.set_mesh(jax.sharding.Mesh(
    np.array(jax.devices()[:1]), ("a",), axis_types=(jax.sharding.AxisType.Explicit,)))}


def _context(name):
    return CONTEXTS.get(name, contextlib.nullcontext)()


# the dense derivatives are tiny programs, compiled once each: skip XLA's expensive passes
_FAST_COMPILE = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}


def _points(k=3):
    rng = np.random.default_rng(0)
    return [jnp.asarray(rng.uniform(-0.9, 0.9, N)) for _ in range(k)]


def _primitive_names(jaxpr):
    """Names of the primitives in ``jaxpr`` and, recursively, in the jaxprs of its params."""
    names, stack = set(), [jaxpr]
    while stack:
        j = stack.pop()
        j = getattr(j, "jaxpr", j)
        for eqn in j.eqns:
            names.add(eqn.primitive.name)
            for v in eqn.params.values():
                for sub in (v if isinstance(v, (tuple, list)) else (v,)):
                    if hasattr(getattr(sub, "jaxpr", sub), "eqns"):
                        stack.append(sub)
    return names


def test_every_registered_primitive_has_a_case_or_a_reason():
    assert set(CASES) & set(NOT_EXERCISED) == set()
    assert set(CONSERVATIVE) | REVERSE_ONLY | FORWARD_ONLY | set(CONTEXTS) <= set(CASES)
    assert registered_names() == set(CASES) | set(NOT_EXERCISED)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_emits_its_primitive(name):
    with _context(name):
        jaxpr = jax.make_jaxpr(CASES[name])(jnp.ones(N))
    assert name in _primitive_names(jaxpr)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_pattern_covers_dense_jax(name):
    with _context(name):
        _check_against_dense(name, CASES[name])


def _check_against_dense(name, f):
    points = _points()
    vector = np.ndim(f(points[0])) > 0
    flat = lambda x: jnp.ravel(f(x))
    w = jnp.asarray(np.random.default_rng(1).uniform(0.5, 1.5, np.size(f(points[0]))))
    scalar = (lambda x: jnp.sum(w * flat(x))) if vector else f
    with warnings.catch_warnings():
        warnings.simplefilter("error", sparsehess.SparsityWarning)
        detected = {"Hessian": sparsehess.hessian_sparsity(scalar, points[0]).toarray()}
        if vector:
            detected["Jacobian"] = sparsehess.jacobian_sparsity(flat, points[0]).toarray()
    jac_fn = jax.jacrev if name in REVERSE_ONLY else jax.jacfwd
    hess_fn = (lambda g: jax.jacfwd(jax.jacfwd(g))) if name in FORWARD_ONLY else jax.hessian
    fns = {"Hessian": hess_fn(scalar), "Jacobian": jac_fn(flat)}
    both = jax.vmap(lambda x: {kind: fns[kind](x) for kind in detected})
    stacked = jnp.stack(points)
    dense = jax.jit(both).lower(stacked).compile(_FAST_COMPILE)(stacked)
    for kind, pattern in detected.items():
        nonzero = np.asarray(dense[kind]).reshape(len(points), *pattern.shape) != 0
        missed = np.argwhere(nonzero.any(axis=0) & ~pattern)
        assert missed.size == 0, f"{name}: {kind} entries missed by detection: {missed.tolist()}"
        if name not in CONSERVATIVE:
            extra = np.argwhere(pattern & ~nonzero.any(axis=0))
            assert extra.size == 0, f"{name}: {kind} entries zero at every point: {extra.tolist()}"
