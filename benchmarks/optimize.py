"""SciPy optimizers with sparsehess Hessians vs gradient-only and dense-Hessian baselines.

Run ``python benchmarks/optimize.py`` (n = 1e3, 1e4, 1e5) or ``--quick`` (1e3, 1e4).
Problem: the chained Rosenbrock function sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2,
minimum x* = 1, started from x0 = 1 + 0.3 sin(i) (``--problem grid``: a convex 2-D grid
energy with bounds 0 <= u <= 1, where Newton-CG, which ignores bounds, is left out).

Rows (all float64, CPU or whatever device JAX uses):
  trust-constr / Newton-CG / trust-krylov + sparsehess   sparsehess.scipy.minimize
  L-BFGS-B + jax.grad                                     scipy with a jitted value_and_grad
  trust-constr / Newton-CG + jax.hessian (dense)          only where n x n fits (n <= 2000)
Columns: iterations, function / Hessian evaluations (for trust-krylov: Hessian-vector
products), "first" = wall time of the first solve in the process (sparsity detection,
coloring and XLA compilation included), "warm" = the best of two more identical solves (compiled code
and plans reused; sparsehess rows after the first at one n
share its plan and compiled functions), the final objective and max |x - x*| (Rosenbrock) or max |x - x_ref|.
All methods stop at a gradient tolerance of about 1e-8.

OPENBLAS_NUM_THREADS defaults to 1 here: once JAX's CPU runtime is up, multithreaded
OpenBLAS level-1 calls (the vector norms and dots of SciPy's solvers) were 15x slower on a
2-core machine (np.linalg.norm of 1e5 doubles: 55 us before importing JAX, 790 us after),
which made trust-constr at n = 1e5 take 8.7 s instead of 1.5 s.  Set it to compare.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.optimize as so  # noqa: E402

import sparsehess.scipy as shs  # noqa: E402

DENSE_MAX_N = 2000


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def grid_energy(u, b):
    dx = u[1:, :] - u[:-1, :]
    dy = u[:, 1:] - u[:, :-1]
    return (0.5 * jnp.sum(dx ** 2) + 0.5 * jnp.sum(dy ** 2) + 0.05 * jnp.sum(u ** 2)
            + 0.25 * jnp.sum(u ** 4) - jnp.sum(b * u))


OPTIONS = {
    "trust-constr": {"gtol": 1e-8, "xtol": 1e-12, "maxiter": 5000},
    "Newton-CG": {"xtol": 1e-12, "maxiter": 5000},
    "trust-krylov": {"gtol": 1e-8, "maxiter": 5000},
    "L-BFGS-B": {"gtol": 1e-8, "ftol": 1e-16, "maxiter": 50000, "maxfun": 100000},
}


def problem(name, n):
    """(f, x0, args, bounds, x_ref or None, shape)"""
    if name == "rosenbrock":
        return rosenbrock, 1.0 + 0.3 * np.sin(np.arange(n, dtype=float)), (), None, \
            np.ones(n)
    side = int(round(np.sqrt(n)))
    rng = np.random.default_rng(0)
    b = rng.uniform(-1.0, 2.0, (side, side))
    return grid_energy, np.full((side, side), 0.5), (b,), so.Bounds(0.0, 1.0), None


def _sparse(method, f, x0, args, bounds):
    return shs.minimize(f, x0, method=method, args=args, bounds=bounds,
                        options=OPTIONS[method])


_COMPILED = {}


def _jitted(f, shape):
    """Jitted value_and_grad and dense Hessian of f over flat x, made once per (f, shape)."""
    if (f, shape) not in _COMPILED:
        flat = lambda x, *a: f(x.reshape(shape), *a)   # noqa: E731
        _COMPILED[f, shape] = jax.jit(jax.value_and_grad(flat)), jax.jit(jax.hessian(flat))
    return _COMPILED[f, shape]


def _scipy_with(f, x0, args, method, bounds, dense_hessian):
    vg, hess = _jitted(f, x0.shape)
    hess = hess if dense_hessian else None

    def fun(x):
        with jax.enable_x64(True):
            v, g = vg(x, *args)
            return float(v), np.asarray(g)

    kw = {}
    if hess is not None:
        def hess_(x):
            with jax.enable_x64(True):
                return np.asarray(hess(x, *args))
        kw["hess"] = hess_
    if bounds is not None:
        kw["bounds"] = bounds
    return so.minimize(fun, x0.ravel(), method=method, jac=True, options=OPTIONS[method], **kw)


def rows_for(name, n):
    f, x0, args, bounds, x_star = problem(name, n)
    n = x0.size
    runs = [("trust-constr", "sparsehess", lambda: _sparse("trust-constr", f, x0, args, bounds))]
    if bounds is None:
        runs += [("Newton-CG", "sparsehess", lambda: _sparse("Newton-CG", f, x0, args, None)),
                 ("trust-krylov", "sparsehess hvp",
                  lambda: _sparse("trust-krylov", f, x0, args, None))]
    runs.append(("L-BFGS-B", "jax.grad",
                 lambda: _scipy_with(f, x0, args, "L-BFGS-B", bounds, False)))
    if n <= DENSE_MAX_N:
        runs.append(("trust-constr", "jax.hessian dense",
                     lambda: _scipy_with(f, x0, args, "trust-constr", bounds, True)))
        if bounds is None:
            runs.append(("Newton-CG", "jax.hessian dense",
                         lambda: _scipy_with(f, x0, args, "Newton-CG", None, True)))
    results = []
    for method, hessian, run in runs:
        t0 = time.perf_counter()
        run()
        t_first = time.perf_counter() - t0
        t_warm = np.inf
        for _ in range(2):
            t0 = time.perf_counter()
            res = run()
            t_warm = min(t_warm, time.perf_counter() - t0)
        results.append((method, hessian, res, t_first, t_warm))
    if x_star is None:   # grid: error against the trust-constr solution
        x_star = np.asarray(results[0][2].x).ravel()
    table = []
    for method, hessian, res, t_first, t_warm in results:
        if method == "trust-krylov":
            nhev = res.evaluations.get("hvp", 0)
            nhev = f"{nhev}+{res.evaluations.get('hessian', 0)}H"
        else:
            nhev = res.get("nhev", 0)
        ncolors = res.get("hessian_ncolors") or ""
        err = np.abs(np.asarray(res.x).ravel() - x_star).max()
        table.append((n, method, hessian, res.nit, res.nfev, nhev, ncolors, t_first, t_warm,
                      res.fun, err))
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e3 and 1e4 only")
    parser.add_argument("--problem", choices=("rosenbrock", "grid"), default="rosenbrock")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the sizes")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    print(f"problem: {args.problem}; JAX devices: {jax.devices()}")
    header = ("n", "method", "Hessian", "nit", "nfev", "nhev", "colors", "first s", "warm s",
              "f", "max err")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for n in sizes:
        for row in rows_for(args.problem, n):
            (n_, method, hessian, nit, nfev, nhev, ncolors, t_first, t_warm, fval, err) = row
            print(f"| {n_} | {method} | {hessian} | {nit} | {nfev} | {nhev} | {ncolors} | "
                  f"{t_first:.2f} | {t_warm:.2f} | {fval:.2e} | {err:.1e} |", flush=True)


if __name__ == "__main__":
    main()
