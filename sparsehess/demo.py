"""The main job (`make demo`): the whole pipeline on a built-in 100,000-variable problem."""

import time

import jax
import jax.numpy as jnp

from . import color, hessian_sparsity, problems
from ._src.differentiation import plans, sweeps


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    jax.block_until_ready(out)
    return out, time.perf_counter() - start


def _best_of(fn, *args, repeat=5):
    return min(_timed(fn, *args)[1] for _ in range(repeat))


def run(n: int = 100_000) -> dict:
    """Run the demo and print a table; returns the measured figures."""
    f, x0 = problems.rosenbrock_plus_grid(n)
    x = jnp.asarray(x0)
    n = x.shape[0]
    print(f"problem: chained Rosenbrock + 2-D grid energy, n = {n:,}")

    pattern, t_detect = _timed(hessian_sparsity, f, x)
    print(f"detect   {t_detect:8.3f} s   nnz = {pattern.nnz:,} ({pattern.nnz / n:.1f} per row)")
    colorings = {}
    for method in ("column", "star", "acyclic", "distance1"):
        try:
            coloring, t_color = _timed(color, pattern, method)
        except ValueError as err:  # a method this build does not offer
            print(f"color    {method:10s} unavailable: {err}")
            continue
        colorings[method] = coloring
        print(f"color    {t_color:8.3f} s   {method:10s} {coloring.ncolors:4d} colors")

    plan_start = time.perf_counter()
    plan = plans.prepare_hessian(f, (x,), 0)
    t_prepare = time.perf_counter() - plan_start
    _, t_first = _timed(plan.values, x)
    t_later = _best_of(plan.values, x)

    one_seed = jnp.zeros((1, n), x.dtype).at[0, 0].set(1.0)
    hvp = jax.jit(lambda x, s: sweeps.hvp_sweep(f, x, s))
    jax.block_until_ready(hvp(x, one_seed))
    t_hvp = _best_of(hvp, x, one_seed)
    floor = plan.ncolors * t_hvp
    print(f"hessian  first call {t_prepare + t_first:8.3f} s (detect + color + compile + sweep)")
    print(f"hessian  later calls {t_later * 1e3:7.2f} ms with {plan.ncolors} HVPs "
          f"(floor {plan.ncolors} x one HVP = {floor * 1e3:.2f} ms, ratio {t_later / floor:.2f})")
    dense_bytes = n * n * x.dtype.itemsize
    print(f"dense    jax.hessian would need {n:,} HVPs ~ {n * t_hvp:.1f} s "
          f"and {dense_bytes / 2**30:.1f} GiB for the matrix")
    return {"n": n, "nnz": pattern.nnz, "colors": {k: c.ncolors for k, c in colorings.items()},
            "detect_s": t_detect, "first_s": t_prepare + t_first, "later_s": t_later,
            "floor_s": floor, "dense_estimate_s": n * t_hvp}
