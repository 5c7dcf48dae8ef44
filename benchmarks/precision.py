"""Accuracy of star / acyclic / auto Hessians in float32 and float64.

Run ``python benchmarks/precision.py`` (n = 100,000; about a minute) or ``--n 10000``.
For each problem, the float64 star Hessian at the float32-rounded point is the reference
(checked against dense ``jax.hessian`` at n = 1,000 first); every method and dtype is
reported as max |H - H_ref| / max |H_ref| and as the median of |H - H_ref| / |H_ref| over
the entries above 1e-6 max |H_ref|.
"""

from __future__ import annotations

import argparse

import _common as C
import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import sparsehess  # noqa: E402

PROBLEMS = ("rosenbrock", "grid", "sin-grid", "graph", "mlp")
SIN_LAYERS = 12    # enough that "auto" takes acyclic in float64 (expensive HVPs)


def nested_sin_grid(side: int, layers: int = SIN_LAYERS):
    """2-D grid energy Σ sin∘…∘sin(u_i - u_j + 0.3) over grid edges + Σ sin(sin(u))²/10."""
    def f(x):
        u = x.reshape(side, side)
        t = jnp.concatenate([(u[1:, :] - u[:-1, :]).ravel(), (u[:, 1:] - u[:, :-1]).ravel()])
        for _ in range(layers):
            t = jnp.sin(t + 0.3)
        return jnp.sum(t) + 0.1 * jnp.sum(jnp.sin(jnp.sin(u)) ** 2)
    return f, np.cos(np.arange(side * side) * 0.37)


def problem(name, n):
    if name == "sin-grid":
        return f"grid energy, {SIN_LAYERS} nested sin", *nested_sin_grid(C.side_for(n))
    return C.problem(name, n)


def values(f, x, method):
    """(chosen method, ncolors, CSR pattern, nonzeros as float64)."""
    plan = sparsehess.prepare_hessian(f, x, method=method)
    return plan.coloring.method, plan.ncolors, plan.pattern, np.asarray(plan.values(x), np.float64)


def errors(v, ref):
    """(max |v - ref| / max |ref|, median relative error of the entries above 1e-6 max)."""
    err, scale = np.abs(v - ref), np.abs(ref).max()
    big = np.abs(ref) > 1e-6 * scale
    return err.max() / scale, float(np.median(err[big] / np.abs(ref[big])))


def check_reference(name, n=1_000):
    _, f, x0 = problem(name, n)
    x = jnp.asarray(x0, jnp.float64)
    h = np.asarray(sparsehess.hessian(f, method="star", format="dense")(x)).reshape(x.size, -1)
    dense = np.asarray(jax.hessian(f)(x))
    assert np.abs(h - dense).max() <= 1e-12 * np.abs(dense).max(), name


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--only", nargs="*", choices=PROBLEMS)
    args = ap.parse_args(argv)
    rows = []
    for name in args.only or PROBLEMS:
        check_reference(name)
        label, f, x0 = problem(name, args.n)
        x32 = jnp.asarray(x0, jnp.float32)
        x64 = jnp.asarray(np.asarray(x32), jnp.float64)       # the same point
        _, _, pattern, ref = values(f, x64, "star")
        for x in (x32, x64):
            row = [label, str(x.dtype)]
            for method in ("star", "acyclic", "auto"):
                chosen, ncolors, p, v = values(f, x, method)
                assert np.array_equal(p.indices, pattern.indices)
                worst, median = errors(v, ref)
                name_ = f"{chosen}, " if method == "auto" else ""
                row.append(f"{worst:.1e} / {median:.1e} ({name_}{ncolors})")
            rows.append(row)
        print(f"  measured {label}", flush=True)
    print(f"\n### Relative error vs float64 star, n ≈ {args.n:,}: max / median (colors)\n")
    print(C.markdown_table(["problem", "dtype", "star", "acyclic", "auto"], rows))


if __name__ == "__main__":
    main()
