"""Minimizing a 100,000-variable function with exact sparse Hessians.

The chained Rosenbrock function, sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2, has a
tridiagonal Hessian.  ``sparsehess.scipy.minimize`` detects that once, colors it with 3
colors and then gets each Hessian from 3 Hessian-vector products -- instead of the
100,000 a dense ``jax.hessian`` would need (and 80 GB to store it).  The same problem is
solved with trust-constr and Newton-CG (sparse ``hess``) and trust-krylov (``hessp``).

Run: python examples/optimize_100k.py [n]      (about 5 s on a 2-core CPU)

OPENBLAS_NUM_THREADS defaults to 1: with JAX's CPU runtime running, multithreaded OpenBLAS
made the vector norms inside SciPy's trust-constr ~15x slower on a small machine.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import sparsehess.scipy  # noqa: E402


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def main(n=100_000):
    x0 = 1.0 + 0.3 * np.sin(np.arange(n, dtype=float))      # float64: SciPy's precision

    t = time.perf_counter()
    objective = sparsehess.scipy.Objective(rosenbrock, x0)
    ncolors = objective.ncolors                              # detection + coloring
    print(f"n = {n:,}: Hessian with {objective.nnz:,} nonzeros, {ncolors} Hessian-vector "
          f"products per Hessian (dense: {n:,}; {n // ncolors:,}x fewer), "
          f"set up in {time.perf_counter() - t:.2f} s")

    options = {
        "trust-constr": {"gtol": 1e-8, "xtol": 1e-12},
        "Newton-CG": {"xtol": 1e-12},     # SciPy's default xtol stops early at large n
        "trust-krylov": {"gtol": 1e-8},
    }
    for method, opts in options.items():
        t = time.perf_counter()
        res = sparsehess.scipy.minimize(rosenbrock, x0, method=method, options=opts)
        seconds = time.perf_counter() - t
        ev = res.evaluations
        hessians = (f"{ev.get('hessian', 0)} sparse Hessians"
                    + (f" + {ev['hvp']} single HVPs" if ev.get("hvp") else ""))
        print(f"{method:>12}: {res.nit:3d} iterations, {seconds:5.2f} s, f = {res.fun:.1e}, "
              f"max |x - 1| = {np.abs(res.x - 1).max():.1e}, "
              f"{ev['value_and_grad']} value+gradient evaluations, {hessians}; "
              f"success: {res.success}")

    # the dense-only methods are refused with the memory they would need
    try:
        sparsehess.scipy.minimize(rosenbrock, x0, method="trust-exact")
    except sparsehess.scipy.DenseHessianError as err:
        print(f" trust-exact: refused: {str(err).split('. ')[0]}.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
