"""Ipopt (through cyipopt, the optional extra ``[ipopt]``) on JAX functions, with exact
sparse derivatives.

    minimize(f, x0, *, constraints=(), bounds=None, options=None, args=(), intermediate=None)
        solve  min f(x)  s.t.  lb <= c(x) <= ub,  bounds on x;  returns an OptimizeResult
    Problem(f, x0, constraints=(), bounds=None, *, args=())
        cyipopt's callbacks (objective, gradient, constraints, jacobian, jacobianstructure,
        hessian, hessianstructure, intermediate) for driving ``cyipopt.Problem`` yourself
    constraint_dicts(con)
        a ``sparsehess.scipy.NonlinearConstraint`` as the old-style dicts, with COO ``jac``
        and ``hess``, that ``cyipopt.minimize_ipopt`` accepts

Constraints: ``sparsehess.scipy.NonlinearConstraint`` or ``scipy.optimize.NonlinearConstraint``
objects (their ``fun`` JAX-traceable), ``(c, lb, ub)`` tuples, or SciPy's ``{"type": "eq" |
"ineq", "fun", "args"}`` dicts (eq: c(x) = 0, ineq: c(x) >= 0).  c may return any shape
(raveled); lb / ub broadcast to it; lb == ub is an equality.  They are stacked in the order
given; ``result.multipliers`` follows that order.

Derivatives: the gradient comes with the value (one ``jax.value_and_grad`` per point,
cached); the constraint Jacobian is one sparse plan for all constraints together; the
Hessian of the Lagrangian ``sigma * ∇²f + Σ λ_i ∇²c_i`` is one plan, colored once on the
union of the patterns of f and every c_i (valid for every sigma and λ), whose products run
in one compiled call per evaluation; Ipopt gets its lower triangle.  The structures are
fixed when first asked for (the Hessian's only when Ipopt uses it: not with
``hessian_approximation="limited-memory"``).

Precision: float64 throughout.  Every JAX call runs inside ``jax.enable_x64(True)`` -- a
context around our own calls, so the global ``jax_enable_x64`` flag is never changed and
x64 need not be enabled by the caller.  f and c should not build their constants in
float32 on purpose (``jnp.float32(...)``); plain Python / NumPy constants follow x.

Errors: bounds with lb > ub, constraint bounds that do not fit c(x0), and NaN / inf in f,
∇f or c at x0 raise ValueError before Ipopt starts.  A NaN met during the run is Ipopt's
business: it backtracks or stops with status -13 (``result.status``), it does not raise.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize as _so
import scipy.sparse as _sp

from . import scipy as _shs
from ._src.differentiation import plans as _plans

__all__ = ["Problem", "constraint_dicts", "minimize"]

INSTALL_HINT = ("sparsehess.ipopt needs cyipopt: pip install 'sparsehess[ipopt]' (which "
                "installs cyipopt-wheels, shipping Ipopt), or install cyipopt against a "
                "system Ipopt")

# Ipopt's intermediate-callback arguments, in cyipopt's order.
ITERATION_FIELDS = ("alg_mod", "iter_count", "obj_value", "inf_pr", "inf_du", "mu", "d_norm",
                    "regularization_size", "alpha_du", "alpha_pr", "ls_trials")

# The callbacks whose time counts as derivative evaluation (the rest is Ipopt's own).
CALLBACKS = ("objective", "gradient", "constraints", "jacobian", "hessian")


def _cyipopt():
    try:
        import cyipopt
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    return cyipopt


# --------------------------------------------------------------------------------------------
# input checking


def _variable_bounds(bounds, shape):
    """(lb, ub) float64 (n,) from None, ``scipy.optimize.Bounds`` (lb / ub broadcastable to
    x0's shape) or a sequence of n (low, high) pairs (None for no bound)."""
    n = int(np.prod(shape))
    if bounds is None:
        return np.full(n, -np.inf), np.full(n, np.inf)
    if isinstance(bounds, _so.Bounds):
        lb, ub = np.asarray(bounds.lb, np.float64), np.asarray(bounds.ub, np.float64)
        try:
            lb, ub = (np.broadcast_to(b, shape).reshape(-1).copy() for b in (lb, ub))
        except ValueError:
            raise ValueError(f"bounds: lb has shape {lb.shape} and ub {ub.shape}; each must "
                             f"broadcast to x0's shape {tuple(shape)}") from None
    else:
        pairs = np.array([[np.nan if v is None else v for v in pair] for pair in bounds],
                         np.float64) if len(bounds) else np.zeros((0, 2))
        if pairs.shape != (n, 2):
            raise ValueError(f"bounds: give a scipy.optimize.Bounds or one (low, high) pair per "
                             f"variable ({n} pairs), got an array of shape {pairs.shape}")
        lb, ub = pairs[:, 0], pairs[:, 1]
        lb[np.isnan(lb)], ub[np.isnan(ub)] = -np.inf, np.inf
    _check_ordered(lb, ub, "bounds on x")
    return lb, ub


def _check_ordered(lb, ub, what):
    if np.isnan(lb).any() or np.isnan(ub).any():
        raise ValueError(f"{what}: NaN in lb or ub (use -inf / inf for no bound)")
    bad = np.flatnonzero(lb > ub)
    if bad.size:
        shown = ", ".join(f"[{i}]: lb={lb[i]:g} > ub={ub[i]:g}" for i in bad[:5])
        raise ValueError(f"{what} are infeasible at {bad.size} entr{'y' if bad.size == 1 else 'ies'}"
                         f" ({shown}{', ...' if bad.size > 5 else ''}); each lb must be <= ub")


def _constraint_parts(con, index):
    """(jax function c(x, *args), args, lb, ub) of one constraint given in any accepted form."""
    if isinstance(con, _shs.NonlinearConstraint):
        return con.vector.c, tuple(con.vector.args), con.lb, con.ub
    if isinstance(con, _so.NonlinearConstraint):
        return con.fun, (), con.lb, con.ub
    if isinstance(con, dict):
        kind = con.get("type")
        if kind not in ("eq", "ineq") or "fun" not in con:
            raise ValueError(f"constraint {index}: a dict needs 'type' ('eq' or 'ineq') and "
                             f"'fun', got keys {sorted(con)}")
        return con["fun"], tuple(con.get("args", ())), 0.0, (0.0 if kind == "eq" else np.inf)
    if isinstance(con, tuple) and len(con) == 3 and callable(con[0]):
        return con[0], (), con[1], con[2]
    raise TypeError(f"constraint {index}: expected a NonlinearConstraint, a (c, lb, ub) tuple "
                    f"or an {{'type', 'fun'}} dict, got {type(con).__name__}")


class _Constraints:
    """All constraints as one flat function ``c(x_flat, cargs) -> (m,)`` with (m,) bounds."""

    def __init__(self, constraints, x0):
        if isinstance(constraints, (dict, _so.NonlinearConstraint)) or (
                isinstance(constraints, tuple) and len(constraints) == 3
                and callable(constraints[0])):
            constraints = [constraints]
        parts = [_constraint_parts(con, i) for i, con in enumerate(constraints)]
        self.funs = [p[0] for p in parts]
        self.args = tuple(p[1] for p in parts)
        shape = x0.shape
        lbs, ubs, self.sizes = [], [], []
        with jax.enable_x64(True):
            for i, (fun, args, lb, ub) in enumerate(parts):
                try:
                    out = jax.eval_shape(fun, jnp.asarray(x0), *args)
                except Exception as err:
                    raise ValueError(f"constraint {i}: could not evaluate c(x0) with x0 of shape "
                                     f"{tuple(shape)}: {type(err).__name__}: {err}") from err
                if not hasattr(out, "shape"):
                    raise ValueError(f"constraint {i}: c(x) must return one array, got "
                                     f"{type(out).__name__}")
                size = int(np.prod(out.shape))
                try:
                    lbs.append(np.broadcast_to(np.asarray(lb, np.float64), out.shape).reshape(-1))
                    ubs.append(np.broadcast_to(np.asarray(ub, np.float64), out.shape).reshape(-1))
                except ValueError:
                    raise ValueError(f"constraint {i}: c(x0) has shape {tuple(out.shape)} but lb "
                                     f"has shape {np.shape(lb)} and ub {np.shape(ub)}; they must "
                                     f"broadcast to c's output") from None
                self.sizes.append(size)
        self.m = int(sum(self.sizes))
        self.lb = np.concatenate(lbs) if lbs else np.zeros(0)
        self.ub = np.concatenate(ubs) if ubs else np.zeros(0)
        _check_ordered(self.lb, self.ub, "constraint bounds")
        funs = self.funs

        def stacked(x_flat, cargs):
            outs = [jnp.ravel(c(x_flat.reshape(shape), *a)) for c, a in zip(funs, cargs)]
            return jnp.concatenate(outs) if len(outs) > 1 else outs[0]
        self.stacked = stacked


def _check_finite(name, value):
    value = np.asarray(value)
    bad = np.flatnonzero(~np.isfinite(value.reshape(-1)))
    if bad.size:
        raise ValueError(f"{name} at x0 is not finite ({bad.size} of {value.size} entries NaN or "
                         f"inf, first at flat index {bad[0]}); start from a point where f and c "
                         f"are defined")


# --------------------------------------------------------------------------------------------
# the problem


class Problem:
    """cyipopt's callbacks for ``min f(x, *args)`` s.t. ``cl <= c(x) <= cu``, ``lb <= x <= ub``.

    Ipopt sees the flat vector x (n,); f and c receive it in x0's shape.  Attributes for
    ``cyipopt.Problem``: ``n``, ``m``, ``lb``, ``ub``, ``cl``, ``cu`` (float64 arrays) and
    ``x0`` (flat); :meth:`cyipopt_problem` builds it.  ``counts`` tallies the callbacks,
    ``times`` their seconds; ``nit`` is the last iteration Ipopt reported.

    ``intermediate``: a function of one dict (the fields of ITERATION_FIELDS plus "x", the
    current iterate shaped like x0, when cyipopt can give it) called once per iteration;
    return False to stop Ipopt (status 5, user-requested stop).
    ``hess_method`` / ``jac_method`` / ``order``: colorings, as in :func:`sparsehess.hessian`
    and :func:`sparsehess.jacobian`.
    """

    def __init__(self, f, x0, constraints=(), bounds=None, *, args=(), intermediate=None,
                 hess_method="auto", jac_method="auto", order="largest_first"):
        x0 = np.asarray(x0)
        if not (np.issubdtype(x0.dtype, np.floating) or np.issubdtype(x0.dtype, np.integer)):
            raise TypeError(f"x0 must be a real array, got dtype {x0.dtype}")
        self.shape = x0.shape
        self.x0 = np.asarray(x0, np.float64).reshape(-1)
        self.n = self.x0.size
        self.args = tuple(args)
        self.f = f
        self.lb, self.ub = _variable_bounds(bounds, self.shape)
        self._objective = _shs.Objective(f, self.x0.reshape(self.shape), self.args,
                                         dtype=np.float64)
        cons = _Constraints(() if constraints is None else constraints, self.x0.reshape(self.shape))
        self._cons = cons
        self.m, self.cl, self.cu = cons.m, cons.lb, cons.ub
        self.constraint_sizes = tuple(cons.sizes)
        self._vector = _shs.Residual(cons.stacked, self.x0, (cons.args,), jac_method=jac_method,
                                     order=order, dtype=np.float64) if self.m else None
        self._hess_method, self._order = hess_method, order
        self._hess_plan = None
        self._lower = None
        self._hook = intermediate
        self._nlp = None
        self.nit = 0
        self.counts = dict.fromkeys(CALLBACKS, 0)
        self.times = dict.fromkeys(CALLBACKS, 0.0)
        self._check_start()

    def _check_start(self):
        value, grad = self._objective.value_and_grad(self.x0)
        _check_finite("f", value)
        _check_finite("the gradient of f", grad)
        if self.m:
            _check_finite("c", self._vector.fun(self.x0))

    def _timed(self, name, compute):
        start = time.perf_counter()
        out = compute()
        self.times[name] += time.perf_counter() - start
        self.counts[name] += 1
        return out

    # -- cyipopt callbacks ---------------------------------------------------------------

    def objective(self, x):
        """f(x) (float)."""
        return self._timed("objective", lambda: self._objective.fun(x))

    def gradient(self, x):
        """∇f(x), float64 (n,); shares one evaluation with :meth:`objective` at x."""
        return self._timed("gradient", lambda: self._objective.jac(x))

    def constraints(self, x):
        """c(x) of all constraints, stacked, float64 (m,)."""
        return self._timed("constraints", lambda: self._vector.fun(x))

    def jacobianstructure(self):
        """(rows, cols) of the constraint Jacobian's nonzeros (fixed)."""
        if not self.m:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return self._vector.jacobian_structure()

    def jacobian(self, x):
        """Jacobian values in the order of :meth:`jacobianstructure`."""
        return self._timed("jacobian", lambda: self._vector.jacobian_values(x))

    @property
    def hessian_plan(self):
        """The Lagrangian-Hessian plan (one coloring of the union pattern), built on demand."""
        if self._hess_plan is None:
            self._hess_plan = self._build_hessian_plan()
            plan = self._hess_plan
            self._lower = np.flatnonzero(plan.rows >= plan.cols)
        return self._hess_plan

    def _build_hessian_plan(self):
        f, shape, stacked, m = self.f, self.shape, self._cons.stacked, self.m

        def lagrangian(x, sigma, lam, fargs, cargs):
            value = sigma * jnp.reshape(f(x.reshape(shape), *fargs), ())
            return value + jnp.dot(lam, stacked(x, cargs)) if m else value
        point = (self.x0, np.float64(1.0), np.zeros(max(m, 1)), self.args, self._cons.args)
        constants = [False] * len(jax.tree_util.tree_leaves(point))
        with jax.enable_x64(True):
            return _plans.prepare_hessian(lagrangian, point, 0, method=self._hess_method,
                                          order=self._order, format="scipy",
                                          constants=constants)

    def hessianstructure(self):
        """(rows, cols) of the lower triangle of the Lagrangian Hessian (fixed)."""
        plan = self.hessian_plan
        return plan.rows[self._lower], plan.cols[self._lower]

    def hessian(self, x, lagrange, obj_factor):
        """Lower-triangle values of ``obj_factor ∇²f + Σ lagrange_i ∇²c_i`` at x."""
        plan = self.hessian_plan

        def compute():
            lam = np.asarray(lagrange, np.float64).reshape(-1) if self.m else np.zeros(1)
            with jax.enable_x64(True):
                values = plan.values(np.asarray(x, np.float64), np.float64(obj_factor), lam,
                                     self.args, self._cons.args)
                return np.asarray(values, np.float64)[self._lower]
        return self._timed("hessian", compute)

    def intermediate(self, *values):
        """Ipopt's per-iteration callback: records ``nit`` and calls the user's hook."""
        info = dict(zip(ITERATION_FIELDS, values))
        self.nit = int(info["iter_count"])
        if self._hook is None:
            return True
        if self._nlp is not None and hasattr(self._nlp, "get_current_iterate"):
            info["x"] = np.asarray(self._nlp.get_current_iterate()["x"]).reshape(self.shape)
        return self._hook(info) is not False

    # -- cyipopt ------------------------------------------------------------------------

    def cyipopt_problem(self, options=None, *, exact_hessian=None):
        """A ``cyipopt.Problem`` for this problem with ``options`` added.

        With ``options["hessian_approximation"] = "limited-memory"`` (or ``exact_hessian``
        False) Ipopt does not get the Hessian callbacks, so no Hessian plan is built.
        """
        cyipopt = _cyipopt()
        options = dict(options or {})
        if exact_hessian is None:
            exact_hessian = options.get("hessian_approximation", "exact") != "limited-memory"
        if not exact_hessian:
            options["hessian_approximation"] = "limited-memory"
        callbacks = self if exact_hessian else _WithoutHessian(self)
        nlp = cyipopt.Problem(n=self.n, m=self.m, problem_obj=callbacks, lb=self.lb,
                              ub=self.ub, cl=self.cl, cu=self.cu)
        for key, value in options.items():
            nlp.add_option(key, value)
        self._nlp = nlp
        return nlp

    def derivative_time(self) -> float:
        """Seconds spent in the callbacks so far (the rest of a solve is Ipopt's own)."""
        return float(sum(self.times.values()))


class _WithoutHessian:
    """A Problem's callbacks without ``hessian`` / ``hessianstructure`` (cyipopt looks them
    up by name and builds their structure eagerly)."""

    def __init__(self, problem):
        self._problem = problem
        for name in ("objective", "gradient", "constraints", "jacobian", "jacobianstructure",
                     "intermediate"):
            setattr(self, name, getattr(problem, name))


# --------------------------------------------------------------------------------------------
# minimize


def minimize(f, x0, *, constraints=(), bounds=None, options=None, args=(), intermediate=None,
             hess_method="auto", jac_method="auto", order="largest_first"):
    """Solve ``min f(x, *args)`` subject to ``constraints`` and ``bounds`` with Ipopt.

    ``options``: Ipopt options (``{"print_level": 5}`` prints Ipopt's iteration log; the
    default here is 0, silent; ``{"hessian_approximation": "limited-memory"}`` uses
    L-BFGS instead of the exact Hessian).  ``intermediate``: see :class:`Problem`.

    Returns ``scipy.optimize.OptimizeResult`` with ``x`` (x0's shape), ``fun``, ``status``
    and ``message`` (Ipopt's), ``success`` (status 0 or 1: solved, or solved to acceptable
    level), ``nit``, ``multipliers`` (λ (m,), constraints stacked in the order given, in
    Ipopt's sign convention: ∇f + Jᵀλ - z_L + z_U = 0), ``mult_x_L`` / ``mult_x_U`` (x0's
    shape), ``constr`` (c at x), ``evaluations`` (callback counts), ``times`` (seconds per
    callback), ``ipopt_time`` (the rest of the solve) and ``problem``.
    """
    problem = Problem(f, x0, constraints, bounds, args=args, intermediate=intermediate,
                      hess_method=hess_method, jac_method=jac_method, order=order)
    options = dict(options or {})
    options.setdefault("print_level", 0)
    if options["print_level"] == 0:
        options.setdefault("sb", "yes")        # nor the banner
    nlp = problem.cyipopt_problem(options)
    start = time.perf_counter()
    x, info = nlp.solve(problem.x0)
    total = time.perf_counter() - start
    message = info["status_msg"]
    if isinstance(message, bytes):
        message = message.decode()
    return _so.OptimizeResult(
        x=np.asarray(x).reshape(problem.shape), fun=float(info["obj_val"]),
        status=int(info["status"]), success=int(info["status"]) in (0, 1), message=message,
        nit=problem.nit, multipliers=np.asarray(info["mult_g"]),
        mult_x_L=np.asarray(info["mult_x_L"]).reshape(problem.shape),
        mult_x_U=np.asarray(info["mult_x_U"]).reshape(problem.shape),
        constr=np.asarray(info["g"]), evaluations=dict(problem.counts),
        times=dict(problem.times), ipopt_time=total - problem.derivative_time(),
        problem=problem)


# --------------------------------------------------------------------------------------------
# cyipopt.minimize_ipopt


def constraint_dicts(con):
    """A ``sparsehess.scipy.NonlinearConstraint`` ``lb <= c(x) <= ub`` as the old-style
    constraint dicts ``cyipopt.minimize_ipopt`` takes, with ``jac`` a ``coo_array`` and
    ``hess(x, v)`` a ``coo_array`` (the same coordinates at every call):

        [{"type": "eq", ...} for rows with lb == ub: c - lb = 0]
        + [{"type": "ineq", ...}: (c - lb) of rows with finite lb, then (ub - c) of rows
           with finite ub, >= 0]

    (minimize_ipopt turns NonlinearConstraint objects into dicts itself, but densifies
    their Jacobians and drops their Hessians.)  Objective: pass ``hess=Objective.hess_coo``.
    """
    if not isinstance(con, _shs.NonlinearConstraint):
        raise TypeError(f"constraint_dicts takes a sparsehess.scipy.NonlinearConstraint, got "
                        f"{type(con).__name__}")
    lb = np.broadcast_to(np.asarray(con.lb, np.float64), (con.m,))
    ub = np.broadcast_to(np.asarray(con.ub, np.float64), (con.m,))
    equal = lb == ub
    below = np.flatnonzero(~equal & np.isfinite(lb))
    above = np.flatnonzero(~equal & np.isfinite(ub))
    out = []
    if equal.any():
        out.append(_rows_dict(con, "eq", np.flatnonzero(equal), np.zeros(0, np.int64),
                              lb, ub))
    if below.size or above.size:
        out.append(_rows_dict(con, "ineq", below, above, lb, ub))
    return out


def _rows_dict(con, kind, plus, minus, lb, ub):
    """The dict of rows ``c[plus] - lb[plus]`` followed by ``ub[minus] - c[minus]``."""
    rows, cols = con.jacobian_structure()
    position = np.full(con.m, -1)
    position[plus] = np.arange(plus.size)
    keep_plus = np.flatnonzero(position[rows] >= 0)
    new_rows_plus = position[rows[keep_plus]]
    position[:] = -1
    position[minus] = plus.size + np.arange(minus.size)
    keep_minus = np.flatnonzero(position[rows] >= 0)
    new_rows_minus = position[rows[keep_minus]]
    entries = np.concatenate([keep_plus, keep_minus])
    signs = np.concatenate([np.ones(keep_plus.size), -np.ones(keep_minus.size)])
    coords = (np.concatenate([new_rows_plus, new_rows_minus]), cols[entries])
    shape = (plus.size + minus.size, con.n)

    def fun(x):
        c = con.vector.fun(x)
        return np.concatenate([c[plus] - lb[plus], ub[minus] - c[minus]])

    def jac(x):
        return _sp.coo_array((con.jacobian_values(x)[entries] * signs, coords), shape=shape)

    def hess(x, v):
        v = np.asarray(v, np.float64)
        full = np.zeros(con.m)
        full[plus] += v[:plus.size]
        full[minus] -= v[plus.size:]
        return con.hess_coo(x, full)
    return {"type": kind, "fun": fun, "jac": jac, "hess": hess}
