"""sparsehess vs. dense JAX (jax.hessian / jax.jacfwd) over the function zoo.

* detected sparsity patterns must contain every numerically nonzero entry of
  the dense derivative (they may be larger, never smaller);
* sparse Hessians / Jacobians / Hessian diagonals must equal the dense ones
  (float64, rtol 1e-10) in every output format, on a repeated call (cache hit)
  and at a second point;
* flattening is row-major, argnums selects the differentiated argument;
* the documented error cases raise ValueError/TypeError with a clear message.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sps
from jax.experimental.sparse import BCOO

import sparsehess
from functions import JULIA_A, JULIA_H, SCALAR_CASES, VECTOR_CASES, ZOO, dense_hessian, dense_jacobian

FORMATS = ["bcoo", "scipy", "dense"]
N_POINTS = 3
RTOL = 1e-10


def _ids(case):
    return case.name


# --------------------------------------------------------------------------
# dense references (jit-compiled once per case, cached per point)
# --------------------------------------------------------------------------


# dense_hessian / dense_jacobian (jit-compiled once per case, cached per point) live in functions.py


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def check_pattern(P, shape, what):
    """Validate the type of a detected pattern and return it as a dense bool array."""
    assert isinstance(P, sps.csr_array), f"{what}: expected scipy.sparse.csr_array, got {type(P)}"
    assert P.shape == shape, f"{what}: pattern shape {P.shape}, expected {shape}"
    assert P.dtype == np.bool_, f"{what}: pattern dtype {P.dtype}, expected bool"
    return P.toarray()


def assert_covers(P, D, what):
    nz = np.abs(D) > 0
    missing = np.argwhere(nz & ~P)
    assert missing.size == 0, (
        f"{what}: pattern misses {len(missing)} numerically nonzero entries, e.g. {missing[:8].tolist()}"
    )


def assert_close(actual, expected, what):
    actual = np.asarray(actual, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-12 * scale, err_msg=what)


def to_matrix(res, fmt, m, n, jax_shape, what):
    """Convert a sparsehess result in format `fmt` to an (m, n) numpy matrix, checking its type/shape."""
    if fmt == "bcoo":
        assert isinstance(res, BCOO), f"{what}: format='bcoo' returned {type(res)}"
        arr = np.asarray(res.todense())
        assert arr.size == m * n, f"{what}: BCOO has shape {arr.shape}, expected {m * n} entries"
        return arr.reshape(m, n)
    if fmt == "scipy":
        assert isinstance(res, sps.csr_array), f"{what}: format='scipy' returned {type(res)}"
        assert res.shape == (m, n), f"{what}: scipy result shape {res.shape}, expected {(m, n)}"
        return res.toarray()
    assert fmt == "dense"
    arr = np.asarray(res)
    assert arr.shape == tuple(jax_shape), f"{what}: dense result shape {arr.shape}, expected {tuple(jax_shape)}"
    return arr.reshape(m, n)


# --------------------------------------------------------------------------
# zoo sanity (tests the tests; does not touch the library)
# --------------------------------------------------------------------------


def test_zoo_size():
    assert len(ZOO) >= 45
    assert len(SCALAR_CASES) >= 40 and len(VECTOR_CASES) >= 10
    assert len({c.name for c in ZOO}) == len(ZOO)


# --------------------------------------------------------------------------
# sparsity patterns contain the dense nonzeros
# --------------------------------------------------------------------------


@pytest.mark.parametrize("case", SCALAR_CASES, ids=_ids)
def test_hessian_sparsity_covers_dense(case):
    for k in range(N_POINTS):
        args = case.args(k)
        n = int(np.size(args[case.argnums]))
        P = check_pattern(sparsehess.hessian_sparsity(case.f, *args, argnums=case.argnums), (n, n),
                          f"{case.name} hessian_sparsity")
        assert np.array_equal(P, P.T), f"{case.name}: hessian_sparsity is not symmetric"
        _, H = dense_hessian(case.name, k)
        assert_covers(P, H, f"{case.name} hessian_sparsity @ point {k}")


@pytest.mark.parametrize("case", ZOO, ids=_ids)
def test_jacobian_sparsity_covers_dense(case):
    for k in range(N_POINTS):
        args = case.args(k)
        n = int(np.size(args[case.argnums]))
        m = int(np.size(jax.eval_shape(case.f, *args)))  # 1 for scalar f: gradient dependency
        P = check_pattern(sparsehess.jacobian_sparsity(case.f, *args, argnums=case.argnums), (m, n),
                          f"{case.name} jacobian_sparsity")
        _, J = dense_jacobian(case.name, k)
        assert_covers(P, J, f"{case.name} jacobian_sparsity @ point {k}")


# --------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------

# point 0, point 0 again (cache hit), then a second point
CALL_POINTS = (0, 0, 1)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", SCALAR_CASES, ids=_ids)
def test_hessian_matches_dense(case, fmt):
    h = sparsehess.hessian(case.f, argnums=case.argnums, format=fmt)
    for k in CALL_POINTS:
        args = case.args(k)
        H_jax, H = dense_hessian(case.name, k)
        n = H.shape[0]
        what = f"{case.name} hessian[{fmt}] @ point {k}"
        assert_close(to_matrix(h(*args), fmt, n, n, H_jax.shape, what), H, what)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", VECTOR_CASES, ids=_ids)
def test_jacobian_matches_jacfwd(case, fmt):
    jac = sparsehess.jacobian(case.f, argnums=case.argnums, format=fmt)
    for k in CALL_POINTS:
        args = case.args(k)
        J_jax, J = dense_jacobian(case.name, k)
        what = f"{case.name} jacobian[{fmt}] @ point {k}"
        assert_close(to_matrix(jac(*args), fmt, J.shape[0], J.shape[1], J_jax.shape, what), J, what)


# one format per scalar case (cycling through all three) to keep the runtime down
_SCALAR_JAC = [pytest.param(c, FORMATS[i % 3], id=f"{c.name}-{FORMATS[i % 3]}") for i, c in enumerate(SCALAR_CASES)]


@pytest.mark.parametrize("case,fmt", _SCALAR_JAC)
def test_jacobian_of_scalar_fn_is_gradient(case, fmt):
    jac = sparsehess.jacobian(case.f, argnums=case.argnums, format=fmt)
    for k in (0, 1):
        args = case.args(k)
        J_jax, J = dense_jacobian(case.name, k)
        what = f"{case.name} jacobian[{fmt}] (scalar f) @ point {k}"
        assert_close(to_matrix(jac(*args), fmt, 1, J.shape[1], J_jax.shape, what), J, what)


@pytest.mark.parametrize("case", SCALAR_CASES, ids=_ids)
def test_hessian_diagonal_matches_dense(case):
    hd = sparsehess.hessian_diagonal(case.f, argnums=case.argnums)
    for k in CALL_POINTS:
        args = case.args(k)
        x = args[case.argnums]
        _, H = dense_hessian(case.name, k)
        d = np.asarray(hd(*args))
        assert d.shape == x.shape, f"{case.name}: hessian_diagonal shape {d.shape}, expected {x.shape}"
        assert_close(d, np.diag(H).reshape(x.shape), f"{case.name} hessian_diagonal @ point {k}")


# --------------------------------------------------------------------------
# the Julia example, exactly
# --------------------------------------------------------------------------


def julia_f(x):
    return jnp.sum((JULIA_A @ x) ** 2)


def test_julia_matrix_is_column_major_reshape():
    # Julia: reshape(0:8, 3, 3) .% 4 == [0 3 2; 1 0 3; 2 1 0]
    assert np.array_equal(JULIA_A, [[0, 3, 2], [1, 0, 3], [2, 1, 0]])
    assert np.array_equal(np.asarray(jax.hessian(julia_f)(jnp.ones(3))), JULIA_H)


@pytest.mark.parametrize("fmt", FORMATS)
def test_julia_example_exact(fmt):
    x = jnp.array([0.3, -1.2, 2.5])
    H = to_matrix(sparsehess.hessian(julia_f, format=fmt)(x), fmt, 3, 3, (3, 3), f"julia[{fmt}]")
    assert np.array_equal(H, JULIA_H), f"julia example Hessian[{fmt}]:\n{H}\n!=\n{JULIA_H}"
    P = sparsehess.hessian_sparsity(julia_f, x).toarray()
    assert P.all()
    assert np.array_equal(np.asarray(sparsehess.hessian_diagonal(julia_f)(x)), np.diag(JULIA_H))


# --------------------------------------------------------------------------
# row-major flattening of 2-D inputs, argnums
# --------------------------------------------------------------------------


def rows_chain(x):  # x: (3, 4); couples horizontal neighbours only
    return jnp.sum(jnp.sin(x[:, :-1] * x[:, 1:]))


def test_hessian_flattens_row_major():
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.uniform(0.5, 1.5, size=(3, 4)))
    expected = np.eye(12, dtype=bool)
    for r in range(3):
        for c in range(3):
            a = r * 4 + c  # row-major index of (r, c); its right neighbour is a + 1
            expected[a, a + 1] = expected[a + 1, a] = True
    P = check_pattern(sparsehess.hessian_sparsity(rows_chain, x), (12, 12), "rows_chain")
    assert np.array_equal(P, expected), f"row-major pattern mismatch:\n{P.astype(int)}"
    H_ref = np.asarray(jax.hessian(rows_chain)(x)).reshape(12, 12)
    assert_close(sparsehess.hessian(rows_chain, format="scipy")(x).toarray(), H_ref, "rows_chain scipy")
    H_dense = np.asarray(sparsehess.hessian(rows_chain, format="dense")(x))
    assert H_dense.shape == (3, 4, 3, 4)
    assert_close(H_dense.reshape(12, 12), H_ref, "rows_chain dense")
    d = np.asarray(sparsehess.hessian_diagonal(rows_chain)(x))
    assert d.shape == (3, 4)
    assert_close(d, np.diag(H_ref).reshape(3, 4), "rows_chain diag")


C_T = np.arange(1.0, 7.0).reshape(2, 3)


def scaled_transpose(x):  # (2, 3) -> (3, 2)
    return (x * C_T).T


def test_jacobian_flattens_row_major():
    x = jnp.asarray(np.random.default_rng(8).normal(size=(2, 3)))
    expected = np.zeros((6, 6))
    for i in range(2):
        for j in range(3):
            expected[j * 2 + i, i * 3 + j] = C_T[i, j]  # out[j, i] depends on x[i, j]
    P = check_pattern(sparsehess.jacobian_sparsity(scaled_transpose, x), (6, 6), "scaled_transpose")
    assert np.array_equal(P, expected != 0)
    J = sparsehess.jacobian(scaled_transpose, format="scipy")(x)
    assert isinstance(J, sps.csr_array) and J.shape == (6, 6)
    assert_close(J.toarray(), expected, "scaled_transpose scipy")
    Jd = np.asarray(sparsehess.jacobian(scaled_transpose, format="dense")(x))
    assert Jd.shape == (3, 2, 2, 3)
    assert_close(Jd, np.asarray(jax.jacfwd(scaled_transpose)(x)), "scaled_transpose dense")
    Jb = sparsehess.jacobian(scaled_transpose, format="bcoo")(x)
    assert_close(np.asarray(Jb.todense()).reshape(6, 6), expected, "scaled_transpose bcoo")


def two_arg(a, x):  # a: (3,), x: (4,)
    return a[0] * jnp.sum(x**2 * x[::-1]) + jnp.sum(a[1:] ** 2) * x[0] * x[1] + jnp.sum(jnp.exp(a) * x[:3])


def test_argnums_selects_argument():
    rng = np.random.default_rng(9)
    a = jnp.asarray(rng.normal(size=3))
    x = jnp.asarray(rng.normal(size=4))
    for argnums, n in ((1, 4), (0, 3)):
        P = check_pattern(sparsehess.hessian_sparsity(two_arg, a, x, argnums=argnums), (n, n), f"argnums={argnums}")
        H_ref = np.asarray(jax.hessian(two_arg, argnums=argnums)(a, x))
        assert_covers(P, H_ref, f"two_arg hessian_sparsity argnums={argnums}")
        G = check_pattern(sparsehess.jacobian_sparsity(two_arg, a, x, argnums=argnums), (1, n), f"argnums={argnums}")
        assert G.all()
        for fmt in FORMATS:
            H = sparsehess.hessian(two_arg, argnums=argnums, format=fmt)(a, x)
            assert_close(to_matrix(H, fmt, n, n, (n, n), f"argnums={argnums}"), H_ref, f"argnums={argnums} {fmt}")
        d = np.asarray(sparsehess.hessian_diagonal(two_arg, argnums=argnums)(a, x))
        assert_close(d, np.diag(H_ref), f"argnums={argnums} diag")
        J = sparsehess.jacobian(two_arg, argnums=argnums, format="dense")(a, x)
        assert_close(J, np.asarray(jax.jacfwd(two_arg, argnums=argnums)(a, x)), f"argnums={argnums} jac")
    # the x-Hessian at argnums=1 must not be the a-Hessian: a[0]*sum(x^2 x[::-1]) couples x[0], x[3]
    P1 = sparsehess.hessian_sparsity(two_arg, a, x, argnums=1).toarray()
    assert P1[0, 3] and P1[1, 2] and P1[0, 1]


# --------------------------------------------------------------------------
# error cases
# --------------------------------------------------------------------------

X4 = np.array([0.3, -0.7, 1.1, 0.5])
DTYPE_WORDS = r"(?i)float|integer|int\d+|inexact|dtype"


def test_nonscalar_f_gives_per_output_hessians_or_a_clear_error():
    x = jnp.asarray(X4)
    # hessian / hessian_diagonal of a vector f: every output's Hessian, like jax.hessian.
    np.testing.assert_allclose(sparsehess.hessian(jnp.sin, format="dense")(x),
                               jax.hessian(jnp.sin)(x), atol=1e-12)
    g = lambda y: y[:2] * y[2:]
    h = sparsehess.hessian(g, format="scipy")(x)
    np.testing.assert_allclose(h.todense(), np.asarray(jax.hessian(g)(x)), atol=1e-12)
    np.testing.assert_allclose(sparsehess.hessian_diagonal(jnp.sin)(x),
                               np.diag(-np.sin(X4)), atol=1e-12)
    # A single Hessian pattern or value/grad/Hessian needs a scalar f.
    with pytest.raises((ValueError, TypeError), match="(?i)scalar"):
        sparsehess.hessian_sparsity(jnp.sin, x)
    with pytest.raises((ValueError, TypeError), match="(?i)scalar"):
        sparsehess.value_grad_and_hessian(jnp.sin)(x)


def test_integer_input_raises():
    xi = jnp.arange(4)
    assert jnp.issubdtype(xi.dtype, jnp.integer)

    def f(y):
        return jnp.sum(y**2)

    with pytest.raises((ValueError, TypeError), match=DTYPE_WORDS):
        sparsehess.hessian(f)(xi)
    with pytest.raises((ValueError, TypeError), match=DTYPE_WORDS):
        sparsehess.hessian(f, format="scipy")(xi)
    with pytest.raises((ValueError, TypeError), match=DTYPE_WORDS):
        sparsehess.jacobian(lambda y: y * 2)(xi)
    with pytest.raises((ValueError, TypeError), match=DTYPE_WORDS):
        sparsehess.hessian_diagonal(f)(xi)
    # integer argument, float one differentiated: fine; differentiating the integer one is not
    with pytest.raises((ValueError, TypeError), match=DTYPE_WORDS):
        sparsehess.hessian(lambda y, i: jnp.sum(y**2) * i[0], argnums=1)(jnp.asarray(X4), xi)


A3 = np.arange(9.0).reshape(3, 3)


def mismatched(x):
    return jnp.sum((A3 @ x) ** 2)


def test_mismatched_shapes_raise():
    x = jnp.ones(4)  # A3 is 3x3
    with pytest.raises((ValueError, TypeError), match="(?i)shape"):
        sparsehess.hessian(mismatched)(x)
    with pytest.raises((ValueError, TypeError), match="(?i)shape"):
        sparsehess.hessian_sparsity(mismatched, x)
    with pytest.raises((ValueError, TypeError), match="(?i)shape"):
        sparsehess.jacobian(lambda y: A3 @ y)(x)
    with pytest.raises((ValueError, TypeError), match="(?i)shape"):
        sparsehess.jacobian_sparsity(lambda y: A3 @ y, x)


def test_new_input_shape_is_not_silently_wrong():
    """After a call at one shape, a call at another must give the right answer or raise about shapes."""
    def f(x):
        return jnp.sum(x[:-1] ** 2 * x[1:]) + jnp.sum(jnp.sin(x))

    h = sparsehess.hessian(f, format="dense")
    x3 = jnp.array([0.2, -0.4, 0.9])
    assert_close(h(x3), np.asarray(jax.hessian(f)(x3)), "shape (3,)")
    x5 = jnp.array([0.2, -0.4, 0.9, 1.3, -0.8])
    try:
        H5 = h(x5)
    except (ValueError, TypeError) as e:
        assert "shape" in str(e).lower(), f"shape-change error without a clear message: {e}"
    else:
        assert_close(H5, np.asarray(jax.hessian(f)(x5)), "shape (5,) after (3,)")


def test_unknown_format_raises():
    with pytest.raises((ValueError, TypeError), match="(?i)format|nope"):
        sparsehess.hessian(lambda y: jnp.sum(y**3), format="nope")(jnp.asarray(X4))
    with pytest.raises((ValueError, TypeError), match="(?i)format|nope"):
        sparsehess.jacobian(jnp.sin, format="nope")(jnp.asarray(X4))
