"""Ipopt and trust-constr on COPS problems with sparsehess derivatives.

Run ``python benchmarks/ipopt.py`` (n ≈ 1e4 and n ≥ 1e5) or ``--sizes 1e4`` / ``--quick``
(n ≈ 1e3).  Problems (sparsehess/cops.py): HS071 (n = 4), the hanging chain (optimal-
control form, equality constraints), the catenary (inequality constraints) and the
elastic-plastic torsion (bounds only).

Rows per problem and size, all float64 on the CPU:
  (a) ipopt exact     sparsehess.ipopt: exact sparse Hessian of the Lagrangian
  (b) ipopt L-BFGS    Ipopt's limited-memory quasi-Newton, sparsehess gradient / Jacobian
  (c) trust-constr    scipy.optimize.minimize(method="trust-constr") with sparsehess's
                      Objective and NonlinearConstraint (sparse Hessians of f and λ·c)
Columns: status, iterations, objective, wall time of the solve, split into the
derivative callbacks ("derivs": f, ∇f, c, J, Hessian, as timed around each call) and the
solver's own time (the rest: Ipopt's / SciPy's linear algebra and logic), and "setup":
sparsity detection, coloring and compilation, done before the solve (every callback is
called once at x0 first, so that the solve times compiled code).  Each solve stops at
``--max-seconds`` (Ipopt's max_wall_time; trust-constr via its callback) or 3000 iterations.

One solve per row: solver time is the quantity compared and it is not noisy in the way a
microbenchmark is; the machine may be shared (the note says when it was).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # see benchmarks/optimize.py

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.optimize as so  # noqa: E402

import sparsehess.ipopt as si  # noqa: E402
import sparsehess.scipy as shs  # noqa: E402
from sparsehess import cops  # noqa: E402

MAX_ITER = 3000


PROBLEMS = ("hs071", "chain", "catenary", "torsion")


def problems_for(n: int, names=PROBLEMS):
    """The COPS problems with about n variables (HS071 has 4 whatever n is)."""
    makers = {"hs071": cops.hs071,
              "chain": lambda: cops.hanging_chain(max(2, round(n / 4) - 1)),
              "catenary": lambda: cops.catenary(max(2, round(n / 2) - 1)),
              "torsion": lambda: cops.torsion(max(2, int(np.ceil(np.sqrt(n)))))}
    return [makers[name]() for name in names]


def _warm(problem, exact):
    """Setup: every callback once at x0 (detection, coloring, compilation)."""
    start = time.perf_counter()
    problem.objective(problem.x0)
    problem.gradient(problem.x0)
    if problem.m:
        problem.constraints(problem.x0)
        problem.jacobianstructure()
        problem.jacobian(problem.x0)
    if exact:
        problem.hessianstructure()
        problem.hessian(problem.x0, np.ones(problem.m), 1.0)
    for name in problem.counts:
        problem.counts[name], problem.times[name] = 0, 0.0
    return time.perf_counter() - start


def run_ipopt(p, exact, max_seconds):
    start = time.perf_counter()
    problem = si.Problem(p.f, p.x0, p.constraints, p.bounds)
    setup = time.perf_counter() - start + _warm(problem, exact)
    nlp = problem.cyipopt_problem({"print_level": 0, "sb": "yes", "max_iter": MAX_ITER,
                                   "max_wall_time": float(max_seconds)}, exact_hessian=exact)
    start = time.perf_counter()
    _, info = nlp.solve(problem.x0)
    wall = time.perf_counter() - start
    return dict(status=str(info["status"]), nit=problem.nit, fun=info["obj_val"], wall=wall,
                derivs=problem.derivative_time(), setup=setup)


class _Timed:
    """Callables wrapped to add their seconds to one total."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, fn):
        def timed(*args):
            start = time.perf_counter()
            out = fn(*args)
            self.seconds += time.perf_counter() - start
            return out
        return timed


def run_trust_constr(p, max_seconds):
    start = time.perf_counter()
    objective = shs.Objective(p.f, p.x0)
    cons = [shs.NonlinearConstraint(c, lb=lb, ub=ub, x0=p.x0) for c, lb, ub in p.constraints]
    objective.hess(p.x0)
    for con in cons:
        con.jac(p.x0)
        con.hess(p.x0, np.ones(con.m))
    setup = time.perf_counter() - start
    timed = _Timed()
    wrapped = [so.NonlinearConstraint(timed(con.fun), con.lb, con.ub, jac=timed(con.jac),
                                      hess=timed(con.hess)) for con in cons]
    clock = {"start": time.perf_counter()}

    def out_of_time(intermediate_result):
        return time.perf_counter() - clock["start"] > max_seconds
    clock["start"] = time.perf_counter()
    result = so.minimize(timed(objective.fun), p.x0, jac=timed(objective.jac),
                         hess=timed(objective.hess), method="trust-constr", bounds=p.bounds,
                         constraints=wrapped, callback=out_of_time,
                         options={"maxiter": MAX_ITER, "gtol": 1e-8, "xtol": 1e-12})
    wall = time.perf_counter() - clock["start"]
    status = {0: "maxiter", 1: "0 (gtol)", 2: "0 (xtol)", 3: "stopped (time)"}.get(
        result.status, str(result.status))
    return dict(status=status, nit=result.nit, fun=result.fun, wall=wall,
                derivs=timed.seconds, setup=setup)


def table(rows):
    lines = ["| problem | n | m | method | status | iterations | objective | solve s | "
             "derivs s | solver-own s | setup s |",
             "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['n']} | {r['m']} | {r['method']} | {r['status']} | "
                     f"{r['nit']} | {r['fun']:.8g} | {r['wall']:.2f} | {r['derivs']:.2f} | "
                     f"{r['wall'] - r['derivs']:.2f} | {r['setup']:.2f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5])
    parser.add_argument("--quick", action="store_true", help="n ≈ 1e3 only")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--skip-trust-constr-above", type=float, default=2e5)
    parser.add_argument("--problems", nargs="+", choices=PROBLEMS, default=PROBLEMS)
    args = parser.parse_args()
    sizes = [1e3] if args.quick else args.sizes
    rows = []
    for n in sizes:
        names = [name for name in args.problems if name != "hs071" or n == sizes[0]]
        for p in problems_for(int(n), names):
            m = sum(int(np.size(c(p.x0))) for c, _, _ in p.constraints)
            runs = [("(a) ipopt exact", lambda: run_ipopt(p, True, args.max_seconds)),
                    ("(b) ipopt L-BFGS", lambda: run_ipopt(p, False, args.max_seconds))]
            if p.n <= args.skip_trust_constr_above:
                runs.append(("(c) trust-constr", lambda: run_trust_constr(p, args.max_seconds)))
            for method, run in runs:
                row = dict(name=p.name, n=p.n, m=m, method=method, **run())
                rows.append(row)
                print(table([row]).splitlines()[-1], flush=True)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
