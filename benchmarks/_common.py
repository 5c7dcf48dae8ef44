"""Shared helpers of the benchmark scripts: problems, side-by-side timing, Markdown tables.

Every figure the scripts report is measured in one process, ours and the peer's calls
interleaved repeat by repeat, and the best repeat of each is kept, so that the ratios hold on
a busy machine even when the absolute times do not.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("sparsehess") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from sparsehess import problems  # noqa: E402

try:
    import asdex  # benchmark-only peer (the `bench` extra)
except ImportError:
    asdex = None


def peer_version() -> str:
    if asdex is None:
        return "asdex not installed: only our columns are filled"
    from importlib.metadata import version
    return f"asdex {version('asdex')}"


# --------------------------------------------------------------------------- problems

LAPLACIAN_3X3 = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def conv_energy(side: int):
    """Σ tanh(L * u)² + Σ u⁴/4 on a side × side image u, L the 3 × 3 Laplacian stencil applied
    with ``lax.conv_general_dilated`` (SAME padding): a 13-point (distance-2) Hessian."""
    kernel = jnp.asarray(LAPLACIAN_3X3.reshape(1, 1, 3, 3))  # OIHW

    def f(x):
        u = x.reshape(1, 1, side, side)  # NCHW
        lu = jax.lax.conv_general_dilated(u, kernel.astype(x.dtype), (1, 1), "SAME")
        return jnp.sum(jnp.tanh(lu) ** 2) + 0.25 * jnp.sum(x ** 4)
    return f, np.sin(np.arange(side * side) * 0.11)


def scan_filter(steps: int = 1000, state: int = 200, seed: int = 0):
    """A 1,000-step ``lax.scan`` with a 200-element carried state: a nonlinear tapped-delay-line
    filter.  x = (s0 (state,), u (steps,)), n = state + steps.  Each step shifts the state by
    one, appends tanh(u_t), and emits tanh(w · s)² + 0.01 s[-1]² s[-2]²; the objective sums the
    emissions.  Each variable interacts with the ``state`` variables around it in the sequence
    (s0 followed by u), so the Hessian is banded with half-bandwidth ``state - 1``
    (nnz ≈ n · (2 · state - 1)): sparse although every step mixes the whole state."""
    rng = np.random.default_rng(seed)
    w = jnp.asarray(rng.standard_normal(state) / np.sqrt(state))

    def f(x):
        s0, u = x[:state], x[state:]

        def step(s, ut):
            s = jnp.concatenate([0.99 * s[1:], jnp.tanh(ut)[None]])
            y = jnp.tanh(jnp.dot(w.astype(s.dtype), s)) ** 2 + 0.01 * (s[-1] * s[-2]) ** 2
            return s, y

        _, ys = jax.lax.scan(step, s0, u)
        return jnp.sum(ys)
    return f, np.cos(np.arange(state + steps) * 0.3)


def side_for(n: int) -> int:
    return max(2, int(round(np.sqrt(n))))


def problem(name: str, n: int):
    """(label, f, x0) of a named problem with about n variables (grids: the nearest square)."""
    if name == "rosenbrock":
        f, x0 = problems.chained_rosenbrock(n)
        return "chained Rosenbrock", f, x0
    if name == "grid":
        f, x0 = problems.grid_energy(side_for(n))
        return "2-D grid energy", f, x0
    if name == "graph":
        f, x0 = problems.graph_energy(n)
        return "graph energy (gather)", f, x0
    if name == "mlp":
        f, x0 = problems.batched_mlp(n)
        return "per-sample MLP", f, x0
    if name == "conv":
        f, x0 = conv_energy(side_for(n))
        return "2-D conv stencil", f, x0
    if name == "scan":
        f, x0 = scan_filter()
        return "scan 1000 steps x 200 state", f, x0
    raise ValueError(name)


# --------------------------------------------------------------------------- timing


def timed(fn, *args):
    """(result, seconds) of fn(*args), waiting for JAX results."""
    start = time.perf_counter()
    out = fn(*args)
    jax.block_until_ready(out)
    return out, time.perf_counter() - start


def interleaved(fns: dict, repeat: int, max_calls: dict | None = None):
    """Best time of each callable over ``repeat`` rounds, the callables called in turn in
    every round (so that load from other processes hits all of them alike), in reverse
    order every other round (so that none always follows the same one); ``max_calls``
    caps the calls of slow ones (they take part in the first rounds only).  A value of None
    in ``fns`` is skipped.  Returns ({name: best seconds or None}, {name: last result})."""
    max_calls = max_calls or {}
    best = {k: np.inf for k in fns}
    results = {}
    for r in range(repeat):
        for k, fn in (list(fns.items()) if r % 2 == 0 else list(fns.items())[::-1]):
            if fn is None or r >= max_calls.get(k, repeat):
                continue
            results.pop(k, None)
            gc.collect()
            out, t = timed(fn)
            results[k] = out
            best[k] = min(best[k], t)
            del out
    return {k: (v if np.isfinite(v) else None) for k, v in best.items()}, results


# --------------------------------------------------------------------------- output


def fmt_time(t) -> str:
    if t is None:
        return "-"
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def fmt_ratio(r) -> str:
    if r is None or not np.isfinite(r):
        return "-"
    return f"{r:.1f}×" if r >= 10 else f"{r:.2f}×"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def markdown_table(headers, rows) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    line = lambda vals: "| " + " | ".join(v.ljust(w) for v, w in zip(vals, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)


def machine_note() -> str:
    import os
    load = ", load average %.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    return (f"jax {jax.__version__} on {jax.default_backend()}, {os.cpu_count()} CPU cores"
            f"{load}, dtype {jnp.asarray(0.0).dtype}")
