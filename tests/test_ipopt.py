"""sparsehess.ipopt: Ipopt (cyipopt) on JAX functions with exact sparse derivatives.

Skipped, with the reason, when cyipopt is not installed (it is in the ``test`` extra:
``pip install -e '.[test]'`` installs cyipopt-wheels, which ships Ipopt).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp

cyipopt = pytest.importorskip("cyipopt", reason="cyipopt is not installed: pip install "
                              "'sparsehess[ipopt]' (cyipopt-wheels ships Ipopt)")

import _subprocess  # noqa: E402
import sparsehess.scipy as shs  # noqa: E402
from sparsehess import cops  # noqa: E402
from sparsehess import ipopt as si  # noqa: E402
from sparsehess._src.coloring import checks  # noqa: E402

EXAMPLES = ("ipopt_hs071.py", "ipopt_cops.py")


@pytest.fixture(scope="module", autouse=True)
def examples():
    """The examples run in the background while the other tests of this module run."""
    started = {name: _subprocess.start(name) for name in EXAMPLES}
    yield started
    _subprocess.stop(started.values())


HS071_X = np.array([1.0, 4.74299963, 3.82114998, 1.37940829])
HS071_MULTIPLIERS = np.array([-0.55229366, 0.16146856])      # Ipopt's tutorial output


def dense_lagrangian_hessian(problem, x, lam, sigma):
    """σ ∇²f + Σ λ_i ∇²c_i by jax.hessian (dense reference), compiled once per problem."""
    if not hasattr(problem, "_dense_hessian"):
        def lagrangian(y, lam, sigma):
            value = sigma * problem.f(y.reshape(problem.shape), *problem.args)
            if problem.m:
                value = value + jnp.dot(lam, problem._cons.stacked(y, problem._cons.args))
            return value
        problem._dense_hessian = jax.jit(jax.hessian(lagrangian))
    lam = np.zeros(1) if lam is None or not problem.m else lam
    return np.asarray(problem._dense_hessian(jnp.asarray(x), jnp.asarray(lam), sigma))


class DenseHessianProblem(si.Problem):
    """The same callbacks with the dense lower triangle of jax.hessian of the Lagrangian."""

    def hessianstructure(self):
        return np.tril_indices(self.n)

    def hessian(self, x, lagrange, obj_factor):
        return dense_lagrangian_hessian(self, x, lagrange, obj_factor)[np.tril_indices(self.n)]


def solve(problem, options=None):
    nlp = problem.cyipopt_problem({"print_level": 0, "sb": "yes", **(options or {})})
    x, info = nlp.solve(problem.x0)
    return x, info


def kkt_residual(problem, result):
    """max |∇f + Jᵀλ - z_L + z_U| at the solution (dense JAX derivatives)."""
    x = jnp.asarray(result.x.reshape(-1))
    grad = jax.grad(lambda y: problem.f(y.reshape(problem.shape), *problem.args))(x)
    residual = np.asarray(grad) - result.mult_x_L.reshape(-1) + result.mult_x_U.reshape(-1)
    if problem.m:
        jac = jax.jacfwd(lambda y: problem._cons.stacked(y, problem._cons.args))(x)
        residual = residual + np.asarray(jac).T @ result.multipliers
    return np.max(np.abs(residual))


# ------------------------------------------------------------------------------ solutions


def test_hs071_solution_and_multipliers():
    p = cops.hs071()
    result = si.minimize(p.f, p.x0, constraints=p.constraints, bounds=p.bounds)
    assert result.success and result.status == 0
    np.testing.assert_allclose(result.x, HS071_X, atol=1e-6)
    assert result.fun == pytest.approx(17.0140172, abs=1e-6)
    np.testing.assert_allclose(result.multipliers, HS071_MULTIPLIERS, atol=1e-6)
    np.testing.assert_allclose(result.constr, [25.0, 40.0], atol=1e-7)
    assert kkt_residual(result.problem, result) < 1e-7
    assert result.nit > 0 and result.evaluations["hessian"] > 0
    assert result.ipopt_time >= 0 and set(result.times) == set(si.CALLBACKS)


@pytest.mark.parametrize("make", [cops.hs071, lambda: cops.hanging_chain(20),
                                  lambda: cops.catenary(20), lambda: cops.torsion(6)],
                         ids=["hs071", "chain", "catenary", "torsion"])
def test_same_iterations_as_dense_exact_hessian(make):
    p = make()
    sparse = si.Problem(p.f, p.x0, p.constraints, p.bounds)
    dense = DenseHessianProblem(p.f, p.x0, p.constraints, p.bounds)
    x_sparse, info_sparse = solve(sparse)
    x_dense, info_dense = solve(dense)
    assert info_sparse["status"] == info_dense["status"] == 0
    assert sparse.nit == dense.nit > 0
    np.testing.assert_allclose(x_sparse, x_dense, atol=1e-8)
    np.testing.assert_allclose(info_sparse["mult_g"], info_dense["mult_g"], atol=1e-7)


def test_callbacks_against_dense_jax():
    p = cops.hanging_chain(8)
    problem = si.Problem(p.f, p.x0, p.constraints, p.bounds)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = p.x0 + rng.standard_normal(p.n)
        lam = rng.standard_normal(problem.m)
        sigma = rng.uniform(0.5, 2.0)
        # Hessian: lower triangle only, every nonzero of the dense reference covered
        rows, cols = problem.hessianstructure()
        assert np.all(rows >= cols)
        dense = dense_lagrangian_hessian(problem, x, lam, sigma)
        lower = np.zeros_like(dense)
        np.add.at(lower, (rows, cols), problem.hessian(x, lam, sigma))
        np.testing.assert_allclose(lower, np.tril(dense), atol=1e-12)
        # Jacobian
        rows, cols = problem.jacobianstructure()
        jac = np.zeros((problem.m, problem.n))
        np.add.at(jac, (rows, cols), problem.jacobian(x))
        ref = jax.jit(jax.jacfwd(p.constraints[0][0]))(jnp.asarray(x))
        np.testing.assert_allclose(jac, ref, atol=1e-12)
        value, grad = jax.value_and_grad(p.f)(jnp.asarray(x))
        assert problem.objective(x) == pytest.approx(float(value))
        np.testing.assert_allclose(problem.gradient(x), grad, atol=1e-12)
    # one coloring of the union pattern, checked by the independent checker
    plan = problem.hessian_plan
    assert checks.check_coloring(plan.pattern, plan.coloring, plan.coloring.method)
    # value and gradient come from one evaluation per point
    assert problem._objective.counts["value_and_grad"] == 1 + 3


def test_chain_against_scipy_trust_constr():
    p = cops.hanging_chain(10)
    result = si.minimize(p.f, p.x0, constraints=p.constraints, bounds=p.bounds)
    cons = [shs.NonlinearConstraint(c, lb=lb, ub=ub, x0=p.x0) for c, lb, ub in p.constraints]
    reference = shs.minimize(p.f, p.x0, method="trust-constr", constraints=cons,
                             bounds=p.bounds, options={"gtol": 1e-10, "xtol": 1e-12,
                                                       "maxiter": 3000})
    assert result.success
    assert result.fun == pytest.approx(reference.fun, abs=1e-6)
    np.testing.assert_allclose(result.x, reference.x, atol=1e-4)
    assert kkt_residual(result.problem, result) < 1e-6


def test_limited_memory_builds_no_hessian_plan():
    p = cops.hs071()
    result = si.minimize(p.f, p.x0, constraints=p.constraints, bounds=p.bounds,
                         options={"hessian_approximation": "limited-memory"})
    assert result.success
    np.testing.assert_allclose(result.x, HS071_X, atol=1e-5)
    assert result.problem._hess_plan is None and result.evaluations["hessian"] == 0


def test_args_constraint_forms_and_shaped_x():
    """x0 of shape (2, 3), f with args, constraints as sparsehess / scipy objects and a dict."""
    target = np.arange(6.0).reshape(2, 3) / 3

    def f(x, t):
        return jnp.sum((x - t) ** 2) + 0.1 * jnp.sum(x[:, 1:] * x[:, :-1])

    def total(x, scale):
        return scale * jnp.sum(x, axis=1)             # shape (2,)

    x0 = np.ones((2, 3))
    cons = [shs.NonlinearConstraint(total, lb=1.0, ub=1.0, x0=x0, args=(0.5,)),
            so.NonlinearConstraint(lambda x: x[0, 0] ** 2 + x[1, 2] ** 2, 0.0, 0.3),
            {"type": "ineq", "fun": lambda x, k: x[1] - k, "args": (0.01,)}]
    bounds = so.Bounds(np.full((2, 3), -1.0), 2.0)
    result = si.minimize(f, x0, constraints=cons, bounds=bounds, args=(target,))
    assert result.success and result.x.shape == (2, 3)
    assert result.multipliers.shape == (2 + 1 + 3,)
    value_and_grad = jax.jit(jax.value_and_grad(lambda y: f(y.reshape(2, 3), target)))
    ref = so.minimize(lambda y: tuple(map(np.asarray, value_and_grad(y))), x0.ravel(),
                      jac=True, method="SLSQP",
                      constraints=[{"type": "eq", "fun": lambda y: 0.5 * y.reshape(2, 3).sum(1) - 1},
                                   {"type": "ineq", "fun": lambda y: 0.3 - y[0] ** 2 - y[5] ** 2},
                                   {"type": "ineq", "fun": lambda y: y[3:] - 0.01}],
                      bounds=[(-1, 2)] * 6, options={"ftol": 1e-12, "maxiter": 500})
    np.testing.assert_allclose(result.x.ravel(), ref.x, atol=1e-5)
    assert kkt_residual(result.problem, result) < 1e-7


def test_intermediate_hook_sees_iterates_and_can_stop():
    p = cops.hs071()
    seen = []

    def hook(info):
        seen.append((info["iter_count"], info["obj_value"], info["x"].copy()))
        return info["iter_count"] < 2
    result = si.minimize(p.f, p.x0, constraints=p.constraints, bounds=p.bounds,
                         intermediate=hook)
    assert [s[0] for s in seen] == [0, 1, 2]
    assert result.status == 5 and not result.success        # User_Requested_Stop
    assert seen[0][2].shape == (4,) and result.nit == 2
    assert seen[-1][1] == pytest.approx(float(p.f(jnp.asarray(seen[-1][2]))))


def test_nan_during_the_run_is_ipopts_status_not_a_crash():
    class Recording(si.Problem):
        values = []

        def objective(self, x):
            value = super().objective(x)
            self.values.append(value)
            return value
    # sqrt is NaN for x < 0, where the first Newton step from x0 = 1 lands (x = -1.57)
    problem = Recording(lambda x: jnp.sum(jnp.sqrt(x) + (x + 1.0) ** 2), np.array([1.0]))
    x, info = solve(problem, {"max_iter": 50})
    assert np.isnan(problem.values).any()                  # Ipopt did meet NaN ...
    assert isinstance(info["status"], int) and np.all(x >= 0)   # ... and backtracked


def test_minimize_ipopt_takes_sparsehess_scipy_derivatives():
    p = cops.hs071()
    objective = shs.Objective(p.f, p.x0)
    cons = [shs.NonlinearConstraint(c, lb=lb, ub=ub, x0=p.x0) for c, lb, ub in p.constraints]
    # a two-sided constraint exercises the (c - lb, ub - c) split
    cons.append(shs.NonlinearConstraint(lambda x: x[:2], lb=[0.5, -np.inf], ub=[3.0, 10.0],
                                        x0=p.x0))
    dicts = [d for con in cons for d in si.constraint_dicts(con)]
    assert [d["type"] for d in dicts] == ["ineq", "eq", "ineq"]
    # COO forms: the csr values at coordinates that stay fixed from point to point
    x1, v = p.x0 + 0.3, np.array([0.7])
    for con in cons[:1]:
        a, b = con.hess_coo(p.x0, v), con.hess_coo(x1, v)
        assert isinstance(a, sp.coo_array) and all(np.array_equal(u, w)
                                                   for u, w in zip(a.coords, b.coords))
        np.testing.assert_array_equal(b.toarray(), con.hess(x1, v).toarray())
        np.testing.assert_array_equal(con.jac_coo(x1).toarray(), con.jac(x1).toarray())
    hess = objective.hess_coo(x1)
    assert isinstance(hess, sp.coo_array)
    np.testing.assert_array_equal(hess.toarray(), objective.hess(x1).toarray())
    result = cyipopt.minimize_ipopt(objective.fun, p.x0, jac=objective.jac,
                                    hess=objective.hess_coo, constraints=dicts,
                                    bounds=list(zip(p.bounds.lb, p.bounds.ub)),
                                    options={"print_level": 0, "sb": "yes"})
    assert result.success
    np.testing.assert_allclose(result.x, HS071_X, atol=1e-6)
    ours = si.minimize(p.f, p.x0, constraints=p.constraints + [(lambda x: x[:2], [0.5, -np.inf],
                                                                [3.0, 10.0])], bounds=p.bounds)
    assert result.nit == ours.nit


# ------------------------------------------------------------------------------ bad input


def _raises(match, **kw):
    p = cops.hs071()
    kw = {"constraints": p.constraints, "bounds": p.bounds, **kw}
    with pytest.raises(ValueError, match=match):
        si.minimize(kw.pop("f", p.f), kw.pop("x0", p.x0), **kw)


def test_errors_before_ipopt_starts():
    _raises(r"bounds on x are infeasible at 1 entry \(\[2\]: lb=4 > ub=3\)",
            bounds=so.Bounds([1, 1, 4, 1], [5, 5, 3, 5]))
    _raises(r"one \(low, high\) pair per variable \(4 pairs\)", bounds=[(1, 5)] * 3)
    _raises(r"constraint bounds are infeasible at 1 entry \(\[1\]: lb=41 > ub=40\)",
            constraints=[(jnp.prod, 25.0, np.inf), (lambda x: jnp.sum(x ** 2), 41.0, 40.0)])
    _raises(r"constraint 1: c\(x0\) has shape \(\) but lb has shape \(2,\)",
            constraints=[(jnp.prod, 25.0, np.inf), (lambda x: jnp.sum(x ** 2), [1, 2], 40.0)])
    _raises(r"constraint 0: could not evaluate c\(x0\)",
            constraints=[(lambda x: x @ jnp.ones(3), 0.0, 1.0)])
    _raises(r"^f at x0 is not finite", f=lambda x: jnp.sum(jnp.log(x - 2.0)))
    _raises(r"^c at x0 is not finite \(1 of 2 entries",
            constraints=[(lambda x: jnp.stack([x[0], jnp.log(x[1] - 9.0)]), 0.0, np.inf)])
    _raises(r"NaN in lb or ub", bounds=so.Bounds([1, 1, np.nan, 1], 5.0))
    with pytest.raises(TypeError, match=r"constraint 0: expected a NonlinearConstraint"):
        si.minimize(cops.hs071().f, cops.hs071().x0, constraints=[42])


# ------------------------------------------------------------------------------ examples


def test_examples_run(examples):
    out = _subprocess.finish(examples["ipopt_hs071.py"])
    assert "status 0:" in out and "jax_enable_x64 still False; x is float64" in out
    assert "multipliers = [-0.55229366  0.16146856]" in out
    assert "f = 17.0140171" in out
    assert "iter    objective    inf_pr" in out            # Ipopt's own log, when asked
    trace = out.split("objective by iteration: [")[1].split("]")[0].split()
    assert float(trace[-1]) == pytest.approx(17.014, abs=1e-3)
    out = _subprocess.finish(examples["ipopt_cops.py"])
    chain = out.split("hanging chain")[1]
    assert "status 0" in chain and abs(float(chain.split("f = ")[1].split(",")[0]) - 5.0685) < 1e-3
    assert out.count("status 0") == 3 and "colors: 2" in chain
