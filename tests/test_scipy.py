"""sparsehess.scipy: SciPy optimizers fed with sparse JAX derivatives.

Problems with known minimizers: the chained Rosenbrock function (x* = 1), a strictly convex
2-D grid energy with bounds whose minimizer (with active bounds) is built in, and an
equality-constrained chain whose KKT point is built in.  Each is solved at n ~ 1,000 by
every method that supports it, and at n ~ 20 against SciPy run with dense derivatives.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp

import sparsehess.scipy as shs

# ---------------------------------------------------------------------------------------------
# problems


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_start(n):
    return 1.0 + 0.3 * np.sin(np.arange(n, dtype=float))


def grid_energy(u, b):
    """0.5 |grad u|^2 + 0.05 |u|^2 + 0.25 sum u^4 - b.u on a 2-D grid (strictly convex)."""
    dx = u[1:, :] - u[:-1, :]
    dy = u[:, 1:] - u[:, :-1]
    return (0.5 * jnp.sum(dx ** 2) + 0.5 * jnp.sum(dy ** 2) + 0.05 * jnp.sum(u ** 2)
            + 0.25 * jnp.sum(u ** 4) - jnp.sum(b * u))


GRID_LB, GRID_UB = 0.0, 1.0


def grid_problem(shape, seed=0):
    """(b, u*, x0): u* is the minimizer over [0, 1]^shape, about 20% at 0 and 10% at 1."""
    rng = np.random.default_rng(seed)
    u_star = rng.uniform(0.2, 0.8, shape)
    draw = rng.uniform(size=shape)
    lower, upper = draw < 0.2, draw > 0.9
    u_star[lower], u_star[upper] = GRID_LB, GRID_UB
    # KKT: gradient = mu >= 0 at the lower bound, -mu at the upper bound, 0 elsewhere
    target = np.where(lower, rng.uniform(0.5, 1.0, shape), 0.0)
    target = np.where(upper, -rng.uniform(0.5, 1.0, shape), target)
    with jax.enable_x64(True):
        g0 = np.asarray(jax.grad(grid_energy)(jnp.asarray(u_star), jnp.zeros(shape)))
    b = g0 - target
    return b, u_star, np.full(shape, 0.5)


def chain_constraint(x):
    """c_k(x) = x_{2k}^2 + x_{2k+1}^2 + x_{2k+2}, k < n/2 - 1."""
    return x[0:-2:2] ** 2 + x[1:-1:2] ** 2 + x[2::2]


def chain_problem(n, seed=0):
    """min 0.5 |x - a|^2 s.t. chain_constraint(x) = d, with a KKT point x* built in.

    The Lagrangian's Hessian, I - sum lam_k hess c_k = diag(1 - 2 lam), is positive definite
    (|lam| <= 0.3), so x* is a strict local minimizer; the start is a perturbation of it.
    """
    rng = np.random.default_rng(seed)
    x_star = rng.uniform(0.5, 1.5, n)
    with jax.enable_x64(True):
        d = np.asarray(chain_constraint(jnp.asarray(x_star)))
        lam = rng.uniform(-0.3, 0.3, d.size)
        J = jax.jacfwd(chain_constraint)(jnp.asarray(x_star))
        a = x_star - np.asarray(J.T @ lam)
    x0 = x_star + 0.1 * rng.standard_normal(n)
    return a, d, x_star, x0


def chain_objective(x, a):
    return 0.5 * jnp.sum((x - a) ** 2)


# ---------------------------------------------------------------------------------------------
# dense references (SciPy with dense JAX derivatives)


def dense_derivatives(f, *args):
    with jax.enable_x64(True):
        vg = jax.jit(jax.value_and_grad(f))
        hess = jax.jit(jax.hessian(f))

    def fun(x):
        with jax.enable_x64(True):
            return float(vg(x, *args)[0])

    def jac(x):
        with jax.enable_x64(True):
            return np.asarray(vg(x, *args)[1])

    def hess_(x):
        with jax.enable_x64(True):
            return np.asarray(hess(x, *args))

    def hessp(x, p):
        return hess_(x) @ p
    return fun, jac, hess_, hessp


OPTIONS = {
    "trust-constr": {"gtol": 1e-10, "xtol": 1e-12, "maxiter": 2000},
    "Newton-CG": {"xtol": 1e-12},                 # SciPy's default xtol stops far too early
    "trust-ncg": {"gtol": 1e-9},
    "trust-krylov": {"gtol": 1e-8},
    "trust-exact": {"gtol": 1e-9},
    "dogleg": {"gtol": 1e-9},
    "BFGS": {"gtol": 1e-9, "maxiter": 20000},
    "L-BFGS-B": {"gtol": 1e-10, "ftol": 1e-15, "maxiter": 20000},
    "CG": {"gtol": 1e-8, "maxiter": 20000},
    "TNC": {"gtol": 1e-12, "ftol": 0, "xtol": 0, "maxfun": 20000},
    "SLSQP": {"ftol": 1e-14, "maxiter": 1000},
}

UNCONSTRAINED = ["trust-constr", "Newton-CG", "trust-ncg", "trust-krylov", "trust-exact", "BFGS",
                 "L-BFGS-B", "CG", "TNC"]
# BFGS and trust-exact keep dense n x n matrices (O(n^2) memory, O(n^3) factorizations):
# tested at n = 20 and 100, not 1,000
SPARSE_FRIENDLY = [m for m in UNCONSTRAINED if m not in ("BFGS", "trust-exact")]
ROSEN_TOL = {"CG": 1e-5, "BFGS": 1e-5}


def converged(res):
    # TNC with ftol = xtol = 0 ends on a failed line search once at machine precision
    return res.success or (res.status == 4 and "Linear search failed" in res.message)


def _dense_minimize(method, fun, jac, hess, hessp, x0, **kw):
    needs = shs.method_derivatives(method)
    extra = {}
    if "hess" in needs or "hess (dense)" in needs:
        extra["hess"] = hess
    if "hessp" in needs:
        extra["hessp"] = hessp
    return so.minimize(fun, x0, method=method, jac=jac, options=OPTIONS[method], **extra, **kw)


# ---------------------------------------------------------------------------------------------
# unconstrained: chained Rosenbrock


@pytest.mark.parametrize("method", UNCONSTRAINED)
def test_rosenbrock_matches_dense_scipy_small(method):
    n = 20
    x0 = rosen_start(n)
    ref = _dense_minimize(method, *dense_derivatives(rosenbrock), x0)
    res = shs.minimize(rosenbrock, x0, method=method, options=OPTIONS[method])
    assert converged(ref) and converged(res), (ref.message, res.message)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    np.testing.assert_allclose(res.x, 1.0, atol=ROSEN_TOL.get(method, 1e-6))
    # same arithmetic up to rounding: same path
    assert abs(res.nit - ref.nit) <= max(2, ref.nit // 10)


@pytest.mark.parametrize("method", SPARSE_FRIENDLY)
def test_rosenbrock_1000(method):
    n = 1000
    res = shs.minimize(rosenbrock, rosen_start(n), method=method, options=OPTIONS[method])
    assert converged(res), res.message
    np.testing.assert_allclose(res.x, 1.0, atol=ROSEN_TOL.get(method, 1e-6))
    if method in ("trust-constr", "Newton-CG"):
        assert res.hessian_ncolors is not None and res.hessian_ncolors <= 3   # tridiagonal
    if method in ("BFGS", "L-BFGS-B", "CG", "TNC"):
        assert res.hessian_ncolors is None      # gradient methods: no Hessian built


@pytest.mark.parametrize("method", ["trust-constr", "Newton-CG", "trust-ncg", "trust-krylov",
                                    "L-BFGS-B"])
def test_rosenbrock_10000(method):     # ~2 s in all: in the fast suite
    n = 10_000
    res = shs.minimize(rosenbrock, rosen_start(n), method=method, options=OPTIONS[method])
    assert res.success, res.message
    np.testing.assert_allclose(res.x, 1.0, atol=1e-5)


def test_method_derivatives():
    assert shs.method_derivatives("trust-constr") == ("fun", "jac", "hess")
    assert shs.method_derivatives("newton-cg") == ("fun", "jac", "hess")
    assert shs.method_derivatives("trust-ncg") == ("fun", "jac", "hessp")
    assert shs.method_derivatives("trust-krylov") == ("fun", "jac", "hessp")
    assert shs.method_derivatives("trust-exact") == ("fun", "jac", "hess (dense)")
    assert shs.method_derivatives("L-BFGS-B") == ("fun", "jac")
    assert shs.method_derivatives("Nelder-Mead") == ("fun",)


def test_derivative_free_method_gets_fun_only():
    with np.testing.assert_no_warnings():   # SciPy warns if given an unused jac
        res = shs.minimize(rosenbrock, rosen_start(4), method="Nelder-Mead",
                           options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-12})
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)
    assert set(res.evaluations) == {"value_and_grad"}


# ---------------------------------------------------------------------------------------------
# bounds: 2-D grid energy


@pytest.mark.parametrize("method", ["trust-constr", "L-BFGS-B", "TNC", "SLSQP"])
def test_grid_matches_dense_scipy_small(method):
    b, u_star, u0 = grid_problem((5, 4))
    bounds = so.Bounds(GRID_LB, GRID_UB)
    ref = _dense_minimize(method, *dense_derivatives(lambda x: grid_energy(x.reshape(5, 4), b)),
                          u0.ravel(), bounds=bounds)
    res = shs.minimize(grid_energy, u0, method=method, args=(b,), bounds=bounds,
                       options=OPTIONS[method])
    assert res.x.shape == (5, 4)
    np.testing.assert_allclose(res.x.ravel(), ref.x, atol=1e-6)
    np.testing.assert_allclose(res.x, u_star, atol=1e-6)


@pytest.mark.parametrize("method", ["trust-constr", "L-BFGS-B", "TNC"])
def test_grid_bounds_1024(method):
    b, u_star, u0 = grid_problem((32, 32))
    # bounds given in the grid's shape are flattened for SciPy
    bounds = so.Bounds(np.zeros((32, 32)), np.ones((32, 32)))
    res = shs.minimize(grid_energy, u0, method=method, args=(b,), bounds=bounds,
                       options=OPTIONS[method])
    assert converged(res), res.message
    np.testing.assert_allclose(res.x, u_star, atol=1e-5)
    assert np.sum(u_star == 0) > 100 and np.sum(u_star == 1) > 50   # bounds are active


@pytest.mark.slow
@pytest.mark.parametrize("method", ["trust-constr", "L-BFGS-B"])
def test_grid_bounds_10000(method):
    b, u_star, u0 = grid_problem((100, 100))
    res = shs.minimize(grid_energy, u0, method=method, args=(b,),
                       bounds=so.Bounds(GRID_LB, GRID_UB), options=OPTIONS[method])
    assert res.success, res.message
    np.testing.assert_allclose(res.x, u_star, atol=1e-5)


def test_grid_dense_hessian_methods_small():
    """trust-exact and dogleg (dense Hessian) on the convex grid problem (no bounds)."""
    b, _, u0 = grid_problem((6, 5))
    f = lambda u: grid_energy(u, b)   # noqa: E731
    ref = shs.minimize(f, u0, method="trust-constr", options=OPTIONS["trust-constr"])
    for method in ("trust-exact", "dogleg"):
        res = shs.minimize(f, u0, method=method, options=OPTIONS[method])
        assert res.success, res.message
        np.testing.assert_allclose(res.x, ref.x, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# equality constraints: chain


def _chain_constraint(a_d_n):
    a, d, x_star, x0 = a_d_n
    return shs.NonlinearConstraint(chain_constraint, d, d, x0)


def test_chain_matches_dense_scipy_small():
    n = 20
    a, d, x_star, x0 = chain_problem(n)
    fun, jac, hess, _ = dense_derivatives(chain_objective, a)
    with jax.enable_x64(True):
        cjac = jax.jit(jax.jacfwd(chain_constraint))
        chess = jax.jit(jax.hessian(lambda x, v: jnp.dot(v, chain_constraint(x))))
    dense_con = so.NonlinearConstraint(
        lambda x: np.asarray(chain_constraint(x)), d, d,
        jac=lambda x: np.asarray(cjac(x)), hess=lambda x, v: np.asarray(chess(x, v)))
    with jax.enable_x64(True):
        ref = so.minimize(fun, x0, method="trust-constr", jac=jac, hess=hess,
                          constraints=[dense_con], options=OPTIONS["trust-constr"])
    con = shs.NonlinearConstraint(chain_constraint, d, d, x0)
    for method in ("trust-constr", "SLSQP"):
        res = shs.minimize(chain_objective, x0, method=method, args=(a,), constraints=[con],
                           options=OPTIONS[method])
        assert res.success, (method, res.message)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
        np.testing.assert_allclose(res.x, x_star, atol=1e-6)


def test_chain_equality_1000():
    n = 1000
    a, d, x_star, x0 = chain_problem(n)
    con = shs.NonlinearConstraint(chain_constraint, d, d, x0)
    res = shs.minimize(chain_objective, x0, args=(a,), constraints=[con],
                       options=OPTIONS["trust-constr"])
    assert res.success, res.message
    np.testing.assert_allclose(res.x, x_star, atol=1e-6)
    assert res.constr_violation < 1e-8
    assert con.counts["hessian"] > 0    # the sparse Lagrangian Hessian was used, not BFGS


@pytest.mark.slow
def test_chain_equality_10000():
    n = 10_000
    a, d, x_star, x0 = chain_problem(n)
    con = shs.NonlinearConstraint(chain_constraint, d, d, x0)
    res = shs.minimize(chain_objective, x0, args=(a,), constraints=con,
                       options=OPTIONS["trust-constr"])
    assert res.success, res.message
    np.testing.assert_allclose(res.x, x_star, atol=1e-6)


@pytest.mark.parametrize("style", ["scipy", "dict"])
def test_plain_constraints_are_converted(style):
    """A plain NonlinearConstraint (finite differences + dense BFGS) or an old-style dict
    becomes a sparsehess one for trust-constr."""
    n = 200
    a, d, x_star, x0 = chain_problem(n)
    if style == "scipy":
        con = so.NonlinearConstraint(chain_constraint, d, d)
    else:
        con = {"type": "eq", "fun": lambda x, d: chain_constraint(x) - d, "args": (d,)}
    res = shs.minimize(chain_objective, x0, args=(a,), constraints=[con],
                       options=OPTIONS["trust-constr"])
    assert res.success, res.message
    np.testing.assert_allclose(res.x, x_star, atol=1e-6)


def test_plain_constraint_conversion_does_not_fall_back():
    """The conversion builds the sparsehess constraint (no "left to SciPy's finite
    differences" warning for a JAX-traceable dict constraint with args)."""
    n = 50
    a, d, x_star, x0 = chain_problem(n)
    con = {"type": "eq", "fun": lambda x, d: chain_constraint(x) - d, "args": (d,)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = shs.minimize(chain_objective, x0, args=(a,), constraints=[con],
                           options=OPTIONS["trust-constr"])
    assert not [w for w in caught if "could not differentiate" in str(w.message)]
    assert res.success, res.message
    np.testing.assert_allclose(res.x, x_star, atol=1e-6)


def test_constraint_derivatives_equal_dense_jax():
    n = 30
    rng = np.random.default_rng(1)

    def c(x):   # a few shapes of nonlinearity, m = n - 2
        return jnp.sin(x[:-2]) * x[1:-1] + jnp.exp(0.1 * x[2:]) * x[:-2] ** 2 + x[2:]

    x0 = rng.standard_normal(n)
    con = shs.NonlinearConstraint(c, -1.0, 1.0, x0)
    assert isinstance(con, so.NonlinearConstraint)
    for _ in range(3):
        x, v = rng.standard_normal(n), rng.standard_normal(n - 2)
        J, H = con.jac(x), con.hess(x, v)
        assert isinstance(J, sp.csr_array) and isinstance(H, sp.csr_array)
        assert J.dtype == np.float64 and H.dtype == np.float64
        with jax.enable_x64(True):
            J_ref = jax.jacfwd(c)(x)
            H_ref = jax.hessian(lambda y: jnp.dot(v, c(y)))(x)
            c_ref = c(x)
        np.testing.assert_allclose(con.fun(x), c_ref, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(J.toarray(), J_ref, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(H.toarray(), H_ref, rtol=1e-13, atol=1e-13)
        rows, cols = con.hessian_structure()
        assert set(zip(*np.nonzero(np.asarray(H_ref)))) <= set(zip(rows.tolist(), cols.tolist()))
    # one coloring of the union pattern (pentadiagonal here), reused at every call
    assert con.hess_plan.pattern.nnz <= 5 * n
    assert con.counts["hessian"] == 3


def test_constraint_with_2d_input_and_linear_parts():
    """x of shape (4, 5); a constraint whose Hessian is partly empty."""
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((4, 5))

    def c(u):
        return jnp.concatenate([jnp.sum(u, axis=0), u[0] * u[1]])

    con = shs.NonlinearConstraint(c, 0.0, 0.0, x0)
    v = rng.standard_normal(10)
    with jax.enable_x64(True):
        J_ref = jax.jacfwd(lambda y: c(y.reshape(4, 5)))(x0.ravel())
        H_ref = jax.hessian(lambda y: jnp.dot(v, c(y.reshape(4, 5))))(x0.ravel())
    np.testing.assert_allclose(con.jac(x0.ravel()).toarray(), J_ref, atol=1e-14)
    np.testing.assert_allclose(con.hess(x0.ravel(), v).toarray(), H_ref, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Objective: coordinates, formats, cache, precision


def test_hessian_coordinates_fixed_across_calls():
    n = 50
    rng = np.random.default_rng(3)
    obj = shs.Objective(rosenbrock, rosen_start(n))
    rows, cols = obj.hessian_structure()
    assert rows.dtype == np.int64 and cols.dtype == np.int64
    lower = obj.hessian_structure("lower")
    assert np.all(lower[0] >= lower[1])
    for _ in range(3):
        x = rng.standard_normal(n)
        r2, c2 = obj.hessian_structure()
        np.testing.assert_array_equal(r2, rows)
        np.testing.assert_array_equal(c2, cols)
        values = obj.hessian_values(x)
        assert values.dtype == np.float64 and values.shape == rows.shape
        with jax.enable_x64(True):
            H_ref = np.asarray(jax.hessian(rosenbrock)(x))
        dense = np.zeros((n, n))
        dense[rows, cols] = values
        np.testing.assert_allclose(dense, H_ref, rtol=1e-13, atol=1e-12)
        # lower triangle, as cyipopt wants it
        lv = obj.hessian_values(x, triangle="lower")
        np.testing.assert_allclose(lv, H_ref[lower], rtol=1e-13, atol=1e-12)
        H = obj.hess(x)
        assert isinstance(H, sp.csr_array) and H.dtype == np.float64
        np.testing.assert_array_equal(H.indices, obj.plan.pattern.indices)
        np.testing.assert_allclose(H.toarray(), H_ref, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("mode", ["auto", "hvp", "hessian"])
def test_hessp_modes_agree(mode):
    n = 40
    rng = np.random.default_rng(4)
    obj = shs.Objective(rosenbrock, rosen_start(n), hessp=mode)
    x = rng.standard_normal(n)
    with jax.enable_x64(True):
        H_ref = np.asarray(jax.hessian(rosenbrock)(x))
    for _ in range(6):     # "auto" switches to the sparse Hessian after ncolors products
        p = rng.standard_normal(n)
        out = obj.hessp(x, p)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out, H_ref @ p, rtol=1e-12, atol=1e-10)
    if mode == "auto":
        assert obj.counts["hvp"] == obj.ncolors and obj.counts["hessian"] == 1
    elif mode == "hvp":
        assert obj.counts["hvp"] == 6 and obj.counts["hessian"] == 0
    else:
        assert obj.counts["hessian"] == 1 and obj.counts["hvp"] == 0


def test_value_and_gradient_cached_per_point():
    executions = []

    def f(x):
        jax.debug.callback(lambda x: executions.append(np.asarray(x)), x)
        return rosenbrock(x)

    n = 30
    obj = shs.Objective(f, rosen_start(n))
    x1, x2 = rosen_start(n), rosen_start(n) + 0.1
    assert isinstance(obj.fun(x1), float)
    g = obj.jac(x1)
    assert g.dtype == np.float64 and g.shape == (n,)
    assert len(executions) == 1
    obj.jac(x2)
    obj.fun(x2)
    obj.jac(x2)
    assert len(executions) == 2
    obj.fun(x1)
    assert len(executions) == 3
    g[:] = 0     # callers may modify what they get
    assert np.any(obj.jac(x1) != 0)
    assert obj.counts["value_and_grad"] == 3


def test_minimize_evaluates_each_point_once():
    executions = []

    def f(x):
        jax.debug.callback(lambda x: executions.append(np.array(x)), x)
        return rosenbrock(x)

    res = shs.minimize(f, rosen_start(100), method="L-BFGS-B")
    assert res.success
    points = {e.tobytes() for e in executions}
    assert len(executions) == len(points) == res.evaluations["value_and_grad"]
    # SciPy asked for fun and jac at each point; we evaluated once per point
    assert len(executions) <= res.nfev


def test_float64_without_global_x64():
    """Everything runs in float64 even when the global x64 flag is off."""
    x = np.full(10, 1.0 + 1e-9)

    def f(x):
        return jnp.sum((x - 1.0) ** 2)

    with jax.enable_x64(False):
        obj = shs.Objective(f, x)
        value, grad = obj.fun(x), obj.jac(x)
        H = obj.hess(x)
        assert not jax.config.jax_enable_x64
    np.testing.assert_allclose(value, 10 * 1e-18, rtol=1e-6)     # float32 would give 0
    np.testing.assert_allclose(grad, 2e-9, rtol=1e-6)
    np.testing.assert_allclose(H.diagonal(), 2.0)
    # float32 on request: results still float64 arrays
    with jax.enable_x64(False):
        obj32 = shs.Objective(f, x, dtype=np.float32)
        assert obj32.jac(x).dtype == np.float64


# ---------------------------------------------------------------------------------------------
# dense-only methods at large n


@pytest.mark.parametrize("method", ["trust-exact", "dogleg", "BFGS", "SLSQP"])
def test_dense_methods_refused_at_large_n(method):
    n = 100_000
    with pytest.raises(shs.DenseHessianError, match=r"74\.5 GiB") as info:
        shs.minimize(rosenbrock, np.zeros(n), method=method)
    assert isinstance(info.value, MemoryError)
    assert "trust-constr" in str(info.value) and "100000 x 100000" in str(info.value)


def test_dense_limit_is_adjustable():
    x0 = rosen_start(100)   # 78 KiB per matrix
    with pytest.raises(shs.DenseHessianError, match="78.1 KiB"):
        shs.minimize(rosenbrock, x0, method="trust-exact", max_dense_bytes=2**16)
    res = shs.minimize(rosenbrock, x0, method="trust-exact", max_dense_bytes=None,
                       options=OPTIONS["trust-exact"])
    np.testing.assert_allclose(res.x, 1.0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# least squares


def chain_residual(x, y):
    """Residuals of a chain, x_i^2 + x_{i+1} - y_i, and x_{n-1} - 1: a zero at x*."""
    return jnp.concatenate([x[:-1] ** 2 + x[1:] - y, x[-1:] - 1.0])


def test_least_squares_matches_dense_small():
    rng = np.random.default_rng(5)
    n = 20
    x_star = rng.uniform(0.5, 1.5, n)
    x_star[-1] = 1.0
    y = x_star[:-1] ** 2 + x_star[1:]
    x0 = x_star + 0.2 * rng.standard_normal(n)
    with jax.enable_x64(True):
        jac = jax.jit(jax.jacfwd(chain_residual))
    ref = so.least_squares(lambda x: np.asarray(chain_residual(x, y)), x0,
                           jac=lambda x: np.asarray(jac(x, y)), xtol=1e-14, ftol=1e-14,
                           gtol=1e-14)
    res = shs.least_squares(chain_residual, x0, args=(y,), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-8)
    np.testing.assert_allclose(res.x, x_star, atol=1e-8)
    assert sp.issparse(res.jac)


def test_least_squares_1000():
    rng = np.random.default_rng(6)
    n = 1000
    x_star = rng.uniform(0.5, 1.5, n)
    x_star[-1] = 1.0
    y = x_star[:-1] ** 2 + x_star[1:]
    x0 = x_star + 0.2 * rng.standard_normal(n)
    res = shs.least_squares(chain_residual, x0, args=(y,), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    assert res.success
    np.testing.assert_allclose(res.x, x_star, atol=1e-8)
    assert sp.issparse(res.jac) and res.jacobian_ncolors <= 3
    with pytest.raises(shs.DenseHessianError):
        shs.least_squares(chain_residual, np.zeros(100_000), args=(np.zeros(99_999),),
                          method="lm")
