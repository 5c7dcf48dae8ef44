"""Local mode (patterns at a point) never misses a nonzero of the derivatives at that point.

Every local pattern must contain the numerical nonzeros of the dense forward-mode Jacobian
and Hessian at the point (NaN and Inf count as nonzero) and be contained in the global
pattern.  The points have zeros and ties: a value that is zero at the point removes the
dependency on the other factor of a product, but not the factor's own dependency, nor the
second-order cross term (∂²(ab)/∂a∂b = 1), nor the curvature behind a zero first derivative
(x·x at 0).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import lax

from sparsehess import hessian_sparsity, jacobian_sparsity
from sparsehess._src.detection.rules import control_flow


def _nonzero(dense):
    dense = np.asarray(dense)
    return (dense != 0) | ~np.isfinite(dense)


def _check_jacobian(f, x):
    """Local Jacobian pattern of vector ``f`` at ``x``: ⊇ numerical nonzeros, ⊆ global."""
    local = jacobian_sparsity(f, x, mode="local").toarray()
    numerical = _nonzero(jax.jacfwd(f)(x)).reshape(local.shape)
    missed = np.argwhere(numerical & ~local)
    assert not len(missed), f"local Jacobian misses nonzeros at {missed.tolist()}"
    extra = np.argwhere(local & ~jacobian_sparsity(f, x).toarray())
    assert not len(extra), f"local Jacobian has entries outside the global one: {extra.tolist()}"


def _check_hessian(f, x):
    """Local Hessian pattern of scalar ``f`` at ``x``: ⊇ numerical nonzeros, ⊆ global."""
    local = hessian_sparsity(f, x, mode="local").toarray()
    numerical = _nonzero(jax.jacfwd(jax.jacfwd(f))(x))   # forward: while loops too
    missed = np.argwhere(numerical & ~local)
    assert not len(missed), f"local Hessian misses nonzeros at {missed.tolist()}"
    extra = np.argwhere(local & ~hessian_sparsity(f, x).toarray())
    assert not len(extra), f"local Hessian has entries outside the global one: {extra.tolist()}"


def check(f, x):
    """Both checks for scalar ``f`` (its Jacobian is the gradient's row)."""
    x = jnp.asarray(x, jnp.float64)
    _check_hessian(f, x)
    _check_jacobian(lambda y: jnp.atleast_1d(f(y)), x)


# ---------------------------------------------------------------- the reported cases

def test_square_at_zero_has_curvature():
    h = hessian_sparsity(lambda x: jnp.sum(x * x), jnp.zeros(3), mode="local").toarray()
    assert (h == np.eye(3, dtype=bool)).all()


def test_dot_with_a_zero_factor_keeps_the_cross_term():
    h = hessian_sparsity(lambda x: jnp.dot(x[:2], x[2:]), jnp.array([0., 1., 2., 3.]),
                         mode="local").toarray()
    expected = np.zeros((4, 4), bool)
    expected[[0, 2, 1, 3], [2, 0, 3, 1]] = True
    assert (h == expected).all()


def test_constant_matrix_times_zero_point():
    c = jnp.array([[1.], [2.]])
    j = jacobian_sparsity(lambda x: c @ x, jnp.zeros(1), mode="local").toarray()
    assert (j == np.ones((2, 1), bool)).all()


def test_true_constant_zeros_still_prune():
    """Zeros of constants (not of the point) keep sharpening the local pattern."""
    c = jnp.array([[1., 0.], [0., 0.]])
    j = jacobian_sparsity(lambda x: c @ x, jnp.zeros(2), mode="local").toarray()
    assert (j == np.array([[1, 0], [0, 0]], bool)).all()
    h = hessian_sparsity(lambda x: x[0] * jnp.dot(c[1], x), jnp.zeros(2), mode="local")
    assert h.nnz == 0


# ---------------------------------------------------------------- one case per value-using rule

def _conv1d(a, kernel):
    return lax.conv_general_dilated(a[None, None, :], kernel[None, None, :], (1,), "SAME")[0, 0]


KERNEL = jnp.array([1.0, 0.0, -2.0])
A = jnp.array([[1.0, 0.0, 2.0, 0.0], [0.0, 0.0, 3.0, 1.0], [1.0, 1.0, 0.0, 0.0]])


def _scan_of_squares(x):
    return lax.scan(lambda c, xi: (c + jnp.sin(xi), None), 0.0, x * x)[0]


def _scan_stacking_squares(x):
    return jnp.sum(jnp.sin(lax.scan(lambda c, xi: (c + xi, xi * xi), 0.0, x)[1]))


def _fori_of_products(x):
    return jnp.sum(lax.fori_loop(0, 3, lambda i, c: c * c + x[0] * x, x))


ZERO4 = [0.0, 0.0, 0.0, 0.0]
RULE_CASES = {
    # mul
    "mul_square": (lambda x: jnp.sum(x * x), ZERO4),
    "mul_square_then_sin": (lambda x: jnp.sum(jnp.sin(x * x)), ZERO4),
    "mul_pairs": (lambda x: jnp.sum(jnp.sin(x[:2] * x[2:])), ZERO4),
    "mul_chain": (lambda x: jnp.exp(x[0] * x[1]) * (1.0 + x[2]) + (1.0 + x[3]) * (x[0] * x[0]),
                  ZERO4),
    "mul_by_constant_zero": (lambda x: jnp.sum(x * jnp.array([0., 1., 0., 2.]) * x), ZERO4),
    # div
    "div_by_square": (lambda x: jnp.sum(1.0 / (1.0 + x * x)), ZERO4),
    "div_product": (lambda x: x[0] * x[1] / (1.0 + x[2] ** 2) + x[3] / (2.0 + x[0] * x[3]),
                    ZERO4),
    "div_zero_numerator": (lambda x: jnp.sum(jnp.sin(x[:2] * x[2:] / (1.0 + x[2:] ** 2))),
                           ZERO4),
    # dot_general
    "dot_pair": (lambda x: jnp.dot(x[:2], x[2:]), [0.0, 1.0, 2.0, 3.0]),
    "dot_self": (lambda x: jnp.dot(x, x), ZERO4),
    "dot_constant_with_zeros": (lambda x: jnp.sum(jnp.sin(A @ x)), [0.0, 1.0, 0.0, 0.0]),
    "dot_constant_squared": (lambda x: jnp.sum((A @ (x * x)) ** 2) + jnp.sum(A @ (x * x)),
                             ZERO4),
    "matmul": (lambda x: jnp.sum(x.reshape(2, 2) @ x.reshape(2, 2)), [0.0, 1.0, 0.0, 0.0]),
    # conv
    "conv_constant_kernel": (lambda x: jnp.sum(jnp.sin(_conv1d(x, KERNEL))), ZERO4),
    "conv_constant_kernel_squares": (lambda x: jnp.sum(jnp.sin(_conv1d(x * x, KERNEL))), ZERO4),
    "conv_kernel_from_x": (lambda x: jnp.sum(_conv1d(x[:4], x[4:])), [0.0] * 7),
    # max / min
    "max_tie": (lambda x: jnp.maximum(x[0], x[1]) ** 2 + jnp.minimum(x[2], x[3]) * x[0],
                [1.0, 1.0, 0.0, 0.0]),
    "max_tie_of_products": (lambda x: jnp.sin(jnp.maximum(x[0] * x[1], x[2] * x[3])), ZERO4),
    "max_of_squares": (lambda x: jnp.sum(jnp.maximum(x * x, x[::-1] * x)), ZERO4),
    "relu_at_zero": (lambda x: jnp.sum(jnp.maximum(x, 0.0) * x), ZERO4),
    # select_n / where
    "where_branches": (lambda x: jnp.sum(jnp.where(x > 0, x ** 2, x[0] * x)),
                       [0.0, 1.0, -1.0, 0.0]),
    "where_of_products": (lambda x: jnp.sum(jnp.sin(jnp.where(x > 0, x ** 2, x[0] * x))),
                          ZERO4),
    "where_of_squares": (lambda x: jnp.sum(jnp.exp(jnp.where(x >= 0, x * x, x))), ZERO4),
    # integer_pow
    "square_then_exp": (lambda x: jnp.sum(jnp.exp(x ** 2)), ZERO4),
    "cube_of_shifted_square": (lambda x: jnp.sum((1.0 + x * x) ** 3), ZERO4),
    "cube_of_product": (lambda x: jnp.sum((x[:2] * x[2:]) ** 3) + jnp.sum(jnp.sin(x) ** 2), ZERO4),
    # dynamic indices computed from x
    "gather_argmax": (lambda x: x[jnp.argmax(x)] ** 2 * x[0] + x[jnp.argmin(x)] * x[1],
                      [0.0, 2.0, -1.0, 0.0]),
    "gather_argmax_product": (lambda x: jnp.sin(x[jnp.argmax(x)] * x[1]),
                              [0.0, 0.0, -1.0, -2.0]),
    "dynamic_slice": (lambda x: jnp.sum(jnp.sin(lax.dynamic_slice(x * x, (jnp.argmax(x),), (2,)))),
                      ZERO4),
    "scatter_at_argmax": (lambda x: jnp.sum(jnp.sin(x.at[jnp.argmax(x)].set(x[0] * x[1]))),
                          [0.0, 0.0, 1.0, 0.0]),
    "scatter_add_squares": (lambda x: jnp.sum(jnp.sin(jnp.zeros(3).at[jnp.array([0, 2, 0, 1])]
                                                      .add(x * x))), ZERO4),
    # control flow
    "cond_on_point": (lambda x: lax.cond(x[0] > 0, lambda y: jnp.sum(y * y),
                                         lambda y: jnp.sum(jnp.sin(y * y)), x), ZERO4),
    "scan_over_squares": (_scan_of_squares, ZERO4),
    "scan_stacking_squares": (_scan_stacking_squares, ZERO4),
    "fori_products": (_fori_of_products, ZERO4),
    # custom derivative rules
    "relu_of_square": (lambda x: jnp.sum(jax.nn.relu(x * x + 1.0)), ZERO4),
    "softplus_of_square": (lambda x: jnp.sum(jax.nn.softplus(x * x)), ZERO4),
}


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_rule_at_point_with_zeros(name):
    f, x = RULE_CASES[name]
    check(f, x)


def test_conv_with_constant_kernel_jacobian_at_zero():
    x = jnp.zeros(5)
    local = jacobian_sparsity(lambda y: _conv1d(y, KERNEL), x, mode="local").toarray()
    assert (local == jacobian_sparsity(lambda y: _conv1d(y, KERNEL), x).toarray()).all()
    assert local.sum() == 8          # two taps per output (the middle one is a constant zero)


def _long_scan(x):
    return jnp.sum(lax.scan(lambda c, _: (c + x * x, None), jnp.zeros_like(x), None,
                            length=4)[0])


def _long_while(x):
    return lax.while_loop(lambda c: c[1] < 4.0, lambda c: (c[0] + x * x, c[1] + 1.0),
                          (jnp.zeros_like(x), 0.0))[0].sum()


@pytest.mark.parametrize("f", [_long_scan, _long_while])
def test_loop_fixed_point(f, monkeypatch):
    """A loop past the unroll limit takes the carry to a fixed point; at a point where its
    constant operand is zero, the curvature of x·x must survive."""
    monkeypatch.setattr(control_flow, "UNROLL_LIMIT", 0)
    check(f, jnp.zeros(3))


def test_point_zero_is_not_taken_for_an_equal_constant():
    """The same equation meets a constant zero (first iteration) and a point value zero
    (second): the structure cached for the constant, which drops the curvature with it,
    must not be reused for the point."""
    def f(x):
        return jnp.sum(lax.fori_loop(0, 2, lambda i, c: x + jnp.dot(x, c), jnp.zeros_like(x)))
    h = hessian_sparsity(f, jnp.zeros(3), mode="local").toarray()
    assert (h == np.eye(3, dtype=bool)).all()


def test_subnormal_values_may_tie():
    """XLA on CPU flushes subnormals to zero: min(1e-309, 0) is a tie there, and JAX gives
    each operand half the derivative."""
    x = jnp.array([2.2e-309, -2.2e-309, 1.0, 0.0])
    check(lambda y: jnp.sum(jnp.minimum(y, 0.0)) + jnp.sum(jnp.maximum(y[:2], y[2:]) * y[:2]), x)
    local = jacobian_sparsity(lambda y: jnp.minimum(y, 0.0), x, mode="local").toarray()
    assert (local == np.diag([True, True, False, True])).all()


# ---------------------------------------------------------------- random programs

N_MAX = 6
UNARY = {"sin": jnp.sin, "exp": jnp.exp, "tanh": jnp.tanh}


def _run_program(program, x, constants):
    """Vector nodes (each shape (n,)) of ``program`` applied to ``x``."""
    n = x.shape[0]
    nodes = [x]
    for op, i, j, k in program:
        a, b, c = nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)]
        if op == "mul":
            out = a * b
        elif op == "slice_mul":
            out = a[constants["perm1"]] * b[constants["perm2"]]
        elif op == "dot":
            out = constants["matrix"] @ a
        elif op == "dot_pair":
            out = jnp.dot(a, b) * c
        elif op == "div":
            out = a / (1.0 + b * b)
        elif op in UNARY:
            out = UNARY[op](a)
        elif op == "max":
            out = jnp.maximum(a, b)
        elif op == "min":
            out = jnp.minimum(a, b * c)
        elif op == "where":
            out = jnp.where(a > b, a * c, b)
        elif op == "square":
            out = a ** 2
        elif op == "cube":
            out = a ** 3
        elif op == "sum":
            out = a + jnp.sum(b)
        elif op == "conv":
            out = _conv1d(a, constants["kernel"])
        elif op == "conv_x":
            out = _conv1d(a, b[:3])
        elif op == "dynamic_index":
            out = a * b[jnp.argmax(c)]
        elif op == "prod":
            out = a + jnp.prod(b)
        else:
            raise AssertionError(op)
        assert out.shape == (n,)
        nodes.append(out)
    return nodes


OPS = ["mul", "slice_mul", "dot", "dot_pair", "div", "sin", "exp", "tanh", "max", "min",
       "where", "square", "cube", "sum", "conv", "conv_x", "dynamic_index", "prod"]


@st.composite
def programs(draw):
    n = draw(st.integers(4, N_MAX))
    special = st.sampled_from([0.0, 0.0, 1.0, -1.0])
    entry = st.one_of(special, st.floats(-1.5, 1.5, allow_nan=False))
    x = np.array(draw(st.lists(entry, min_size=n, max_size=n)))
    index = st.integers(0, 20)
    program = draw(st.lists(st.tuples(st.sampled_from(OPS), index, index, index),
                            min_size=1, max_size=6))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    sparse = lambda *shape: rng.normal(size=shape) * (rng.random(shape) < 0.5)
    constants = {"perm1": rng.permutation(n), "perm2": rng.integers(0, n, n),
                 "matrix": jnp.asarray(sparse(n, n)), "kernel": jnp.asarray(sparse(3)),
                 "weights": jnp.asarray(sparse(n))}
    return program, jnp.asarray(x), constants


@settings(max_examples=60, deadline=None)
@given(programs())
def test_random_programs_at_points_with_zeros(case):
    program, x, constants = case

    def vector(y):
        return jnp.concatenate(_run_program(program, y, constants)[1:])

    def scalar(y):
        nodes = _run_program(program, y, constants)
        return jnp.sum(nodes[-1] * constants["weights"]) + jnp.sum(jnp.concatenate(nodes[1:]))

    _check_jacobian(vector, x)
    _check_hessian(scalar, x)
